"""The outbox: messages written with their cause, claimed and delivered by a sender.

Every statement here is built once on the table itself (SQLAlchemy Core): the sender runs them
for every delivery, a reused statement keeps its cache key, and Core skips the ORM's
per-statement bookkeeping, which cost more than the round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.domain.records import Channel, OutboxMessage
from storage.models import OutboxRow

MAX_ERROR_LENGTH = 500

_OUTBOX = cast(Table, OutboxRow.__table__)
_COLUMNS = (
    _OUTBOX.c.id,
    _OUTBOX.c.channel,
    _OUTBOX.c.chat_key,
    _OUTBOX.c.payload,
    _OUTBOX.c.attempts,
    _OUTBOX.c.dedupe_key,
)


def _unsent(table: Any) -> tuple[Any, Any]:
    return table.c.sent_at.is_(None), table.c.failed_at.is_(None)


def _earlier_unsent(table: Any) -> Any:
    """An undelivered message of the same chat as ``table``'s row, queued before it."""
    earlier = _OUTBOX.alias("earlier")
    return earlier, (
        exists()
        .where(
            earlier.c.channel == table.c.channel,
            earlier.c.chat_key == table.c.chat_key,
            earlier.c.id < table.c.id,
            *_unsent(earlier),
        )
        .correlate(table)
    )


def _claim_statement(dialect: str) -> Any:
    """Claim due messages whose chat has no earlier one waiting, in one statement.

    The candidates are locked with ``SKIP LOCKED`` on PostgreSQL (another sender's claim
    skips them); the UPDATE re-checks the due condition, so on any database a message is
    claimed by one sender only. A chat whose earlier message is still being sent (or waits
    for its retry) is held back, so each chat's messages go out in order.
    """
    candidate = _OUTBOX.alias("candidate")
    earlier, held_back = _earlier_unsent(candidate)
    candidates: Any = (
        select(candidate.c.id)
        .where(
            *_unsent(candidate),
            candidate.c.next_attempt_at <= bindparam("now"),
            ~held_back.where(earlier.c.next_attempt_at > bindparam("now")),
        )
        .order_by(candidate.c.next_attempt_at, candidate.c.id)
        .limit(bindparam("limit"))
    )
    if dialect == "postgresql":
        # A materialised CTE: PostgreSQL may run a plain ``IN (SELECT … LIMIT n)`` once per
        # row it updates, which would claim more than ``n``.
        candidates = (
            candidates.with_for_update(skip_locked=True)
            .cte("candidates")
            .prefix_with("MATERIALIZED")
        )
        candidates = select(candidates.c.id)
    else:
        # SQLite runs the subquery once; and a statement opening with WITH would escape the
        # transaction (the driver begins one only before INSERT, UPDATE and DELETE).
        candidates = candidates.scalar_subquery()
    return (
        update(_OUTBOX)
        .where(
            _OUTBOX.c.id.in_(candidates),
            *_unsent(_OUTBOX),
            _OUTBOX.c.next_attempt_at <= bindparam("now"),
        )
        .values(next_attempt_at=bindparam("lease_until"), attempts=_OUTBOX.c.attempts + 1)
        .returning(*_COLUMNS)
    )


def _claim_new_statement() -> Any:
    """Claim just-written messages whose chat has nothing earlier still undelivered.

    Messages written together for one chat are claimed together (and sent in order by one
    task); a chat with an older message still waiting is left to the ordinary claim.
    """
    earlier, waiting = _earlier_unsent(_OUTBOX)
    new: Any = bindparam("ids", expanding=True)  # the same list in both places
    return (
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(new), ~waiting.where(earlier.c.id.not_in(new)))
        .values(next_attempt_at=bindparam("lease_until"), attempts=_OUTBOX.c.attempts + 1)
        .returning(*_COLUMNS)
    )


_CLAIMS = {dialect: _claim_statement(dialect) for dialect in ("postgresql", "sqlite")}
_CLAIM_NEW = _claim_new_statement()
_NEXT_DUE = select(func.min(_OUTBOX.c.next_attempt_at)).where(*_unsent(_OUTBOX))
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(sent_at=bindparam("now"), last_error=None)
)
# Duplicates of an existing dedupe_key are skipped; the rows written come back.
_INSERTS = {
    "postgresql": postgresql.insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"]),
    "sqlite": sqlite.insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"]),
}
_INSERTS_RETURNING = {
    name: insert.returning(_OUTBOX.c.id, _OUTBOX.c.channel, _OUTBOX.c.chat_key)
    for name, insert in _INSERTS.items()
}


