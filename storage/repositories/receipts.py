"""Receipt tokens: the unguessable key of each paid payment's receipt."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ReceiptTokenRow

_TOKENS = cast(Table, ReceiptTokenRow.__table__)
# The first token offered for a payment wins; a second offer (two pages at once) keeps it.
_NEW = {
    name: dialect.insert(_TOKENS)
    .values(
        payment_id=bindparam("b_payment_id"),
        token=bindparam("b_token"),
        created_at=bindparam("b_now"),
    )
    .on_conflict_do_nothing(index_elements=["payment_id"])
    .returning(_TOKENS.c.token, _TOKENS.c.payment_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# Also read in the event loop's thread for the page (storage.inline_reads).
TOKEN_OF_PAYMENT = select(_TOKENS.c.token).where(_TOKENS.c.payment_id == bindparam("b_payment_id"))
_BY_PAYMENTS = select(_TOKENS.c.payment_id, _TOKENS.c.token).where(
    _TOKENS.c.payment_id.in_(bindparam("b_payment_ids", expanding=True))
)
_BY_TOKEN = select(_TOKENS.c.payment_id).where(_TOKENS.c.token == bindparam("b_token"))


async def token_in(session: AsyncSession, payment_id: int, offered: str, *, now: datetime) -> str:
    """The payment's token, stored in ``session``'s transaction: ``offered`` if it had none.

    One statement when the payment had none (every settlement: the token is made as the
    payment is settled paid), a second to read the one it had otherwise."""
    dialect = session.get_bind().dialect.name
    stored = await session.scalar(
        _NEW[dialect], {"b_payment_id": payment_id, "b_token": offered, "b_now": now}
    )
    if stored is None:  # it had one already: the conflict kept it
        stored = await session.scalar(TOKEN_OF_PAYMENT, {"b_payment_id": payment_id})
    return str(stored)


async def tokens_in(
    session: AsyncSession, offered: Mapping[int, str], *, now: datetime
) -> dict[int, str]:
    """Each payment's token, stored in ``session``'s transaction: the one ``offered`` for it
    if it had none, else the one it had (as :func:`token_in`, for several payments at once).

    One INSERT for them all (a settling batch's paid payments), in payment order, and one
    read more only when some had a token already."""
    if not offered:
        return {}
    dialect = session.get_bind().dialect.name
    ids = sorted(offered)
    written = await session.execute(
        _NEW[dialect],
        [{"b_payment_id": pid, "b_token": offered[pid], "b_now": now} for pid in ids],
    )
    stored = {row.payment_id: str(row.token) for row in written}
    if had := [pid for pid in ids if pid not in stored]:  # the conflict kept theirs
        kept = await session.execute(_BY_PAYMENTS, {"b_payment_ids": had})
        stored.update((row.payment_id, str(row.token)) for row in kept)
    return stored


class SqlReceiptTokens:
    """Stores one token per payment, each read in a short transaction of its own."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def token_for(self, payment_id: int, offered: str, *, now: datetime) -> str:
        """The payment's token: ``offered`` if it had none yet, else the one it has.

        Read first: a payment's token is made once (as a chat's payment is settled, at the
        first view of its page for the web's), and every view of a part-paid order's page
        asks for it. Offering it first (an INSERT that conflicts)
        made each view a write, and on SQLite each took the one write lock in turn with
        the payments being settled (the page's p99 went from 25 to 171 ms with half the
        orders part-paid, docs/BENCHMARKS.md)."""
        async with self._sessions() as session:
            found = await session.scalar(TOKEN_OF_PAYMENT, {"b_payment_id": payment_id})
            if found is not None:
                return str(found)
            stored = await token_in(session, payment_id, offered, now=now)
            await session.commit()
        return stored

    async def payment_for(self, token: str) -> int | None:
        """The id of the payment this token opens, or None for a token never handed out."""
        async with self._sessions() as session:
            found = await session.scalar(_BY_TOKEN, {"b_token": token})
        return None if found is None else int(found)
