"""The till's texts exist in English and Swahili alike, with the same placeholders."""

from __future__ import annotations

import string

from checkout.i18n.till.credits import TILL_EN, TILL_SW


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_is_in_both_languages_with_the_same_placeholders() -> None:
    assert set(TILL_EN) == set(TILL_SW)
    for key, english in TILL_EN.items():
        assert placeholders(english) == placeholders(TILL_SW[key]), key


def test_swahili_texts_are_not_english_copies() -> None:
    same = [key for key in TILL_EN if TILL_EN[key] == TILL_SW[key]]
    assert same == []