def to_message(row: OutboxRow | Row[Any]) -> OutboxMessage:
    """The checkout record for an outbox row (an ORM object or a row of :data:`_COLUMNS`)."""
    return OutboxMessage(
        id=row.id,
        channel=Channel(row.channel),
        chat_key=row.chat_key,
        payload=dict(row.payload),
        attempts=row.attempts,
        dedupe_key=row.dedupe_key,
    )


def _by_id(rows: Any) -> list[OutboxMessage]:
    return sorted((to_message(row) for row in rows), key=lambda message: message.id)


class SqlOutboxRepository:
    """Messages in the ``outbox`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # The chats of rows written but not claimed by the writing unit (see :meth:`flush`).
        self.unclaimed: set[tuple[Channel, str]] = set()
        self._pending: list[dict[str, Any]] = []

    async def add(
        self,
        *,
        channel: Channel,
        chat_key: str,
        payload: dict[str, Any],
        now: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        """Queue a message; a second one with the same ``dedupe_key`` is silently ignored.

        Rows are written in one statement when the unit flushes (before it commits or
        reads the outbox), so a settlement that queues several messages costs one INSERT.
        """
        self._pending.append(
            {
                "channel": channel.value,
                "chat_key": chat_key,
                "payload": payload,
                "dedupe_key": dedupe_key,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "sent_at": None,
                "failed_at": None,
                "last_error": None,
            }
        )

    async def flush(self, *, claim_until: datetime | None = None) -> Sequence[OutboxMessage]:
        """Write the queued rows (duplicates of an existing ``dedupe_key`` are skipped).

        With ``claim_until``, the new rows are also claimed until then, for a sender in this
        process to deliver at once, except those whose chat has an earlier message still
        undelivered (the ordinary claim takes them, in order). Returns what was claimed.
        """
        if not self._pending:
            return []
        rows, self._pending = self._pending, []
        dialect = self._session.get_bind().dialect.name
        written = {
            row.id: (Channel(row.channel), row.chat_key)
            for row in await self._session.execute(_INSERTS_RETURNING[dialect], rows)
        }
        claimed: list[OutboxMessage] = []
        if claim_until is not None and written:
            claimed = _by_id(
                await self._session.execute(
                    _CLAIM_NEW, {"ids": list(written), "lease_until": claim_until}
                )
            )
        for message in claimed:
            del written[message.id]
        self.unclaimed.update(written.values())
        return claimed

    def discard(self) -> None:
        """Forget queued rows (the unit rolled back)."""
        self._pending = []
        self.unclaimed = set()

    async def claim_due(
        self, *, now: datetime, limit: int, lease_seconds: float
    ) -> Sequence[OutboxMessage]:
        """Claim up to ``limit`` due messages for ``lease_seconds``, oldest first.

        The claim pushes ``next_attempt_at`` past the lease, so a sender that dies while
        sending lets another retry after the lease. Rows another sender is claiming are
        skipped (PostgreSQL), and a message is claimed by one sender only on any database.
        """
        await self.flush()
        dialect = self._session.get_bind().dialect.name
        claimed = await self._session.execute(
            _CLAIMS[dialect],
            {
                "now": now,
                "limit": limit,
                "lease_until": now + timedelta(seconds=lease_seconds),
            },
        )
        return _by_id(claimed)

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        """Record a delivered message."""
        await self.mark_all_sent([message_id], now=now)

    async def mark_all_sent(self, message_ids: Sequence[int], *, now: datetime) -> None:
        """Record several delivered messages in one statement."""
        if message_ids:
            await self._session.execute(_MARK_SENT, {"ids": list(message_ids), "now": now})

    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        """Record a failed attempt and when to try again."""
        await self._set(message_id, next_attempt_at=at, last_error=error[:MAX_ERROR_LENGTH])

    async def give_up(self, message_id: int, *, now: datetime, error: str) -> None:
        """Stop delivering a message that can never be delivered."""
        await self._set(message_id, failed_at=now, last_error=error[:MAX_ERROR_LENGTH])

    async def next_due_at(self) -> datetime | None:
        """When the earliest undelivered message is due, if any."""
        await self.flush()
        # min() keeps its argument's type, so the value comes back timezone-aware.
        value: datetime | None = await self._session.scalar(_NEXT_DUE)
        return value

    async def _set(self, message_id: int, **values: object) -> None:
        await self._session.execute(
            update(_OUTBOX).where(_OUTBOX.c.id == message_id).values(**values)
        )
