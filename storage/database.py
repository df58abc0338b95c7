"""Engine and session factory for SQLite (WAL, busy timeout) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import collections
import functools
import sqlite3
import threading
import time
from enum import StrEnum
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from storage.sqlite_dialect import lazy_end_url
from storage.sqlite_driver import one_trip_dbapi

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 10.0


class SqliteDriver(StrEnum):
    """Which DBAPI module carries SQLite statements (the ``SQLITE_DRIVER`` setting).

    ``LIPA`` is :mod:`storage.sqlite_driver`: one trip to aiosqlite's thread per statement
    instead of four, on SQLAlchemy's and aiosqlite's internals (versions pinned in
    ``pyproject.toml``). ``AIOSQLITE`` is SQLAlchemy's own aiosqlite adapter, unmodified:
    slower per statement, but nothing private, so the way out should an upgrade break the
    other. Both behave the same and both run the storage tests.
    """

    LIPA = "lipa"
    AIOSQLITE = "aiosqlite"


def is_sqlite(url: str) -> bool:
    """Whether a database URL names SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 10,
    idle_ping_seconds: float = IDLE_PING_SECONDS,
    sqlite_write_wait_seconds: float = SQLITE_BUSY_TIMEOUT_MS / 1000,
    sqlite_writers: SqliteWriters | None = None,
    sqlite_driver: SqliteDriver = SqliteDriver.LIPA,
) -> AsyncEngine:
    """An async engine; on SQLite every connection gets WAL, a busy timeout and foreign keys.

    On PostgreSQL a pooled connection idle for ``idle_ping_seconds`` or more is pinged
    before it is handed out, and replaced if the server has dropped it. On SQLite a writer
    waits at most ``sqlite_write_wait_seconds`` for its turn (see :class:`SqliteWriters`);
    engines on one file in one process share one ``sqlite_writers`` (made here if not given).
    ``sqlite_driver`` chooses the DBAPI module (see :class:`SqliteDriver`); either way the
    dialect skips ending a transaction SQLite never began (:mod:`storage.sqlite_dialect`: a
    unit that only read makes no ``ROLLBACK`` trip).
    """
    if is_sqlite(url):
        # Without ``module`` SQLAlchemy imports aiosqlite and uses its own adapter.
        driver = {"module": one_trip_dbapi()} if sqlite_driver == SqliteDriver.LIPA else {}
        engine = create_async_engine(
            lazy_end_url(url),
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **driver,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        writers = sqlite_writers or SqliteWriters(sqlite_write_wait_seconds)
        event.listen(engine.sync_engine, "before_cursor_execute", writers.before_execute)
        event.listen(engine.sync_engine, "checkin", writers.checkin)
        return engine
    engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
    event.listen(engine.sync_engine, "checkin", _note_checkin)
    event.listen(
        engine.sync_engine, "checkout", functools.partial(_ping_if_idle, idle_ping_seconds)
    )
    return engine


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(idle_seconds: float, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a pooled connection that sat idle, so one the server dropped is replaced.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: with asyncpg that is a BEGIN, a
    query and a ROLLBACK (three round trips, about 0.3 ms of CPU) before every transaction,
    a third of a short transaction's cost. A connection used in the last few seconds is
    pinged by its own last statement; one that fails later anyway is a disconnect, which
    makes SQLAlchemy discard the whole pool, and every worker retries its pass.
    """
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        # The pool discards this connection and checks out (or opens) another.
        raise exc.DisconnectionError("idle connection failed its ping") from error


# The statements before which the sqlite3 driver opens a transaction, taking SQLite's one
# write lock until the transaction ends.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class SqliteWriters:
    """Lets this process's SQLite write transactions take turns on an in-process lock.

    SQLite has one write lock per database. A second writer that finds it taken waits in
    SQLite's busy handler, which sleeps in steps of up to 100 ms whatever the first does, so
    under load a write waited up to a second for a lock free after a millisecond. Here a
    connection about to write first takes this lock, held until the connection goes back to
    the pool (right after its commit or rollback): the next writer starts the moment the lock
    is free, and readers, who never take it, are not held up. Other processes on the same
    file (a one-off ``lipa`` command) still meet the busy timeout.

    One lock may serve several engines on event loops of their own (the outbox sender's
    thread, see :mod:`lipa.delivery_thread`): a turn is handed to a waiter on another loop
    through that loop's ``call_soon_threadsafe``.
    """

    def __init__(self, timeout_seconds: float = SQLITE_BUSY_TIMEOUT_MS / 1000) -> None:
        # A lock of its own rather than asyncio.Lock: taking a free one must not await (this
        # runs before every write), and a turn passes straight to the next waiter, in order.
        self._held = False
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._timeout = timeout_seconds
        self._mutex = threading.Lock()  # the state above, between the loops' threads

    @property
    def waiting(self) -> int:
        """How many writers wait for their turn."""
        with self._mutex:
            return sum(not turn.done() for turn in self._waiters)

    def before_execute(self, connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """Take the lock before a connection's first write of a transaction."""
        info = connection.info
        if info.get("writing") or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        turn = None
        with self._mutex:
            if self._held:
                turn = asyncio.get_running_loop().create_future()
                self._waiters.append(turn)
            else:
                self._held = True
        if turn is not None:
            # Events are synchronous; SQLAlchemy runs them in the greenlet of an awaiting
            # coroutine, where await_ waits without blocking the event loop.
            await_(self._wait_for_turn(turn))
        info["writing"] = True

    def checkin(self, _dbapi_connection: Any, record: Any) -> None:
        """Give the lock back when its connection returns to the pool, transaction over."""
        if record.info.pop("writing", False):
            self._release()

    async def _wait_for_turn(self, turn: asyncio.Future[None]) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await turn
        except BaseException as error:
            if turn.done() and not turn.cancelled():
                self._release()  # the turn came just as we gave up (timeout or cancel): pass it on
            if isinstance(error, TimeoutError):
                # What SQLite itself says when its busy timeout runs out.
                raise sqlite3.OperationalError("database is locked") from None
            raise

    def _release(self) -> None:
        with self._mutex:
            while self._waiters:
                turn = self._waiters.popleft()
                if turn.done():
                    continue  # it gave up waiting
                if _running_loop() is turn.get_loop():
                    turn.set_result(None)  # the lock stays held, now by that waiter
                    return
                try:
                    turn.get_loop().call_soon_threadsafe(self._hand, turn)
                except RuntimeError:
                    continue  # that loop is closed: its waiter is gone
                return  # held, on its way to that waiter
            self._held = False

    def _hand(self, turn: asyncio.Future[None]) -> None:
        """Give a turn to a waiter of another loop, on its loop (or on, if it gave up meanwhile)."""
        if turn.done():
            self._release()
        else:
            turn.set_result(None)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while one writer commits; the busy timeout makes a second writer
    # wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
