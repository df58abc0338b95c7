"""What the till needs from storage: the ledger of M-Pesa transactions and the payments and
orders it credits, as ``Protocol``s."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from checkout.domain.records import Channel, Language, Order, Payment
from checkout.payments.unit import UnitOfWork
from checkout.till.records import LedgerEntry, LedgerSource, LedgerState, TillPayment


@dataclass(frozen=True, slots=True)
class PayerChat:
    """Where a payer can be told about their payment, and in which language."""

    channel: Channel
    chat_key: str
    language: Language
    customer_id: int | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """An unpaid order whose balance is some amount, with every phone it is known by."""

    order: Order
    phones: tuple[str, ...]  # the order's customer phone and its payments' phones


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    """The ledger's transactions of a period: how many, how much, and what became of them."""

    count: int
    amount: int
    matched: int  # credited to an order or matched to an STK payment
    unmatched: int  # still in the staff's queue
    not_ours: int


class TillRepository(Protocol):
    """The ledger of M-Pesa transactions, and the till payments it credits."""

    async def add(
        self,
        payment: TillPayment,
        *,
        source: LedgerSource,
        now: datetime,
        body_id: int | None = None,
    ) -> LedgerEntry | None:
        """Write the transaction as unmatched; None (and no change) if its id is in already.

        The unique transaction id is the guard: of two deliveries at once, one writes it.
        """
        ...

    async def get(self, transaction_id: str) -> LedgerEntry | None:
        """The ledger entry of this transaction id, or None."""
        ...

    async def resolve(
        self,
        entry_id: int,
        *,
        state: LedgerState,
        now: datetime,
        order_reference: str | None = None,
        payment_id: int | None = None,
        by: str | None = None,
        expect: LedgerState | None = None,
    ) -> LedgerEntry | None:
        """Record what became of an entry; None (no change) unless it is in ``expect`` state."""
        ...

    async def credit(
        self,
        payment: TillPayment,
        order_reference: str,
        *,
        phone: str,
        chat: PayerChat,
        now: datetime,
    ) -> Payment:
        """Store a paid till payment against the order (its amount is not yet credited)."""
        ...

    async def by_receipt(self, receipt: str) -> Payment | None:
        """The STK payment with this receipt number, or None."""
        ...

    async def candidates(self, amount: int, *, since: datetime, limit: int) -> Sequence[Candidate]:
        """Unpaid known orders created after ``since`` whose balance is ``amount``."""
        ...

    async def receiptless(
        self, amount: int, *, after: datetime, before: datetime
    ) -> Sequence[Payment]:
        """Paid STK payments of ``amount`` without a receipt, created in the window, oldest
        first (the query settled them; their callback never came)."""
        ...

    async def pending_like(
        self, amount: int, *, after: datetime, before: datetime
    ) -> Sequence[Payment]:
        """Pending STK payments of ``amount`` created in the window."""
        ...

    async def chat_of_order(self, order_reference: str) -> PayerChat | None:
        """The chat of the order's latest payment, if any."""
        ...

    async def chat_of(self, channel: Channel, chat_key: str) -> PayerChat | None:
        """The customer of this chat as a payer chat (with their language), if known."""
        ...

    async def attach_body(self, entry_id: int, body_id: int) -> None:
        """Link the entry to the callback body it came in."""
        ...

    async def chat_of_phone(self, phone: str) -> PayerChat | None:
        """A chat customer with this phone (Telegram first, then WhatsApp), if any."""
        ...

    async def unmatched(self, *, limit: int) -> Sequence[LedgerEntry]:
        """The staff's queue, oldest first."""
        ...

    async def count_unmatched(self) -> int:
        """How many transactions wait in the staff's queue."""
        ...

    async def totals(self, *, paid_from: datetime, paid_to: datetime) -> LedgerTotals:
        """The ledger's transactions paid in ``[paid_from, paid_to)``."""
        ...


@runtime_checkable
class TillUnitOfWork(UnitOfWork, Protocol):
    """A payments unit of work with the till's ledger."""

    @property
    def till(self) -> TillRepository:
        """The till ledger of this unit."""
        ...


TillUnitOfWorkFactory = Callable[[], TillUnitOfWork]
