"""A unit of work: one session and transaction shared by every repository."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout.outbox.ports import OutboxDelivery
from storage.outbox_handover import OutboxHandOver
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
from storage.repositories.refunds import SqlRefundRepository
from storage.repositories.reports import SqlReportRepository
from storage.repositories.till import SqlTillRepository
from storage.repositories.ussd_sessions import SqlUssdSessionRepository
from storage.repositories.ways_out import SqlWaysOutRepository

# Every repository of a unit, by attribute name: each is made on first use in the unit (a
# page that reads one table makes one, not seventeen).
_REPOSITORIES: Final[dict[str, Callable[[AsyncSession], object]]] = {
    "orders": SqlOrderRepository,
    "payments": SqlPaymentRepository,
    "audit": SqlAuditRepository,
    "callback_bodies": SqlCallbackBodyRepository,
    "outbox": SqlOutboxRepository,
    "conversations": SqlConversationRepository,
    "customers": SqlCustomerRepository,
    "reports": SqlReportRepository,
    "order_book": SqlOrderBookRepository,
    "ussd_sessions": SqlUssdSessionRepository,
    "pushes": SqlPushRequestRepository,
    "plans": SqlPlanRepository,
    "push_limits": SqlPushLimitRepository,
    "ways_out": SqlWaysOutRepository,
    "refunds": SqlRefundRepository,
    "till": SqlTillRepository,
}


class SqlUnitOfWork:
    """Implements ``checkout.payments.unit.UnitOfWork`` on one SQLAlchemy session.

    Its repositories are made on first use, on the unit's session. Leaving the ``async with``
    block without :meth:`commit` rolls back. Whoever needs to act around a commit registers a
    step: :meth:`before_commit` steps run in the transaction just before it commits (on every
    commit), :meth:`after_commit` callbacks once it has committed (for that commit only).
    ``hooks`` register their steps on each new unit (the outbox hand-over of
    :mod:`storage.outbox_handover` is one).
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
    ways_out: SqlWaysOutRepository
    refunds: SqlRefundRepository
    till: SqlTillRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hooks: Sequence[UnitHook] = (),
    ) -> None:
        self._sessions = sessions
        self._hooks = tuple(hooks)
        self._session: AsyncSession | None = None
        self._made: list[str] = []
        self._before_commit: list[Callable[[], Awaitable[None]]] = []
        self._after_commit: list[Callable[[], None]] = []

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        for name in self._made:  # a unit entered again starts with fresh repositories
            del self.__dict__[name]
        self._made = []
        self._before_commit = [self._flush_kept]
        self._after_commit = []
        for hook in self._hooks:
            hook(self)
        # Whatever no hook wrote yet (no-op when a hook flushed the outbox already).
        self.before_commit(self._flush_outbox)
        return self

    if not TYPE_CHECKING:  # to the type checker the repositories are the attributes above

        def __getattr__(self, name: str) -> Any:
            """A repository, made on first use on the open session (then an attribute)."""
            make = _REPOSITORIES.get(name)
            if make is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            repository = make(self.session)
            setattr(self, name, repository)
            self._made.append(name)
            return repository

    def _has(self, name: str) -> bool:
        """Whether this unit has made the repository ``name`` (used it)."""
        return name in self.__dict__

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

    @property
    def writes_in_turn(self) -> bool:
        """True on SQLite: one write lock for the whole database, and a transaction that
        holds it reads from the moment it took it (see ``checkout.payments.unit``)."""
        return self.session.get_bind().dialect.name == "sqlite"

    def before_commit(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run ``step`` inside the transaction just before each commit, in registration order."""
        self._before_commit.append(step)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the next commit has succeeded (never if it rolls back)."""
        self._after_commit.append(callback)

    async def _flush_kept(self) -> None:
        # The audit trail and callback bodies a unit recorded are written as it commits.
        if self._has("audit"):
            await self.audit.flush()
        if self._has("callback_bodies"):
            await self.callback_bodies.flush()

    async def _flush_outbox(self) -> None:
        if self._has("outbox"):
            await self.outbox.flush()

    async def commit(self) -> None:
        """Run the before-commit steps, commit, then call the after-commit callbacks."""
        for step in self._before_commit:
            await step()
        await self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def rollback(self) -> None:
        """Discard everything written in this unit."""
        await self.session.rollback()
        self._after_commit = []
        for name in ("audit", "callback_bodies", "outbox"):
            if self._has(name):
                getattr(self, name).discard()


UnitHook = Callable[[SqlUnitOfWork], None]
"""Registers a hook's commit steps on a unit of work as it opens."""


class SqlUnits:
    """Makes a fresh unit of work per use, all on one session factory, with ``hooks`` attached.

    ``hand_over`` is the outbox's commit step (always attached: on PostgreSQL it wakes other
    processes); it hands each commit's messages to ``delivery``, the process's sender (a
    :class:`checkout.outbox.handoff.SenderSlot` when the sender is built after the units).
    ``origin`` marks this process's PostgreSQL notifications.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        delivery: OutboxDelivery | None = None,
        hooks: Sequence[UnitHook] = (),
    ) -> None:
        self._sessions = sessions
        self.origin = secrets.token_hex(8)
        self.hand_over = OutboxHandOver(self.origin, delivery)
        self.hooks: tuple[UnitHook, ...] = (self.hand_over.attach, *hooks)

    @property
    def delivery(self) -> OutboxDelivery | None:
        """The sender commits hand the messages they queue to (None: none in this process)."""
        return self.hand_over.delivery

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self.hooks)


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession], delivery: OutboxDelivery | None = None
) -> SqlUnits:
    """A factory making a fresh unit of work per use."""
    return SqlUnits(sessions, delivery)
