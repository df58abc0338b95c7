"""The staff's alerts the payment and till services decide, in words: no database needed.

The services hand over what happened (a sender over the limit, an order declined as "Not
mine", money paid twice, a kept callback body, the day's totals); these presenters say it,
in English and Swahili.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from checkout.domain.outcomes import BodyKept, NotMine, PaidTwice, SenderOverLimit
from checkout.domain.records import BodyStatus, Channel, Payment, PaymentStatus
from checkout.i18n.payments.messages import callback_kept_line, callback_kept_text
from checkout.i18n.payments.overpaid import overpaid_text
from checkout.i18n.payments.refusals import declined_staff_text, push_abuse_text
from checkout.i18n.till.credits import daily_line

PHONE = "254712345678"
LATE = Payment(
    "A1B2",
    None,
    Channel.TELEGRAM,
    "1",
    1500,
    PHONE,
    id=5,
    status=PaymentStatus.PAID,
    created_at=datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
)


@pytest.mark.parametrize(
    ("sender", "shown"),
    [("telegram:42", "Telegram 42"), ("ussd:254712345678", "USSD 2547****5678")],
)
def test_a_sender_over_the_limit_is_named_with_the_phone_masked(sender: str, shown: str) -> None:
    alert = SenderOverLimit(sender, PHONE, count=10, minutes=60)
    assert push_abuse_text("en", alert) == (
        f"Check: {shown} asked for more than 10 M-Pesa prompts in 60 minutes (the last to "
        "2547****5678). Their further pushes wait; this alert is sent once."
    )
    assert push_abuse_text("sw", alert).startswith(f"Kagua: {shown} aliomba zaidi ya maombi 10")


def test_an_order_declined_as_not_mine_names_who_declined_it() -> None:
    declined = NotMine("WW-1042", 12500, "ussd:254712345678", customer_id=3)
    assert declined_staff_text("en", declined) == (
        'Order WW-1042 (KES 12,500) was declined by the customer (USSD 2547****5678): "Not '
        'mine". Check who it belongs to.'
    )


def test_money_paid_twice_offers_the_refund_with_the_phone_masked() -> None:
    paid = PaidTwice(LATE, "NLJ7RT61SV", over=1500)
    assert overpaid_text("en", paid) == (
        "Paid twice: order A1B2 was already paid when M-Pesa reported KES 1,500 from "
        "2547****5678 (receipt NLJ7RT61SV) for a prompt we had given up on. The order is "
        "overpaid by KES 1,500. To give it back: /refund NLJ7RT61SV"
    )
    assert overpaid_text("sw", paid).endswith("Kuzirudisha: /refund NLJ7RT61SV")


def test_a_kept_body_names_the_command_that_replays_it() -> None:
    kept = BodyKept(7, BodyStatus.REFUSED, "no Body")
    assert callback_kept_text("en", kept) == (
        "Check: an M-Pesa callback was refused and kept as callback 7 (no Body). After fixing "
        "the cause, run: lipa callbacks replay 7"
    )
    assert callback_kept_line(kept) == "CALLBACK 7 REFUSED: lipa callbacks replay 7"


def test_the_daily_line_compares_the_statement_with_the_books() -> None:
    day = date(2026, 12, 4).strftime("%d/%m/%Y")
    assert daily_line("en", day, 3, 4500, 2, 1) == (
        "M-Pesa 04/12/2026: 3 transactions, KES 4,500; Lipa: 2 matched, 1 unmatched"
    )
    assert daily_line("sw", day, 3, 4500, 2, 1) == (
        "M-Pesa 04/12/2026: miamala 3, KES 4,500; Lipa: 2 imelingana, 1 haijalingana"
    )
