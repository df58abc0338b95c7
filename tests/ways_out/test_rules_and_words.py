"""When the other way to pay is offered and "Try again" paused, and how both are said."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from checkout.channels.gsm import is_gsm7
from checkout.domain.outcomes import PushRefused, RefusalReason
from checkout.domain.records import Channel, Language, Order, OrderStatus, Payment, PaymentStatus
from checkout.i18n.payments.refusals import refusal_text
from checkout.i18n.payments.ways_out import WAYS_OUT, offer_text, other_way_text
from checkout.payments.other_way import (
    OtherWayOffer,
    PayTo,
    cancel_hold_until,
    offer_due,
    other_way_for,
)

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
ORDER = Order("WW-1042", 1500, 500, OrderStatus.PARTLY_PAID)
PAYBILL = PayTo("174379")


def try_(number: int, status: PaymentStatus, code: int | None, minutes_ago: float = 5) -> Payment:
    settled = NOW - timedelta(minutes=minutes_ago)
    return Payment(
        id=number,
        order_reference="WW-1042",
        customer_id=1,
        channel=Channel.TELEGRAM,
        chat_key="5001",
        amount=1000,
        phone="254700000004",
        status=status,
        created_at=settled - timedelta(seconds=30),
        result_code=code,
        settled_at=None if status is PaymentStatus.PENDING else settled,
    )


@pytest.mark.parametrize("code", [1025, 1036, 1037, 9999])
def test_a_prompt_that_never_reached_the_phone_calls_for_the_other_way_at_once(code: int) -> None:
    failed = try_(1, PaymentStatus.FAILED, code)
    assert offer_due(failed, [failed])
    assert other_way_for(ORDER, failed, [failed], PAYBILL) is not None


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (PaymentStatus.CANCELLED, 1032),
        (PaymentStatus.FAILED, 1),
        (PaymentStatus.FAILED, 2001),
        (PaymentStatus.EXPIRED, None),
    ],
)
def test_any_other_failure_calls_for_it_the_second_time(
    status: PaymentStatus, code: int | None
) -> None:
    first = try_(1, PaymentStatus.FAILED, 1)
    latest = try_(2, status, code)
    assert not offer_due(latest, [latest])
    assert offer_due(latest, [first, latest])
    assert offer_due(latest, [first])  # the history need not hold the latest yet


def test_paid_and_pending_tries_never_call_for_it_and_a_paid_order_gets_none() -> None:
    failed = try_(1, PaymentStatus.FAILED, 1037)
    paid = try_(2, PaymentStatus.PAID, 0)
    pending = try_(3, PaymentStatus.PENDING, None)
    assert not offer_due(paid, [failed, paid])
    assert not offer_due(pending, [failed, pending])
    done = replace(ORDER, amount_paid=1500, status=OrderStatus.PAID)
    assert other_way_for(done, failed, [failed], PAYBILL) is None
    assert other_way_for(None, failed, [failed], PAYBILL) is None


def test_the_offer_is_for_the_orders_balance_not_the_amount_tried() -> None:
    failed = try_(1, PaymentStatus.FAILED, 1037)
    offer = other_way_for(ORDER, failed, [failed], PAYBILL)
    assert offer is not None
    assert (offer.order_reference, offer.amount) == ("WW-1042", 1000)


def test_two_cancellations_in_a_row_pause_try_again_for_an_hour_after_the_second() -> None:
    first = try_(1, PaymentStatus.CANCELLED, 1032, minutes_ago=10)
    second = try_(2, PaymentStatus.CANCELLED, 1032, minutes_ago=4)
    assert cancel_hold_until([first], NOW) is None
    until = cancel_hold_until([first, second], NOW)
    assert until == NOW - timedelta(minutes=4) + timedelta(hours=1)
    assert cancel_hold_until([first, second], NOW + timedelta(minutes=57)) is None
    # Anything else in between breaks the run; a pending try does not count.
    wrong_pin = try_(3, PaymentStatus.FAILED, 2001, minutes_ago=6)
    wrong_pin = replace(wrong_pin, settled_at=NOW - timedelta(minutes=7))
    assert cancel_hold_until([first, wrong_pin, second], NOW) is None
    pending = try_(4, PaymentStatus.PENDING, None)
    assert cancel_hold_until([first, second, pending], NOW) == until


def test_a_till_is_told_as_buy_goods_without_an_account() -> None:
    text = other_way_text("en", till=True, number="5123456", account="WW-1042", amount=1500)
    assert "Buy Goods and Services. Till number: 5123456. Amount: KES 1,500." in text
    assert "WW-1042" not in text
    assert "*234#" in text


def test_an_sms_is_in_the_gsm_alphabet_in_both_languages() -> None:
    failed = replace(try_(1, PaymentStatus.FAILED, 1037), channel=Channel.USSD)
    offer = other_way_for(ORDER, failed, [failed], PAYBILL)
    assert offer is not None
    for language in ("en", "sw"):
        text = offer_text(replace(failed, language=language), offer)
        assert is_gsm7(text), text
        assert " > Pay Bill." in text
        chat = offer_text(replace(failed, language=language, channel=Channel.TELEGRAM), offer)
        assert "→" in chat


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_has_both_languages_with_the_same_placeholders() -> None:
    assert WAYS_OUT["en"].keys() == WAYS_OUT["sw"].keys()
    for key, english in WAYS_OUT["en"].items():
        assert _fields(english) == _fields(WAYS_OUT["sw"][key]), key
        assert not re.search(r"\s{2}", english), key


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_push_held_for_its_order_says_the_hour_and_the_other_way(language: Language) -> None:
    offer = OtherWayOffer("WW-1042", 1500, PayTo("174379"))
    refused = PushRefused(
        RefusalReason.ORDER_PAUSED, NOW + timedelta(minutes=40), NOW, "WW-1042", offer
    )
    text = refusal_text(language, refused)
    assert "WW-1042" in text
    assert "174379" in text
    assert "→" in text
    sms = refusal_text(language, refused, sms=True)
    assert is_gsm7(sms)
    assert ">" in sms
    without = refusal_text(language, PushRefused(RefusalReason.ORDER_PAUSED, NOW, NOW, "WW-1"))
    assert "174379" not in without
    assert "WW-1" in without
