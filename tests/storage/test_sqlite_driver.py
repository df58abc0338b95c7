"""Both SQLite drivers answer as a DBAPI cursor must (SQLAlchemy relies on each).

The one-trip driver is the default; SQLAlchemy's own adapter is the other side of the
``SQLITE_DRIVER`` switch, held to the same answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.exc import IntegrityError, OperationalError

from storage.database import SqliteDriver, create_engine
from storage.sqlite_driver import OneTripConnection


async def test_rows_counts_ids_and_errors_come_back_from_one_trip(
    tmp_path: Path, sqlite_driver: SqliteDriver
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}"
    engine = create_engine(url, sqlite_driver=sqlite_driver)
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            if sqlite_driver == SqliteDriver.LIPA:
                assert isinstance(raw.dbapi_connection, OneTripConnection)
            else:
                assert type(raw.dbapi_connection) is AsyncAdapt_aiosqlite_connection
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)"))
            inserted = await connection.execute(text("INSERT INTO t (n) VALUES (7)"))
            assert inserted.lastrowid == 1
            await connection.execute(
                text("INSERT INTO t (n) VALUES (:n)"), [{"n": n} for n in range(100)]
            )
            updated = await connection.execute(text("UPDATE t SET n = n + 1 WHERE n < 10"))
            assert updated.rowcount == 11  # the 7 and 0..9
            rows = (await connection.execute(text("SELECT id, n FROM t ORDER BY id"))).all()
            assert len(rows) == 101
            assert rows[0] == (1, 8)
            returned = await connection.execute(
                text("UPDATE t SET n = 0 WHERE id <= 3 RETURNING id")
            )
            assert sorted(returned.scalars()) == [1, 2, 3]
            streamed = await connection.stream(text("SELECT n FROM t WHERE id <= 5"))
            assert len([row async for row in streamed]) == 5
        async with engine.connect() as connection:
            with pytest.raises(IntegrityError):
                await connection.execute(text("INSERT INTO t (id, n) VALUES (1, 1)"))
            await connection.rollback()
            with pytest.raises(OperationalError):
                await connection.execute(text("SELECT * FROM missing"))
    finally:
        await engine.dispose()


async def test_the_default_sqlite_driver_is_the_one_trip_driver(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'default.db'}")
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.dbapi_connection, OneTripConnection)
    finally:
        await engine.dispose()
