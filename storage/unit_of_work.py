"""A unit of work: one session and transaction shared by every repository."""

from __future__ import annotations

import secrets
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout.domain.ports import OutboxDelivery
from storage.notify import notify_in
from storage.repositories.audit import SqlAuditRepository
from storage.repositories.callback_bodies import SqlCallbackBodyRepository
from storage.repositories.conversations import SqlConversationRepository
from storage.repositories.customers import SqlCustomerRepository
from storage.repositories.order_book import SqlOrderBookRepository
from storage.repositories.orders import SqlOrderRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.payments import SqlPaymentRepository
from storage.repositories.plans import SqlPlanRepository
from storage.repositories.push_limits import SqlPushLimitRepository
from storage.repositories.pushes import SqlPushRequestRepository
from storage.repositories.reports import SqlReportRepository
from storage.repositories.ussd_sessions import SqlUssdSessionRepository


class SqlUnitOfWork:
    """Implements ``checkout.domain.ports.UnitOfWork`` on one SQLAlchemy session.

    Leaving the ``async with`` block without :meth:`commit` rolls back. A commit that queues
    outbox messages claims them for ``delivery`` (the sender in this process, while it runs)
    and hands them over once committed; what it could not claim (a chat with an earlier
    message still waiting) wakes the sender, and on PostgreSQL the other processes' too.
    """

    orders: SqlOrderRepository
    payments: SqlPaymentRepository
    audit: SqlAuditRepository
    callback_bodies: SqlCallbackBodyRepository
    outbox: SqlOutboxRepository
    conversations: SqlConversationRepository
    customers: SqlCustomerRepository
    reports: SqlReportRepository
    order_book: SqlOrderBookRepository
    ussd_sessions: SqlUssdSessionRepository
    pushes: SqlPushRequestRepository
    plans: SqlPlanRepository
    push_limits: SqlPushLimitRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        delivery: OutboxDelivery | None = None,
        origin: str = "",
    ) -> None:
        self._sessions = sessions
        self._delivery = delivery
        self._origin = origin
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session = self._sessions()
        self._session = session
        self.orders = SqlOrderRepository(session)
        self.payments = SqlPaymentRepository(session)
        self.audit = SqlAuditRepository(session)
        self.callback_bodies = SqlCallbackBodyRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.conversations = SqlConversationRepository(session)
        self.customers = SqlCustomerRepository(session)
        self.reports = SqlReportRepository(session)
        self.order_book = SqlOrderBookRepository(session)
        self.ussd_sessions = SqlUssdSessionRepository(session)
        self.pushes = SqlPushRequestRepository(session)
        self.plans = SqlPlanRepository(session)
        self.push_limits = SqlPushLimitRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._session
        self._session = None
        if session is None:
            return
        try:
            await session.rollback()
        finally:
            await session.close()

    @property
    def session(self) -> AsyncSession:
        """The open session (for repositories added by later features)."""
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    async def commit(self) -> None:
        """Commit everything written in this unit, then hand new outbox messages to the sender."""
        await self.audit.flush()
        await self.callback_bodies.flush()
        delivery = self._delivery
        claimed = await self.outbox.flush(
            claim_until=delivery.lease_until() if delivery is not None else None
        )
        waiting = self.outbox.unclaimed
        if waiting and self.session.get_bind().dialect.name == "postgresql":
            # Other processes' senders listen for this; it is delivered only on commit.
            await notify_in(self.session, self._origin)
        await self.session.commit()
        self.outbox.unclaimed = set()
        if delivery is not None:
            if claimed:
                delivery.take(claimed)
            if waiting:
                delivery.waiting(waiting)

    async def rollback(self) -> None:
        """Discard everything written in this unit."""
        await self.session.rollback()
        self.audit.discard()
        self.callback_bodies.discard()
        self.outbox.discard()


class SqlUnits:
    """Makes a fresh unit of work per use, all on one session factory.

    ``delivery`` is set once the process's outbox sender exists (it needs the units first).
    ``origin`` marks the PostgreSQL notifications these units send, so this process's own
    listener can tell them from other processes'.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        delivery: OutboxDelivery | None = None,
    ) -> None:
        self._sessions = sessions
        self.delivery = delivery
        self.origin = secrets.token_hex(8)

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self.delivery, self.origin)


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession], delivery: OutboxDelivery | None = None
) -> SqlUnits:
    """A factory making a fresh unit of work per use."""
    return SqlUnits(sessions, delivery)
