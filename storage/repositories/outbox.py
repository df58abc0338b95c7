"""The outbox: messages written with their cause, claimed and delivered by a sender."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from checkout.records import Channel, OutboxMessage
from storage.models import OutboxRow

MAX_ERROR_LENGTH = 500

# Built once: the sender runs it for every delivery, and a reused statement keeps its cache key.
_MARK_SENT = (
    update(OutboxRow)
    .where(OutboxRow.id.in_(bindparam("ids", expanding=True)))
    .values(sent_at=bindparam("now"), last_error=None)
    .execution_options(synchronize_session=False)
)


def to_message(row: OutboxRow) -> OutboxMessage:
    """The checkout record for an outbox row."""
    return OutboxMessage(
        id=row.id,
        channel=Channel(row.channel),
        chat_key=row.chat_key,
        payload=dict(row.payload),
        attempts=row.attempts,
        dedupe_key=row.dedupe_key,
    )


class SqlOutboxRepository:
    """Messages in the ``outbox`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.added = 0
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
            }
        )
        self.added += 1

    async def flush(self) -> None:
        """Write the queued rows (duplicates of an existing ``dedupe_key`` are skipped)."""
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(OutboxRow).on_conflict_do_nothing(index_elements=["dedupe_key"])
        await self._session.execute(statement, rows)

    def discard(self) -> None:
        """Forget queued rows (the unit rolled back)."""
        self._pending = []

    async def claim_due(
        self, *, now: datetime, limit: int, lease_seconds: float
    ) -> Sequence[OutboxMessage]:
        """Claim up to ``limit`` due messages for ``lease_seconds``, oldest first.

        The claim pushes ``next_attempt_at`` past the lease, so a sender that dies while
        sending lets another retry after the lease. On PostgreSQL rows locked by another
        sender are skipped; the UPDATE re-checks the due condition, so on any database a
        message is claimed by one sender only.
        """
        earlier = aliased(OutboxRow)
        held_back = (
            select(earlier.id)
            .where(
                earlier.channel == OutboxRow.channel,
                earlier.chat_key == OutboxRow.chat_key,
                earlier.id < OutboxRow.id,
                earlier.sent_at.is_(None),
                earlier.failed_at.is_(None),
                earlier.next_attempt_at > now,
            )
            .exists()
        )
        await self.flush()
        candidates = (
            select(OutboxRow.id)
            .where(
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed_at.is_(None),
                OutboxRow.next_attempt_at <= now,
                ~held_back,
            )
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(await self._session.scalars(candidates))
        if not ids:
            return []
        claimed = await self._session.scalars(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_(ids),
                OutboxRow.sent_at.is_(None),
                OutboxRow.next_attempt_at <= now,
            )
            .values(
                next_attempt_at=now + timedelta(seconds=lease_seconds),
                attempts=OutboxRow.attempts + 1,
            )
            .returning(OutboxRow)
            .execution_options(synchronize_session=False)
        )
        return sorted((to_message(row) for row in claimed), key=lambda message: message.id)

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
        # func.min returns its argument's type, so the value comes back timezone-aware.
        value: datetime | None = await self._session.scalar(
            select(func.min(OutboxRow.next_attempt_at)).where(
                OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None)
            )
        )
        return value

    async def _set(self, message_id: int, **values: object) -> None:
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
