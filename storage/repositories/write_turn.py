"""SQLite's write turn: a transaction that must not be overtaken takes the one write lock first."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OrderRow

# A write matching no row: the sqlite3 driver begins the transaction before it, and SQLite
# hands the transaction its one write lock.
_NO_OP = (
    update(OrderRow)
    .where(OrderRow.id == -1)
    .values(reference=OrderRow.reference)
    .execution_options(synchronize_session=False)
)


async def take_write_turn(session: AsyncSession) -> None:
    """On SQLite, hold the database's write lock until the transaction ends; elsewhere nothing.

    The sqlite3 driver begins a transaction only at the first write, so the reads a step makes
    before its own write could be overtaken by another writer: what they checked (a push
    limit, the pushes already pending on an order) might no longer hold when it writes. A write
    that matches no row begins the transaction in the order this is called. A connection that
    has written in this transaction already holds the lock (:class:`storage.database.SqliteWriters`
    marks it ``writing``), so nothing is sent twice.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = await session.connection()
    if connection.info.get("writing"):
        return
    await session.execute(_NO_OP)
