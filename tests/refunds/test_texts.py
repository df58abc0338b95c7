"""Refund texts: both languages say the same things with the same placeholders."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest

from checkout.domain.records import Channel, Order, OrderStatus, Payment, PaymentStatus
from checkout.domain.refunds import (
    Refund,
    RefundFailure,
    RefundOutcome,
    RefundState,
    RefundView,
)
from checkout.i18n.refunds import (
    REFUND_TEXTS,
    completed_customer_text,
    failed_staff_text,
    outcome_text,
    request_text,
)
from checkout.refunds.desk import RefundAnswer
from checkout.staff.outcomes import RefundAsked, RefundUsage
from checkout.staff.refunds import parse_refund
from checkout.staff.views.refunds import press_answer, refund_text

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_english_and_swahili_have_the_same_keys_and_placeholders() -> None:
    english, swahili = REFUND_TEXTS["en"], REFUND_TEXTS["sw"]
    assert set(english) == set(swahili)
    for key, text in english.items():
        assert placeholders(text) == placeholders(swahili[key]), key


def view(state: RefundState = RefundState.REQUESTED, **changes: object) -> RefundView:
    payment = Payment(
        "WW-1042",
        None,
        Channel.TELEGRAM,
        "5001",
        1000,
        "254712345678",
        id=1,
        status=PaymentStatus.PAID,
        created_at=NOW,
        receipt_number="NLJ7RT61SV",
    )
    order = Order("WW-1042", 1000, 1000, OrderStatus.PAID)
    refund = Refund(
        3,
        1,
        "WW-1042",
        "NLJ7RT61SV",
        400,
        None,
        "telegram:7",
        state,
        NOW,
        transaction_id="RFD1234567",
        **changes,  # type: ignore[arg-type]
    )
    return RefundView(refund, payment, order)


@pytest.mark.parametrize("language", ["en", "sw"])
@pytest.mark.parametrize("outcome", list(RefundOutcome))
def test_every_outcome_has_words(language: str, outcome: RefundOutcome) -> None:
    text = outcome_text(language, outcome, view(), receipt="NLJ7RT61SV", left=5, limit=9, days=30)  # type: ignore[arg-type]
    assert text
    assert "{" not in text


@pytest.mark.parametrize("language", ["en", "sw"])
@pytest.mark.parametrize("failure", list(RefundFailure))
def test_every_failure_is_said_plainly(language: str, failure: RefundFailure) -> None:
    text = failed_staff_text(
        language, view(RefundState.FAILED, failure=failure, approved_by="telegram:8")
    )  # type: ignore[arg-type]
    assert "staff" in text or "mfanyakazi" in text
    assert "{" not in text


def test_the_request_shows_the_payment_the_order_the_masked_phone_and_the_new_balance() -> None:
    text = request_text("en", view())
    assert "KES 400 of the payment NLJ7RT61SV" in text
    assert "2547****5678" in text
    assert "balance becomes KES 400" in text


def test_the_customer_reads_their_own_number_in_their_language() -> None:
    refund_view = view(RefundState.COMPLETED)
    assert completed_customer_text("en", refund_view) == (
        "KES 400 for order WW-1042 is on its way back to 0712 345 678, M-Pesa reference RFD1234567."
    )
    assert "zinarudishwa kwa 0712 345 678" in completed_customer_text("sw", refund_view)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("NLJ7RT61SV", ("NLJ7RT61SV", None, None)),
        ("nlj7rt61sv 500 paid twice", ("NLJ7RT61SV", 500, "paid twice")),
        ("NLJ7RT61SV 1,500", ("NLJ7RT61SV", 1500, None)),
        ("NLJ7RT61SV paid twice", ("NLJ7RT61SV", None, "paid twice")),
        ("NLJ7RT61SV 10.50 x", ("NLJ7RT61SV", 0, "x")),
    ],
)
def test_refund_arguments_are_read(typed: str, expected: tuple[object, ...]) -> None:
    parsed = parse_refund(typed)
    assert parsed is not None
    assert (parsed.receipt, parsed.amount, parsed.reason) == expected


@pytest.mark.parametrize("typed", ["", "hello", "WW-1042 500"])
def test_no_receipt_is_no_refund(typed: str) -> None:
    assert parse_refund(typed) is None


# --- the staff presenter: what /refund and a press returned, in words ----------------------------


def asked(outcome: RefundOutcome, **fields: object) -> RefundAsked:
    answer = RefundAnswer(outcome, view(), left=700)
    return RefundAsked("en", answer, limit=50_000, days=30, **fields)  # type: ignore[arg-type]


def test_refund_typed_without_a_receipt_is_answered_with_the_usage() -> None:
    assert refund_text(RefundUsage("sw")).startswith("Matumizi: /refund <risiti> [kiasi] [sababu]")
    assert refund_text(RefundUsage("en")) == (
        "Usage: /refund <receipt> [amount] [reason]\n"
        "For example: /refund NLJ7RT61SV 500 paid twice\n"
        "Without an amount the whole payment (or what is left of it) goes back."
    )


def test_a_refusal_names_the_rules_figures_the_command_carried() -> None:
    too_old = asked(RefundOutcome.TOO_OLD, receipt="NLJ7RT61SV")
    assert refund_text(too_old) == (
        "The payment NLJ7RT61SV is older than 30 days: refunds are allowed only within 30 days."
    )
    over = asked(RefundOutcome.OVER_LIMIT, refund_id=3)
    assert "today's refund limit of KES 50,000 (KES 700 left today)" in refund_text(over)


def test_a_press_that_decided_the_request_takes_the_buttons_away() -> None:
    approved = press_answer(asked(RefundOutcome.APPROVED, refund_id=3))
    assert (approved.refused, approved.final) == (False, True)
    refused = press_answer(asked(RefundOutcome.OWN_REQUEST, refund_id=3))
    assert (refused.refused, refused.final) == (True, False)
    assert refused.text == refund_text(asked(RefundOutcome.OWN_REQUEST, refund_id=3))
