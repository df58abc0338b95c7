"""A unit of work: one session and transaction shared by every repository."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.notify import notify_in
from storage.repositories.conversations import SqlConversationRepository
from storage.repositories.customers import SqlCustomerRepository
from storage.repositories.events import SqlPaymentEventRepository
from storage.repositories.order_book import SqlOrderBookRepository
from storage.repositories.orders import SqlOrderRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.payments import SqlPaymentRepository
from storage.repositories.plans import SqlPlanRepository
from storage.repositories.pushes import SqlPushRequestRepository
from storage.repositories.reports import SqlReportRepository
from storage.repositories.ussd_sessions import SqlUssdSessionRepository


class SqlUnitOfWork:
    """Implements ``checkout.ports.UnitOfWork`` on one SQLAlchemy session.

    Leaving the ``async with`` block without :meth:`commit` rolls back. After a commit that
    queued outbox messages, ``on_outbox`` is called so a sender can wake at once.
    """

    orders: SqlOrderRepository
    payments: SqlPaymentRepository
    events: SqlPaymentEventRepository
    outbox: SqlOutboxRepository
    conversations: SqlConversationRepository
    customers: SqlCustomerRepository
    reports: SqlReportRepository
    order_book: SqlOrderBookRepository
    ussd_sessions: SqlUssdSessionRepository
    pushes: SqlPushRequestRepository
    plans: SqlPlanRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        on_outbox: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._on_outbox = on_outbox
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session = self._sessions()
        self._session = session
        self.orders = SqlOrderRepository(session)
        self.payments = SqlPaymentRepository(session)
        self.events = SqlPaymentEventRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.conversations = SqlConversationRepository(session)
        self.customers = SqlCustomerRepository(session)
        self.reports = SqlReportRepository(session)
        self.order_book = SqlOrderBookRepository(session)
        self.ussd_sessions = SqlUssdSessionRepository(session)
        self.pushes = SqlPushRequestRepository(session)
        self.plans = SqlPlanRepository(session)
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
        """Commit everything written in this unit, then wake the outbox sender if needed."""
        await self.events.flush()
        await self.outbox.flush()
        if self.outbox.added and self.session.get_bind().dialect.name == "postgresql":
            # Other processes' senders listen for this; it is delivered only on commit.
            await notify_in(self.session)
        await self.session.commit()
        if self.outbox.added and self._on_outbox is not None:
            self.outbox.added = 0
            self._on_outbox()

    async def rollback(self) -> None:
        """Discard everything written in this unit."""
        await self.session.rollback()
        self.events.discard()
        self.outbox.discard()
        self.outbox.added = 0


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession], on_outbox: Callable[[], None] | None = None
) -> Callable[[], SqlUnitOfWork]:
    """A factory making a fresh unit of work per use."""
    return lambda: SqlUnitOfWork(sessions, on_outbox)
