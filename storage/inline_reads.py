"""The payment page's reads on SQLite, in the event loop's own thread (``WEB_PAGE_READS=inline``).

An order's page reads one order with its payments (one statement) and, for an order with
payments, its open plan. Through the units of work each statement crosses to aiosqlite's
thread and back (four trips with SQLAlchemy's own adapter, one with ``SQLITE_DRIVER=lipa``),
each woken through the event loop's self-pipe and each waiting for the interpreter lock:
with the one-trip driver still two thirds of the page's CPU (1.25 against 0.43 ms) and most
of its latency under load (docs/BENCHMARKS.md, "Session 9"). SQLite is a library in
this process, and a read of one indexed order from its page cache takes tens of
microseconds, less than one of those trips; here the page's reads run in the loop's thread
through SQLAlchemy's own synchronous ``sqlite3`` engine, with the same repositories and the
same statements as the units of work.

Why this is safe:

- The connection is opened read-only (``mode=ro``): nothing on this path can write.
- In WAL mode a reader neither waits for nor blocks a writer; each read sees the last
  commit (a commit by this process's units of work is seen by the next page).
- ``sqlite3`` opens a transaction only before a write, so a read holds no snapshot between
  pages; the connection is handed back at once.
- The one wait a WAL reader may meet (SQLite recovering the WAL index after a crash) is
  bounded by a short busy timeout; the caller then reads through its units of work instead.

PostgreSQL, or ``WEB_PAGE_READS=pool``, reads through the units of work as every other path.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Final, Protocol, cast

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from checkout.platform.ports import OrderReads, OrderSnapshot
from storage.repositories.order_book import SqlOrderBookRepository
from storage.repositories.plans import SqlPlanRepository
from storage.repositories.receipts import TOKEN_OF_PAYMENT

log = logging.getLogger(__name__)

# How long a read waits for SQLite's lock before the page reads through the pool instead.
BUSY_TIMEOUT_SECONDS: Final = 0.05


class _InlineSession:
    """The part of :class:`AsyncSession` the page's repositories read with, answered at once
    by a synchronous session in the calling thread (no trip to another thread)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def execute(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self._session.execute(statement, parameters, **kwargs)

    async def scalars(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return self._session.scalars(statement, parameters, **kwargs)


class InlineOrderReads:
    """Reads an order for its page on a SQLite file in the calling (event loop's) thread.

    ``fallback`` reads instead when SQLite cannot be read at once (see the module's notes).
    """

    def __init__(self, database_url: str, fallback: OrderReads) -> None:
        """``database_url``: the service's own (``sqlite+aiosqlite:///<file>``)."""
        path = make_url(database_url).database
        if not path or path == ":memory:":
            raise ValueError("inline reads need a SQLite file")
        self._fallback = fallback
        self._engine: Engine = create_engine(
            f"sqlite:///file:{path}?mode=ro&uri=true",
            # One connection, used from the event loop's thread, one read at a time.
            poolclass=StaticPool,
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )

    async def __call__(self, reference: str, *, with_plan: bool) -> OrderSnapshot | None:
        """See :class:`checkout.platform.ports.OrderReads`: the same repositories' reads as
        the units of work."""
        try:
            return await self._read(reference, with_plan=with_plan)
        except OperationalError as error:
            log.warning("page read of %s through the pool: SQLite said %s", reference, error.orig)
            return await self._fallback(reference, with_plan=with_plan)

    async def _read(self, reference: str, *, with_plan: bool) -> OrderSnapshot | None:
        # Every await below finishes at once: _InlineSession never waits for anything.
        with Session(self._engine) as session:
            # The repositories are written against AsyncSession; they read through
            # ``execute`` and ``scalars`` only, which _InlineSession answers at once.
            inline = cast(AsyncSession, _InlineSession(session))
            found = await SqlOrderBookRepository(inline).order_with_payments(reference)
            if found is None:
                return None
            order, payments = found
            plan = None
            if with_plan and payments:
                plan = await SqlPlanRepository(inline).open_for_order(order.reference)
        return order, payments, plan

    def token_of(self, payment_id: int) -> str | None:
        """The receipt token of this payment, or None if it has none (raises
        ``OperationalError`` when SQLite cannot be read at once)."""
        # A Core connection, not a Session: one column by key needs no ORM (a Session's
        # set-up and close cost as much as the read).
        with self._engine.connect() as connection:
            found = connection.scalar(TOKEN_OF_PAYMENT, {"b_payment_id": payment_id})
        return None if found is None else str(found)

    def dispose(self) -> None:
        """Close the connection (the service stopping)."""
        self._engine.dispose()


class ReceiptTokenStore(Protocol):
    """``web.ports.ReceiptTokens`` (storage does not import web): the units' own store."""

    async def token_for(self, payment_id: int, offered: str, *, now: datetime) -> str: ...

    async def payment_for(self, token: str) -> int | None: ...


class InlineReceiptTokens:
    """The page's receipt tokens, read in the event loop's thread on SQLite.

    A part-paid order's page links the receipt of its last payment. Its token is made once
    (at the settlement of a chat's payment, at the first view for a web payment), so the
    page's ask is almost always a read, answered here as the order's own reads are. A
    payment with no token yet (``fallback`` makes it: a write), or SQLite not
    readable at once: ``fallback``, through the pool. Opening a receipt (rarer) goes
    through ``fallback`` too.
    """

    def __init__(self, reads: InlineOrderReads, fallback: ReceiptTokenStore) -> None:
        self._reads = reads
        self._fallback = fallback

    async def token_for(self, payment_id: int, offered: str, *, now: datetime) -> str:
        """See ``web.ports.ReceiptTokens.token_for``."""
        try:
            found = self._reads.token_of(payment_id)
        except OperationalError as error:
            log.warning("receipt token read through the pool: SQLite said %s", error.orig)
            found = None
        if found is not None:
            return found
        return await self._fallback.token_for(payment_id, offered, now=now)

    async def payment_for(self, token: str) -> int | None:
        """See ``web.ports.ReceiptTokens.payment_for``."""
        return await self._fallback.payment_for(token)
