"""Texts that send the customer to the business say how to reach it (BUSINESS_CONTACT)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checkout.i18n.texts import CONTACT_US, TEXTS, contact_us, set_business_contact, t


@pytest.fixture
def no_contact_after() -> Iterator[None]:
    yield
    set_business_contact(None)


@pytest.mark.usefixtures("no_contact_after")
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "If you got an M-Pesa receipt, contact us on 0712 345 678; if not"),
        ("sw", "risiti ya M-Pesa, wasiliana nasi kwa 0712 345 678; la sivyo"),
    ],
)
def test_an_unconfirmed_payment_gives_the_business_contact(language: str, expected: str) -> None:
    set_business_contact("0712 345 678")
    text = t(language, "outcome_expired", amount=1500, order="WW-1042")  # type: ignore[arg-type]
    assert expected in text


@pytest.mark.usefixtures("no_contact_after")
def test_an_overdue_installment_gives_the_business_contact() -> None:
    set_business_contact("+254 712 345 678 (WhatsApp)")
    text = t("sw", "plan_overdue", number=2, count=3, order="WW-1042", amount=500)
    assert text.endswith("Ukihitaji msaada, wasiliana nasi kwa +254 712 345 678 (WhatsApp).")


def test_without_a_contact_the_texts_say_contact_us_alone() -> None:
    set_business_contact(None)
    assert contact_us("en") == "contact us"
    text = t("en", "plan_overdue", number=2, count=3, order="WW-1042", amount=500)
    assert text.endswith("If you need help, contact us.")


def test_every_text_that_sends_the_customer_to_the_business_says_it_the_same_way() -> None:
    # The contact is added after the phrase "contact us" / "wasiliana nasi", exactly so
    # written: a text saying it another way would go out without the number.
    for language, catalogue in TEXTS.items():
        for key, template in catalogue.items():
            lowered = template.lower()
            for phrase in ("contact us", "wasiliana nasi", "contact the", "tupigie"):
                if phrase in lowered:
                    assert CONTACT_US[language] in template, (language, key)
