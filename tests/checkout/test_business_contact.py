"""Texts that send the customer to the business say how to reach it (BUSINESS_CONTACT)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checkout.domain.outcomes import PaymentOutcome
from checkout.domain.records import Channel, Payment, PaymentStatus
from checkout.i18n.contact import CONTACT_US, NO_CONTACT, BusinessContact
from checkout.i18n.payments.messages import customer_reply
from checkout.i18n.texts import TEXTS, t


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "If you got an M-Pesa receipt, contact us on 0712 345 678; if not"),
        ("sw", "risiti ya M-Pesa, wasiliana nasi kwa 0712 345 678; la sivyo"),
    ],
)
def test_an_unconfirmed_payment_gives_the_business_contact(language: str, expected: str) -> None:
    contact = BusinessContact.of("0712 345 678")
    text = contact.t(language, "outcome_expired", amount=1500, order="WW-1042")  # type: ignore[arg-type]
    assert expected in text


def test_an_overdue_installment_gives_the_business_contact() -> None:
    contact = BusinessContact.of("+254 712 345 678 (WhatsApp)")
    text = contact.t("sw", "plan_overdue", number=2, count=3, order="WW-1042", amount=500)
    assert text.endswith("Ukihitaji msaada, wasiliana nasi kwa +254 712 345 678 (WhatsApp).")


def test_without_a_contact_the_texts_say_contact_us_alone() -> None:
    contact = BusinessContact.of(None)
    assert contact.contact_us("en") == "contact us"
    text = contact.t("en", "plan_overdue", number=2, count=3, order="WW-1042", amount=500)
    assert text.endswith("If you need help, contact us.")


def test_a_blank_setting_is_no_contact() -> None:
    assert BusinessContact.of("   ") == NO_CONTACT
    assert BusinessContact.of(" 0712 345 678 ").number == "0712 345 678"


def test_the_catalogue_itself_never_gives_a_contact() -> None:
    # The number is the presenter's, given when it is built: the lookup says "contact us".
    text = t("en", "plan_overdue", number=2, count=3, order="WW-1042", amount=500)
    assert text.endswith("If you need help, contact us.")


def test_two_contacts_side_by_side() -> None:
    # No process-wide state: each presenter says the contact it was given.
    payment = Payment(
        id=1,
        customer_id=1,
        channel=Channel.TELEGRAM,
        chat_key="1",
        order_reference="WW-1042",
        phone="254712345678",
        amount=1500,
        status=PaymentStatus.EXPIRED,
        created_at=datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
    )
    first = customer_reply(PaymentOutcome(payment), contact=BusinessContact.of("0711 000 001"))
    second = customer_reply(PaymentOutcome(payment), contact=BusinessContact.of("0722 000 002"))
    assert "contact us on 0711 000 001" in first.text
    assert "contact us on 0722 000 002" in second.text


def test_every_text_that_sends_the_customer_to_the_business_says_it_the_same_way() -> None:
    # The contact is added after the phrase "contact us" / "wasiliana nasi", exactly so
    # written: a text saying it another way would go out without the number.
    for language, catalogue in TEXTS.items():
        for key, template in catalogue.items():
            lowered = template.lower()
            for phrase in ("contact us", "wasiliana nasi", "contact the", "tupigie"):
                if phrase in lowered:
                    assert CONTACT_US[language] in template, (language, key)
