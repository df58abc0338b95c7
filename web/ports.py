"""What the web adapter needs from outside besides the checkout's own ports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from checkout.bnpl.records import Plan
from checkout.domain.records import Order, Payment

# An order as its page reads it: the order, its payments (oldest first), its open plan.
OrderSnapshot = tuple[Order, Sequence[Payment], Plan | None]


class ReceiptTokens(Protocol):
    """One unguessable token per paid payment (``storage.repositories.receipts``)."""

    async def token_for(self, payment_id: int, offered: str, *, now: datetime) -> str:
        """The payment's token: ``offered`` if it had none yet, else the one it has."""
        ...

    async def payment_for(self, token: str) -> int | None:
        """The id of the payment this token opens, or None."""
        ...


class OrderReads(Protocol):
    """How the page reads an order (:class:`web.payment_page.PoolOrderReads` through the units
    of work; on SQLite, ``storage.inline_reads.InlineOrderReads`` in the loop's thread)."""

    async def __call__(self, reference: str, *, with_plan: bool) -> OrderSnapshot | None:
        """The order with this reference, its payments, and (``with_plan``, and the order
        has payments: a plan's deposit is one) its open plan; None if there is no such order."""
        ...
