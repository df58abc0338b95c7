"""SQLAlchemy's aiosqlite adapter, with one trip to SQLite's thread per statement.

aiosqlite runs each SQLite call on a thread of its connection; SQLAlchemy's adapter makes
four such calls per statement (open a cursor, execute, fetch the rows, close the cursor).
Every trip is a hand-over to that thread and back through the event loop, about 60 µs of CPU
each on a small machine, so a statement cost several times SQLite's own work. Here a
statement is one function run on that thread, which does all four and hands back the
description, the rows, the row count and the last row id together.

It relies on two internals, pinned in ``pyproject.toml`` and exercised by every SQLite test:
aiosqlite's ``Connection._execute`` (queue a call for its thread) and the cursor and
connection classes of ``sqlalchemy.dialects.sqlite.aiosqlite``.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

_Outcome = tuple[Any, list[Any], int, int | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """On SQLite's thread: execute, read every row, close; what the cursor had to say."""
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, parameters)
        return cursor.description, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A DBAPI cursor whose every statement is one call on the connection's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is opened here: each statement opens and closes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1  # the DBAPI default; every row is in memory already

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        return

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        return  # the rows were read with the statement; there is nothing open

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._call(_run, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._call(_run_many, operation, seq_of_parameters)

    async def _call(self, function: Any, operation: Any, parameters: Any) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await connection._execute(  # type: ignore[no-untyped-call]
                _on_thread, function, connection, operation, parameters
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    def nextset(self) -> None:
        return None

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


def _on_thread(
    function: Any, connection: aiosqlite.Connection, operation: str, parameters: Any
) -> _Outcome:
    # aiosqlite's connection property is read here, on its own thread, like aiosqlite does.
    result: _Outcome = function(connection._conn, operation, parameters)
    return result


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection, handing out :class:`OneTripCursor`."""

    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI module, whose connections use :class:`OneTripCursor`."""

    def connect(self, *args: Any, **kwargs: Any) -> OneTripConnection:
        connection = super().connect(*args, **kwargs)
        connection.__class__ = OneTripConnection  # same slots: only the cursor class differs
        return connection  # type: ignore[return-value]


def one_trip_dbapi() -> OneTripDbapi:
    """The DBAPI module to give ``create_async_engine(..., module=...)`` for SQLite."""
    return OneTripDbapi(aiosqlite, sqlite3)
