"""An in-memory unit of work: the payment and conversation ports without a database.

:class:`MemoryUnits` makes units implementing ``checkout.conversation.ports.
ConversationUnitOfWork`` (and so ``checkout.payments.unit.UnitOfWork``) over one shared
:class:`MemoryDatabase`, for fast flow and service tests. It keeps the rules of the
in-memory outbox (``lipa_testing.memory_outbox``) for every table: writes are seen by other
units only once committed; one unit writes at a time, from its first write (or lock, as
``orders.hold``) to its commit or rollback; reads outside a write see what is committed.
The contract tests (``tests/contracts/``) hold each repository to SQLite and PostgreSQL.
Buy-Now-Pay-Later, the till and the other areas' repositories are not held: tests of those
run on the databases.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import TYPE_CHECKING, Self

from lipa_testing.memory_bodies import MemoryAuditRepository, MemoryCallbackBodyRepository
from lipa_testing.memory_chats import MemoryConversationRepository, MemoryCustomerRepository
from lipa_testing.memory_outbox import MemoryOutbox, MemoryOutboxUnit
from lipa_testing.memory_payments import (
    MemoryOrderBookRepository,
    MemoryOrderRepository,
    MemoryPaymentRepository,
)
from lipa_testing.memory_pushes import MemoryPushLimitRepository, MemoryPushRequestRepository
from lipa_testing.memory_tables import Tables

if TYPE_CHECKING:
    from checkout.conversation.ports import ConversationUnitOfWork


class MemoryDatabase(MemoryOutbox):
    """The committed tables (the outbox's among them) and the one-writer-at-a-time lock."""

    def __init__(self) -> None:
        super().__init__()
        self.tables = Tables()
        # A sequence per table, from 1: like the databases', never taken back.
        self.serials: defaultdict[str, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1)
        )


class MemoryUnit(MemoryOutboxUnit):
    """Implements ``ConversationUnitOfWork`` on a :class:`MemoryDatabase`."""

    store: MemoryDatabase
    orders: MemoryOrderRepository
    payments: MemoryPaymentRepository
    audit: MemoryAuditRepository
    callback_bodies: MemoryCallbackBodyRepository
    customers: MemoryCustomerRepository
    order_book: MemoryOrderBookRepository
    pushes: MemoryPushRequestRepository
    push_limits: MemoryPushLimitRepository
    conversations: MemoryConversationRepository

    def __init__(self, store: MemoryDatabase) -> None:
        super().__init__(store)
        self._tables: Tables | None = None  # its writes, while it holds the lock

    def read(self) -> Tables:
        """What this unit sees: its own writes, else what is committed."""
        return self._tables if self._tables is not None else self.store.tables

    async def write(self) -> Tables:
        """This unit's writable tables, taken once it is the store's one writer."""
        await self.writing()
        if self._tables is None:
            self._tables = self.store.tables.copy()
        return self._tables

    @property
    def writes_in_turn(self) -> bool:
        """True: :meth:`write` makes this unit the store's one writer until it ends."""
        return True

    def next_id(self, table: str) -> int:
        """A new id in ``table``."""
        return next(self.store.serials[table])

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.orders = MemoryOrderRepository(self)
        self.payments = MemoryPaymentRepository(self)
        self.audit = MemoryAuditRepository(self)
        self.callback_bodies = MemoryCallbackBodyRepository(self)
        self.customers = MemoryCustomerRepository(self)
        self.order_book = MemoryOrderBookRepository(self)
        self.pushes = MemoryPushRequestRepository(self)
        self.push_limits = MemoryPushLimitRepository(self)
        self.conversations = MemoryConversationRepository(self)
        return self

    async def commit(self) -> None:
        """Make this unit's writes everyone's (the outbox's with them)."""
        await self.outbox.flush()
        if self._tables is not None:
            self.store.tables = self._tables
        await super().commit()

    def _release(self) -> None:
        self._tables = None
        super()._release()


class MemoryUnits:
    """Makes a fresh in-memory unit per use, all on one :class:`MemoryDatabase`."""

    def __init__(self, store: MemoryDatabase | None = None) -> None:
        self.store = store if store is not None else MemoryDatabase()

    def __call__(self) -> MemoryUnit:
        return MemoryUnit(self.store)


def _typed(unit: MemoryUnit) -> ConversationUnitOfWork:
    return unit  # mypy checks here that the memory unit is a ConversationUnitOfWork
