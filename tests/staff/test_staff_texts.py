"""Staff texts exist in English and Swahili alike, with the same placeholders."""

from __future__ import annotations

import pytest

from checkout.i18n.staff import STAFF_TEXTS, st
from checkout.i18n.texts import placeholders


def test_both_languages_have_the_same_keys() -> None:
    assert set(STAFF_TEXTS["en"]) == set(STAFF_TEXTS["sw"])


@pytest.mark.parametrize("key", sorted(STAFF_TEXTS["en"]))
def test_both_languages_use_the_same_placeholders(key: str) -> None:
    assert placeholders(STAFF_TEXTS["en"][key]) == placeholders(STAFF_TEXTS["sw"][key])


def test_integers_get_thousands_separators() -> None:
    assert st("sw", "today_total", count=1200, paid=250000) == (
        "Yote: malipo 1,200. Yaliyolipwa: KES 250,000."
    )
