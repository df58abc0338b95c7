"""The staff presenter says what a command did, with no service or database behind it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checkout.domain.phones import PhoneReason
from checkout.domain.records import Channel, Order, OrderStatus, Payment, PaymentStatus
from checkout.domain.summaries import FoundPayment
from checkout.i18n.payments.messages import pay_link_sms
from checkout.i18n.staff import STAFF_TEXTS
from checkout.staff.answers import ButtonsAnswer, QrAnswer, TextAnswer
from checkout.staff.outcomes import (
    LanguageChosen,
    OrderOpened,
    PaymentsFound,
    Refusal,
    Refused,
)
from checkout.staff.views.desk import StaffViews

VIEWS = StaffViews(language="en", business_name="Wash & Wear")
ORDER = Order("WW-1042", 1500, 0, OrderStatus.OPEN, customer_phone="254712345678")
PAID = Payment(
    "WW-1042",
    None,
    Channel.TELEGRAM,
    "telegram:1",
    1500,
    "254712345678",
    id=7,
    status=PaymentStatus.PAID,
    created_at=datetime(2026, 12, 4, 7, 0, tzinfo=UTC),
    receipt_number="NLJ7RT61SV",
)


@pytest.mark.parametrize("refusal", list(Refusal))
def test_every_refusal_has_a_staff_text_in_both_languages(refusal: Refusal) -> None:
    assert refusal.value in STAFF_TEXTS["en"]
    assert refusal.value in STAFF_TEXTS["sw"]


@pytest.mark.parametrize("reason", list(PhoneReason))
def test_every_reason_a_phone_is_refused_is_a_refusal_of_neworder(reason: PhoneReason) -> None:
    assert Refusal(f"neworder_phone_{reason.value}")


def test_a_refusal_names_what_it_concerns_in_the_readers_language() -> None:
    answer = VIEWS.answer(Refused(Refusal.SENDLINK_PAID, "WW-1042"), "sw", full=False)
    assert answer == TextAnswer("Oda WW-1042 imeshalipwa yote; kiungo hakijatumwa.")


def test_a_chosen_language_is_confirmed_in_that_language() -> None:
    answer = VIEWS.answer(LanguageChosen("sw"), "en", full=False)
    assert answer == TextAnswer(
        "Tayari: majibu na taarifa za wafanyakazi kwako sasa ni kwa Kiswahili."
    )


def test_a_new_orders_qr_card_opens_the_web_page_when_there_is_one() -> None:
    opened = OrderOpened(
        ORDER,
        "https://t.me/lipa_bot?start=pay_WW-1042",
        web_link="https://pay.example/o/WW-1042",
    )
    answer = VIEWS.answer(opened, "en", full=False)
    assert isinstance(answer, QrAnswer)
    assert answer.link == "https://pay.example/o/WW-1042"
    assert answer.title == "Wash & Wear"
    assert answer.caption.splitlines() == [
        "New order WW-1042: KES 1,500.",
        "The customer pays here: https://t.me/lipa_bot?start=pay_WW-1042",
        "Or in any browser: https://pay.example/o/WW-1042",
        "Customer: 0712 345 678",
    ]


def test_find_says_nothing_matched_when_nothing_did() -> None:
    answer = VIEWS.answer(PaymentsFound("WW-9999", ()), "en", full=False)
    assert answer == TextAnswer("No payment matches WW-9999.")


def test_find_shows_the_payers_name_and_number_only_in_a_private_chat() -> None:
    found = PaymentsFound("NLJ7RT61SV", (FoundPayment(PAID, (), name="Wanjiku"),))
    private = VIEWS.answer(found, "en", full=True)
    group = VIEWS.answer(found, "en", full=False)
    assert isinstance(private, TextAnswer)
    assert isinstance(group, TextAnswer)
    assert "Wanjiku (0712 345 678)" in private.text
    assert "Wanjiku" not in group.text
    assert "0712 345 678" not in group.text


def test_find_offers_a_refund_under_a_paid_payment_when_refunds_are_on() -> None:
    found = PaymentsFound("NLJ7RT61SV", (FoundPayment(PAID, ()),), refunds=True)
    answer = VIEWS.answer(found, "sw", full=False)
    assert isinstance(answer, ButtonsAnswer)
    (message,) = answer.messages
    assert message.buttons == (("Rejesha NLJ7RT61SV (KES 1,500)", "/refund NLJ7RT61SV"),)


def test_the_pay_link_sms_is_the_customers_words_in_the_business_language() -> None:
    link = "https://shop.example/pay/WW-1042"
    assert pay_link_sms("en", "WW-1042", 900, link) == (
        "Pay order WW-1042 (KES 900 left) with M-Pesa here: https://shop.example/pay/WW-1042"
    )
    assert pay_link_sms("sw", "WW-1042", 900, link) == (
        "Lipa oda WW-1042 (KES 900 imebaki) kwa M-Pesa hapa: https://shop.example/pay/WW-1042"
    )
