"""Plain records of what staff reports and the platform's API read: totals, days, audit entries.

Storage aggregates in the database and returns these; the core turns them into texts, charts
and CSV. Money is whole shillings; times are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from checkout.domain.records import Channel, Payment, PaymentMethod, PaymentStatus


@dataclass(frozen=True, slots=True)
class OutcomeTotal:
    """How many payments ended (or wait) with one status, and their sum."""

    status: PaymentStatus
    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class DayTotal:
    """What was paid on one day (Nairobi time)."""

    day: date
    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class OpenPlans:
    """Buy-Now-Pay-Later plans still being paid, and what they still owe."""

    count: int = 0
    balance: int = 0


@dataclass(frozen=True, slots=True)
class AuditEntrySummary:
    """One entry of a payment's audit trail (its raw payload left out)."""

    payment_id: int
    kind: str
    received_at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FoundPayment:
    """A payment that matched a staff search, with its audit trail, oldest first."""

    payment: Payment
    audit: tuple[AuditEntrySummary, ...] = ()
    name: str | None = None  # the customer's name, where Telegram or M-Pesa gave one


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """A payment as an export row: only what the CSV shows (cheap to read by the thousand)."""

    id: int
    created_at: datetime
    settled_at: datetime | None
    order_reference: str
    amount: int
    status: PaymentStatus
    result_code: int | None
    receipt_number: str | None
    phone: str
    channel: Channel
    method: PaymentMethod = PaymentMethod.STK


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """Undelivered outbox messages per channel and when the oldest was queued."""

    depth: dict[Channel, int] = field(default_factory=dict)
    oldest_queued_at: datetime | None = None

    @property
    def total(self) -> int:
        """Undelivered messages on every channel."""
        return sum(self.depth.values())


@dataclass(frozen=True, slots=True)
class PaymentCursor:
    """Where a page of settled payments ended: the last payment's settle time and id."""

    settled_at: datetime
    payment_id: int


@dataclass(frozen=True, slots=True)
class PaymentPage:
    """One page of settled payments, and the cursor of the next page (None: this is the last)."""

    payments: tuple[Payment, ...]
    next_cursor: PaymentCursor | None
