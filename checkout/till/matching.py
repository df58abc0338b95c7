"""What an M-Pesa transaction belongs to, tried in order, surest first.

1. An STK payment with its receipt: the transaction is that payment's money.
2. A paid STK payment without a receipt (the query settled it; its callback never came) of the
   same amount and phone, pushed shortly before: its receipt is this transaction's id.
3. A pending STK payment of the same amount and phone, pushed shortly before: its own answer
   will settle it; the transaction waits.
4. The account number typed (``BillRefNumber``, trimmed, any case) is an order's reference.
5. Exactly one unpaid order whose balance is the amount and whose phone is the payer's.

M-Pesa's MSISDN may be full, masked or a SHA-256 digest: phones are compared with
:func:`checkout.domain.phones.msisdn_matches`, never as keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from checkout.domain.phones import msisdn_matches
from checkout.domain.records import Order, OrderStatus, Payment
from checkout.domain.references import parse_order_reference
from checkout.till.ports import PayerChat, TillUnitOfWork
from checkout.till.records import TillPayment

# Candidates read for a phone-and-amount match: more than this many unpaid orders of one
# amount means the phone alone decides among the newest.
CANDIDATE_LIMIT = 500
# A transaction's time may run a little ahead of the push's (clocks, the query's delay).
_SLACK = timedelta(minutes=2)


class MatchKind(StrEnum):
    """How a transaction was matched (the value names the staff's ``how_`` text)."""

    RECEIPT = "receipt"
    RECEIPTLESS = "receiptless"
    PENDING = "pending"
    ACCOUNT = "account"
    PHONE = "phone"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Match:
    """What a transaction matched: an STK payment, an order (and its payer's chat), or none."""

    kind: MatchKind
    payment: Payment | None = None
    order: Order | None = None
    chat: PayerChat | None = None


def _fits(payment: TillPayment, stk: Payment) -> bool:
    if payment.msisdn:
        return msisdn_matches(payment.msisdn, stk.phone)
    # No number at all: the account typed must name the payment's order.
    return parse_order_reference(payment.account or "") == stk.order_reference


async def find_match(
    unit: TillUnitOfWork,
    payment: TillPayment,
    *,
    now: datetime,
    window: timedelta,
    pending_window: timedelta,
) -> Match:
    """The surest match of ``payment`` (see the module's order), or ``MatchKind.NONE``."""
    stk = await unit.till.by_receipt(payment.transaction_id)
    if stk is not None:
        return Match(MatchKind.RECEIPT, payment=stk)
    moment = payment.paid_at or now
    after, before = moment - pending_window, moment + _SLACK
    receiptless = await unit.till.receiptless(payment.amount, after=after, before=before)
    pending = await unit.till.pending_like(payment.amount, after=after, before=before)
    for kind, found in ((MatchKind.RECEIPTLESS, receiptless), (MatchKind.PENDING, pending)):
        fitting = [candidate for candidate in found if _fits(payment, candidate)]
        if fitting:
            return Match(kind, payment=fitting[0])
    reference = parse_order_reference(payment.account or "")
    if reference is not None:
        order = await unit.orders.get(reference)
        # A cancelled order owes nothing: money typed for it is the staff's to place.
        if order is not None and order.status is not OrderStatus.CANCELLED:
            return Match(MatchKind.ACCOUNT, order=order)
    if payment.msisdn:
        candidates = await unit.till.candidates(
            payment.amount, since=now - window, limit=CANDIDATE_LIMIT
        )
        fitting_orders = [
            candidate.order
            for candidate in candidates
            if any(msisdn_matches(payment.msisdn, phone) for phone in candidate.phones)
        ]
        if len(fitting_orders) == 1:
            return Match(MatchKind.PHONE, order=fitting_orders[0])
    return Match(MatchKind.NONE)
