"""Connections: dropped PostgreSQL ones are replaced; SQLite writers take turns in-process."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import SqliteDriver, SqliteWriters, create_engine, session_factory


async def _terminate_other_backends(url: str) -> int:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        killed = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return len(killed)


async def test_an_idle_connection_dropped_by_the_server_is_replaced(pg_database_url: str) -> None:
    engine = create_engine(pg_database_url, idle_ping_seconds=0.0)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert await _terminate_other_backends(pg_database_url) >= 1

        async with engine.connect() as connection:
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()


async def test_a_recently_used_connection_is_not_pinged_and_a_drop_costs_one_failure(
    pg_database_url: str,
) -> None:
    # Without the ping the dropped connection is handed out: the statement on it fails, the
    # failure is recognised as a disconnect, and the pool is replaced for the next one.
    engine = create_engine(pg_database_url, idle_ping_seconds=3600.0)
    try:
        async with engine.connect() as connection:
            await connection.scalar(text("SELECT 1"))
        assert await _terminate_other_backends(pg_database_url) >= 1

        with pytest.raises(DBAPIError) as failure:
            async with engine.connect() as connection:
                await connection.scalar(text("SELECT 1"))
        assert failure.value.connection_invalidated

        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def sqlite_with_table(path: Path, **options: Any) -> AsyncIterator[AsyncEngine]:
    """An engine on a new SQLite file holding an empty table ``t (n INTEGER)``."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}", **options)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        yield engine
    finally:
        await engine.dispose()


async def numbers(engine: AsyncEngine) -> str:
    """The table's numbers in insertion order, comma-separated."""
    async with engine.connect() as connection:
        return str(await connection.scalar(text("SELECT group_concat(n) FROM t")))


async def test_sqlite_writers_take_turns_and_readers_never_wait(
    tmp_path: Path, sqlite_driver: SqliteDriver
) -> None:
    order: list[str] = []
    async with sqlite_with_table(tmp_path / "turns.db", sqlite_driver=sqlite_driver) as engine:
        first_wrote = asyncio.Event()
        release_first = asyncio.Event()

        async def first() -> None:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (1)"))
                first_wrote.set()
                await release_first.wait()
                order.append("first commits")

        async def second() -> None:
            await first_wrote.wait()
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t VALUES (2)"))
                order.append("second wrote")

        async def reader() -> None:
            await first_wrote.wait()
            async with engine.connect() as connection:
                await connection.scalar(text("SELECT count(*) FROM t"))
            order.append("read")
            release_first.set()

        async with asyncio.timeout(10):
            await asyncio.gather(first(), second(), reader())
        assert order == ["read", "first commits", "second wrote"]

        # A rolled-back or failed writer gives its turn back too.
        async with engine.connect() as connection:
            await connection.execute(text("INSERT INTO t VALUES (3)"))
            with pytest.raises(DBAPIError):
                await connection.execute(text("INSERT INTO missing VALUES (4)"))
            await connection.rollback()
        async with asyncio.timeout(10), engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (5)"))
        assert await numbers(engine) == "1,2,5"


async def test_a_sqlite_writer_that_waits_too_long_is_told_the_database_is_locked(
    tmp_path: Path, sqlite_driver: SqliteDriver
) -> None:
    async with sqlite_with_table(
        tmp_path / "locked.db", sqlite_write_wait_seconds=0.2, sqlite_driver=sqlite_driver
    ) as engine:
        async with engine.connect() as holder:
            await holder.execute(text("INSERT INTO t VALUES (1)"))  # holds its turn
            with pytest.raises(OperationalError, match="database is locked"):
                async with engine.begin() as connection:
                    await connection.execute(text("INSERT INTO t VALUES (2)"))
            await holder.commit()
        async with asyncio.timeout(5), engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (3)"))
        assert await numbers(engine) == "1,3"


async def test_a_sqlite_session_that_only_read_ends_without_a_trip_to_the_driver(
    tmp_path: Path, sqlite_driver: SqliteDriver
) -> None:
    # sqlite3 begins a transaction only before a write: ending one that only read did nothing
    # but cost a trip to aiosqlite's thread, so none is made; a writer still commits or rolls
    # back for real.
    async with sqlite_with_table(tmp_path / "ends.db", sqlite_driver=sqlite_driver) as engine:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
        assert driver is not None
        ended: list[str] = []

        def counting(name: str) -> None:
            real = getattr(driver, name)

            async def end() -> None:
                ended.append(name)
                await real()

            setattr(driver, name, end)

        counting("commit")
        counting("rollback")
        sessions = session_factory(engine)
        async with sessions() as session:  # read, then closed (rolled back)
            assert await session.scalar(text("SELECT count(*) FROM t")) == 0
        async with sessions() as session:  # read, then committed
            await session.scalar(text("SELECT count(*) FROM t"))
            await session.commit()
        assert ended == []
        async with sessions() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            await session.commit()
        async with sessions() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))  # closed: rolled back
        assert ended == ["commit", "rollback"]
        assert await numbers(engine) == "1"
        async with engine.connect() as connection:
            assert (await connection.get_raw_connection()).driver_connection is driver


async def test_engines_on_two_event_loops_take_the_same_sqlite_turns(tmp_path: Path) -> None:
    # The outbox's thread has an engine and a loop of its own on the server's file.
    writers = SqliteWriters()
    path = tmp_path / "two.db"
    async with sqlite_with_table(path, sqlite_writers=writers) as engine:

        async def write(number: int) -> None:
            other = create_engine(f"sqlite+aiosqlite:///{path}", sqlite_writers=writers)
            try:
                async with other.begin() as connection:
                    await connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": number})
            finally:
                await other.dispose()

        thread = threading.Thread(target=asyncio.run, args=(write(2),))
        try:
            async with engine.connect() as holder:
                await holder.execute(text("INSERT INTO t VALUES (1)"))  # holds the turn
                thread.start()
                # The other loop's writer waits for this turn (not in SQLite's busy handler)...
                async with asyncio.timeout(10):
                    while writers.waiting == 0:  # noqa: ASYNC110 - another loop's waiter
                        await asyncio.sleep(0.01)
                await holder.commit()
            # ...and gets it once this loop's connection is back in the pool.
        finally:
            if thread.ident is not None:
                await asyncio.to_thread(thread.join, 10)
        assert not thread.is_alive()
        assert writers.waiting == 0
        async with asyncio.timeout(10), engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (3)"))  # the turn came back
        assert await numbers(engine) == "1,2,3"
