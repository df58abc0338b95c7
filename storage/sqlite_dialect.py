"""SQLAlchemy's aiosqlite dialect, without a trip to aiosqlite's thread to end a transaction
SQLite never began.

Python's ``sqlite3`` (in its default, legacy transaction control, which SQLAlchemy keeps)
begins a transaction only before a write: a unit of work that only read has none, and
``sqlite3``'s own ``rollback()`` and ``commit()`` then do nothing. aiosqlite still hands each
to its thread and waits for it (about 60 µs of CPU each), and SQLAlchemy ends a unit that
only read with two of them (the transaction's and the pool's reset when the connection goes
back). Here each asks aiosqlite's public ``in_transaction`` first and makes the trip only if
SQLite has a transaction to end: nothing else changes, since without one the trip did nothing.
SQLAlchemy's asyncpg adapter does the same for PostgreSQL (it ends only a transaction it began).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL, make_url

# The driver name this dialect is registered under (``sqlite+<DRIVER>://``).
DRIVER: Final = "aiosqlite_lazy_end"


class LazyEndSqliteDialect(SQLiteDialect_aiosqlite):
    """aiosqlite's dialect; a commit or rollback with no SQLite transaction open is skipped."""

    supports_statement_cache = True

    def do_rollback(self, dbapi_connection: Any) -> None:
        """Roll back, if SQLite has a transaction open."""
        if began(dbapi_connection):
            # SQLAlchemy leaves DefaultDialect's do_rollback and do_commit untyped.
            super().do_rollback(dbapi_connection)  # type: ignore[no-untyped-call]

    def do_commit(self, dbapi_connection: Any) -> None:
        """Commit, if SQLite has a transaction open."""
        if began(dbapi_connection):
            super().do_commit(dbapi_connection)  # type: ignore[no-untyped-call]


def began(dbapi_connection: Any) -> bool:
    """Whether the connection's SQLite has a transaction open (True when it cannot tell)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is None:
        return True
    try:
        return bool(driver.in_transaction)
    except ValueError:  # aiosqlite's "no active connection": the driver's own call says so
        return True


def lazy_end_url(url: str | URL) -> URL:
    """``url`` with this dialect for an aiosqlite URL; any other URL unchanged."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        return parsed.set(drivername=f"sqlite+{DRIVER}")
    return parsed


registry.register(f"sqlite.{DRIVER}", __name__, "LazyEndSqliteDialect")
