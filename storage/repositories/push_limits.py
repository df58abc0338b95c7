"""The pushes people asked for, counted for the push limits (``push_asks``), and the lock.

The limiter counts, then records, in one transaction. :meth:`SqlPushLimitRepository.hold`
makes that atomic across processes: on PostgreSQL it takes a transaction-scoped advisory
lock per phone and per sender (always in the same order, so two holders never deadlock);
on SQLite it takes the database's one write lock with a write that changes nothing, so a
second writer (in this process or another) waits until the first has committed and then
counts what it recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    Integer,
    Select,
    cast,
    literal_column,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.payments.ports import HistoryAsked, PushHistory, SettledOutcome
from storage.models import PaymentRow, PushAskRow
from storage.repositories.write_turn import take_write_turn

MAX_SENDER_LENGTH = 80


# Taking one or two transaction-scoped advisory locks, in the order of their keys.
_ADVISORY_LOCKS = {
    count: text("SELECT " + ", ".join(f"pg_advisory_xact_lock(:k{key})" for key in range(count)))
    for count in (1, 2)
}


def lock_key(kind: str, value: str) -> int:
    """A stable signed 64-bit advisory lock key for one phone or sender."""
    digest = hashlib.blake2b(f"lipa-push:{kind}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SqlPushLimitRepository:
    """Implements ``checkout.payments.ports.PushLimitRepository`` on the ``push_asks`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def hold(self, phone: str, sender: str) -> None:
        """Until the transaction ends, keep others from admitting pushes for these two."""
        if self._session.get_bind().dialect.name == "postgresql":
            keys = sorted({lock_key("phone", phone), lock_key("sender", sender)})
            # One statement; PostgreSQL evaluates a select list left to right, so the locks
            # are still taken in the keys' order.
            await self._session.execute(
                _ADVISORY_LOCKS[len(keys)], {f"k{n}": key for n, key in enumerate(keys)}
            )
            return
        await take_write_turn(self._session)

    async def recent_for_phone(
        self, phone: str, *, since: datetime, limit: int
    ) -> Sequence[datetime]:
        """When the latest (at most ``limit``) pushes to ``phone`` after ``since`` were asked."""
        return list(await self._session.scalars(_asks_to_phone(phone, since, limit)))

    async def recent_for_sender(
        self, sender: str, *, since: datetime, limit: int
    ) -> Sequence[datetime]:
        """When the latest (at most ``limit``) pushes ``sender`` asked for after ``since`` were."""
        return list(await self._session.scalars(_asks_by_sender(sender, since, limit)))

    async def latest_outcomes(self, phone: str, *, count: int) -> Sequence[SettledOutcome]:
        """The last ``count`` settled payments to ``phone`` (any channel), newest first."""
        rows = await self._session.execute(_outcomes(phone, count))
        return [
            SettledOutcome(result_code=code, settled_at=settled_at)
            for code, settled_at in rows
            if settled_at is not None
        ]

    async def history(self, asked: HistoryAsked) -> PushHistory:
        """The three reads above as one ``UNION ALL`` of the same three limited selects.

        A union keeps no order, so each part is sorted again here, as its own select sorts.
        """
        # Typed: PostgreSQL takes a bare NULL in a subquery as text, which no union of
        # integers accepts.
        no_code = cast(null(), Integer).label("result_code")
        parts = (
            _asks_to_phone(asked.phone, asked.phone_since, asked.phone_limit).add_columns(
                no_code, PushAskRow.id
            ),
            _asks_by_sender(asked.sender, asked.sender_since, asked.sender_limit).add_columns(
                no_code, PushAskRow.id
            ),
            _outcomes(asked.phone, asked.outcomes).with_only_columns(
                PaymentRow.settled_at, PaymentRow.result_code, PaymentRow.id
            ),
        )
        statement = union_all(
            *(
                select(literal_column(str(kind)).label("kind"), *part.subquery().c)
                for kind, part in enumerate(parts)
            )
        )
        found: list[list[tuple[datetime, int, int | None]]] = [[], [], []]
        for kind, at, code, row_id in await self._session.execute(statement):
            if at is not None:
                found[kind].append((at, row_id, code))
        for rows in found:
            rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
        return PushHistory(
            to_phone=[at for at, _, _ in found[0]],
            by_sender=[at for at, _, _ in found[1]],
            outcomes=[SettledOutcome(result_code=code, settled_at=at) for at, _, code in found[2]],
        )

    async def record(self, phone: str, sender: str, *, now: datetime) -> None:
        """Count one push to ``phone`` asked for by ``sender``."""
        self._session.add(PushAskRow(phone=phone, sender=sender[:MAX_SENDER_LENGTH], asked_at=now))
        await self._session.flush()


def _asks_to_phone(phone: str, since: datetime, limit: int) -> Select[datetime]:
    return (
        select(PushAskRow.asked_at)
        .where(PushAskRow.phone == phone, PushAskRow.asked_at > since)
        .order_by(PushAskRow.asked_at.desc())
        .limit(limit)
    )


def _asks_by_sender(sender: str, since: datetime, limit: int) -> Select[datetime]:
    return (
        select(PushAskRow.asked_at)
        .where(PushAskRow.sender == sender[:MAX_SENDER_LENGTH], PushAskRow.asked_at > since)
        .order_by(PushAskRow.asked_at.desc())
        .limit(limit)
    )


def _outcomes(phone: str, count: int) -> Select[int | None, datetime | None]:
    return (
        select(PaymentRow.result_code, PaymentRow.settled_at)
        .where(PaymentRow.phone == phone, PaymentRow.settled_at.is_not(None))
        .order_by(PaymentRow.settled_at.desc(), PaymentRow.id.desc())
        .limit(count)
    )
