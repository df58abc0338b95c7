"""What the staff reports need from storage: the reporting queries, in a unit of work."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from checkout.domain.records import Order, Payment
from checkout.domain.summaries import (
    AuditEntrySummary,
    DayTotal,
    OpenPlans,
    OutboxBacklog,
    OutcomeTotal,
    PaymentLine,
)
from checkout.payments.unit import UnitOfWork
from checkout.refunds.ports import RefundRepository


class ReportRepository(Protocol):
    """Read-only aggregates for staff reports and operations, computed in the database."""

    async def outcome_totals(self, *, start: datetime, end: datetime) -> Sequence[OutcomeTotal]:
        """Count and sum of the payments started in ``[start, end)``, per status."""
        ...

    async def daily_takings(
        self, *, start: datetime, end: datetime, utc_offset: timedelta
    ) -> Sequence[DayTotal]:
        """Paid payments started in ``[start, end)`` per local day (``utc_offset``), by day."""
        ...

    async def open_plans(self) -> OpenPlans:
        """Buy-Now-Pay-Later plans still being paid and what they owe."""
        ...

    async def count_pending(self) -> int:
        """How many payments still wait for an outcome."""
        ...

    async def pending_payments(self, *, limit: int) -> Sequence[Payment]:
        """The oldest payments still waiting for an outcome, oldest first."""
        ...

    async def count_partly_paid(self) -> int:
        """How many orders are partly paid."""
        ...

    async def partly_paid_orders(self, *, limit: int) -> Sequence[Order]:
        """Partly paid orders, most recently paid first."""
        ...

    async def find_payments(
        self, *, receipt: str | None, reference: str | None, phone: str | None, limit: int
    ) -> Sequence[Payment]:
        """Payments with this receipt number, order reference or phone, newest first."""
        ...

    async def audit_for(self, payment_ids: Sequence[int]) -> Sequence[AuditEntrySummary]:
        """The audit trail of these payments, oldest first."""
        ...

    def payment_lines(
        self, *, start: datetime, end: datetime, chunk: int
    ) -> AsyncGenerator[Sequence[PaymentLine], None]:
        """Every payment started in ``[start, end)`` as export rows, oldest first, at most
        ``chunk`` at a time, read from the database as they are wanted."""
        ...

    async def outbox_backlog(self) -> OutboxBacklog:
        """Undelivered outbox messages per channel and the oldest one's age."""
        ...


class ReportUnitOfWork(UnitOfWork, Protocol):
    """The unit of work with the reporting queries."""

    @property
    def reports(self) -> ReportRepository:
        """The reporting queries of this unit."""
        ...

    @property
    def refunds(self) -> RefundRepository:
        """The refunds of this unit (completed refunds show in the reports)."""
        ...


ReportUnitOfWorkFactory = Callable[[], ReportUnitOfWork]
