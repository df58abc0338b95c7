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
    bindparam,
    cast,
    literal_column,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

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
        return list(
            await self._session.scalars(_asks_by_sender(sender[:MAX_SENDER_LENGTH], since, limit))
        )

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
        result = await self._session.execute(
            _HISTORY,
            {
                "phone": asked.phone,
                "phone_since": asked.phone_since,
                "phone_limit": asked.phone_limit,
                "sender": asked.sender[:MAX_SENDER_LENGTH],
                "sender_since": asked.sender_since,
                "sender_limit": asked.sender_limit,
                "outcomes": asked.outcomes,
            },
        )
        found: list[list[tuple[datetime, int, int | None]]] = [[], [], []]
        for kind, at, code, row_id in result:
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


# The builders take values or bound parameters (``_HISTORY`` is built from them once).
_Str = str | BindParameter[str]
_Time = datetime | BindParameter[datetime]
_Int = int | BindParameter[int]


def _asks_to_phone(phone: _Str, since: _Time, limit: _Int) -> Select[datetime]:
    return (
        select(PushAskRow.asked_at)
        .where(PushAskRow.phone == phone, PushAskRow.asked_at > since)
        .order_by(PushAskRow.asked_at.desc())
        .limit(limit)
    )


def _asks_by_sender(sender: _Str, since: _Time, limit: _Int) -> Select[datetime]:
    """``sender`` cut to :data:`MAX_SENDER_LENGTH` already, as it is recorded."""
    return (
        select(PushAskRow.asked_at)
        .where(PushAskRow.sender == sender, PushAskRow.asked_at > since)
        .order_by(PushAskRow.asked_at.desc())
        .limit(limit)
    )


def _outcomes(phone: _Str, count: _Int) -> Select[int | None, datetime | None]:
    return (
        select(PaymentRow.result_code, PaymentRow.settled_at)
        .where(PaymentRow.phone == phone, PaymentRow.settled_at.is_not(None))
        .order_by(PaymentRow.settled_at.desc(), PaymentRow.id.desc())
        .limit(count)
    )


def _history() -> Select[int, datetime, int | None, int]:
    """:meth:`SqlPushLimitRepository.history`'s statement, its values bound by name.

    Built once: building the union of three subqueries, and SQLAlchemy's cache key for a new
    statement object, cost more of the Pay step's CPU than running it (the key of a statement
    kept is worked out once). The same SQL as the three selects above, each part limited.
    """
    # Typed: PostgreSQL takes a bare NULL in a subquery as text, which no union of
    # integers accepts.
    no_code = cast(null(), Integer).label("result_code")
    phone: BindParameter[str] = bindparam("phone")
    parts = (
        _asks_to_phone(
            phone, bindparam("phone_since"), bindparam("phone_limit", type_=Integer)
        ).add_columns(no_code, PushAskRow.id),
        _asks_by_sender(
            bindparam("sender"), bindparam("sender_since"), bindparam("sender_limit", type_=Integer)
        ).add_columns(no_code, PushAskRow.id),
        _outcomes(phone, bindparam("outcomes", type_=Integer)).with_only_columns(
            PaymentRow.settled_at, PaymentRow.result_code, PaymentRow.id
        ),
    )
    return union_all(  # type: ignore[return-value]
        *(
            select(literal_column(str(kind)).label("kind"), *part.subquery().c)
            for kind, part in enumerate(parts)
        )
    )


_HISTORY = _history()
