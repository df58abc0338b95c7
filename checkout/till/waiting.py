"""C2B confirmations that waited for an STK push, credited once that push ends without money.

A confirmation of the same amount from the same phone as an STK push still pending may be that
push's own money, so :meth:`checkout.till.credit.TillCredits.record` leaves it out of the
ledger (``WAITING``) and keeps its body. When the push then fails, is cancelled or expires,
the money was the customer's other way to pay (the paybill, after the prompt never came):
this settlement listener credits each such waiting confirmation in the transaction that
settles the push, once (its transaction id is the ledger's key), and marks its body settled.
Without it the payment would reach the books only through the statement check, which is off
unless ``MPESA_PULL_ENABLED``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Final

from checkout.domain.records import BodyStatus, KeptBody, Order, Payment, PaymentStatus
from checkout.payments.unit import UnitOfWork
from checkout.till.credit import PENDING_WINDOW, CreditOutcome, TillCredits
from checkout.till.matching import MatchKind, find_match
from checkout.till.ports import TillUnitOfWork
from checkout.till.records import LedgerSource, TillPayment

log = logging.getLogger(__name__)

# A kept confirmation's body as the till reads it; None when it is not a C2B confirmation.
ParseConfirmation = Callable[[bytes], TillPayment | None]
# Push outcomes that moved no money.
_NO_MONEY: Final = frozenset({PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED})
# How many of the newest kept bodies are looked through, and how old one may be.
SCAN: Final = 200
WINDOW: Final = timedelta(hours=2)
WAITING_NOTE: Final = f": {CreditOutcome.WAITING.value}"


class WaitingConfirmations:
    """Implements ``checkout.payments.unit.SettlementListener``: see the module's docstring."""

    def __init__(self, credits: TillCredits, parse: ParseConfirmation) -> None:
        self._credits = credits
        self._parse = parse

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Nothing to look up ahead: the waiting confirmations are read per payment."""

    async def payment_settled(
        self, unit: UnitOfWork, payment: Payment, order: Order | None
    ) -> None:
        """Credit the confirmations that waited for ``payment``, if it moved no money."""
        if payment.status not in _NO_MONEY or not isinstance(unit, TillUnitOfWork):
            return
        now = self._credits.clock()
        for kept in await unit.callback_bodies.recent(limit=SCAN):
            if not _waited(kept) or now - kept.received.received_at > WINDOW:
                continue
            paid = self._parse(kept.received.body)
            if paid is None or paid.amount != payment.amount:
                continue
            match = await find_match(
                unit,
                paid,
                now=now,
                window=self._credits.match_window,
                pending_window=PENDING_WINDOW,
            )
            if match.kind is MatchKind.PENDING:
                continue  # another push of that phone and amount is still out: it waits on
            result = await self._credits.record_in(unit, paid, source=LedgerSource.CONFIRMATION)
            await unit.callback_bodies.mark(
                kept.id,
                status=BodyStatus.SETTLED,
                note=f"till {paid.transaction_id}: {result.outcome.value} after payment "
                f"{payment.id} {payment.status.value}",
                checkout_request_id=None,
                now=now,
            )
            log.info(
                "C2B %s waited for payment %s (%s): %s",
                paid.transaction_id,
                payment.id,
                payment.status.value,
                result.outcome.value,
            )


def _waited(kept: KeptBody) -> bool:
    return kept.status is BodyStatus.UNKNOWN and (kept.note or "").endswith(WAITING_NOTE)
