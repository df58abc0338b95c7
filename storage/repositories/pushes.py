"""Pushes queued by USSD sessions: claimed for a lease, sent at most once, then finished."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.payments.ports import PushOutcome, QueuedPush
from storage.models import PushRequestRow

MAX_ERROR_LENGTH = 500


def to_push(row: PushRequestRow) -> QueuedPush:
    """The checkout record for a push request row."""
    return QueuedPush(
        id=row.id, payment_id=row.payment_id, attempts=row.attempts, created_at=row.created_at
    )


class SqlPushRequestRepository:
    """Push requests in the ``push_requests`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, payment_id: int, *, due_at: datetime, now: datetime) -> None:
        """Queue the push of a pending payment, due at ``due_at``."""
        self._session.add(
            PushRequestRow(payment_id=payment_id, due_at=due_at, attempts=0, created_at=now)
        )
        await self._session.flush()

    async def claim_due(
        self, *, now: datetime, limit: int, lease_seconds: float
    ) -> Sequence[QueuedPush]:
        """Claim up to ``limit`` due, unclaimed pushes for ``lease_seconds``, oldest first.

        Rows locked by another sender are skipped (PostgreSQL), and the UPDATE re-checks that
        the row is still unclaimed, so each push is claimed by one sender only.
        """
        due = (
            PushRequestRow.finished_at.is_(None),
            PushRequestRow.claimed_until.is_(None),
            PushRequestRow.due_at <= now,
        )
        ids = list(
            await self._session.scalars(
                select(PushRequestRow.id)
                .where(*due)
                .order_by(PushRequestRow.due_at, PushRequestRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        claimed = await self._session.scalars(
            update(PushRequestRow)
            .where(PushRequestRow.id.in_(ids), *due)
            .values(
                claimed_until=now + timedelta(seconds=lease_seconds),
                attempts=PushRequestRow.attempts + 1,
            )
            .returning(PushRequestRow)
            .execution_options(synchronize_session=False)
        )
        return sorted((to_push(row) for row in claimed), key=lambda push: push.id)

    async def finish_interrupted(self, *, now: datetime) -> Sequence[QueuedPush]:
        """Finish, as interrupted, the pushes whose claim ran out before they were finished.

        Their sender stopped between claiming and recording the answer: the push may have
        reached the phone, and Daraja has no idempotency key, so it is never sent again.
        """
        finished = await self._session.scalars(
            update(PushRequestRow)
            .where(
                PushRequestRow.finished_at.is_(None),
                PushRequestRow.claimed_until.is_not(None),
                PushRequestRow.claimed_until < now,
            )
            .values(
                finished_at=now,
                outcome=PushOutcome.INTERRUPTED.value,
                last_error="the sender stopped before recording Daraja's answer",
            )
            .returning(PushRequestRow)
            .execution_options(synchronize_session=False)
        )
        return sorted((to_push(row) for row in finished), key=lambda push: push.id)

    async def finish(
        self, push_id: int, *, outcome: PushOutcome, now: datetime, error: str | None = None
    ) -> None:
        """Record how a claimed push ended."""
        await self._session.execute(
            update(PushRequestRow)
            .where(PushRequestRow.id == push_id)
            .values(
                finished_at=now,
                outcome=outcome.value,
                last_error=error[:MAX_ERROR_LENGTH] if error else None,
            )
            .execution_options(synchronize_session=False)
        )

    async def retry_later(self, push_id: int, *, at: datetime, error: str) -> None:
        """Release a claimed push that provably did not go out, to try again at ``at``."""
        await self._session.execute(
            update(PushRequestRow)
            .where(PushRequestRow.id == push_id, PushRequestRow.finished_at.is_(None))
            .values(claimed_until=None, due_at=at, last_error=error[:MAX_ERROR_LENGTH])
            .execution_options(synchronize_session=False)
        )

    async def next_due_at(self) -> datetime | None:
        """When the earliest unfinished push is due, or its claim runs out, if any."""
        # An unclaimed push is due at due_at; a claimed one needs looking at when its claim
        # runs out (if its sender died). func.min keeps the column type: the value is aware.
        value: datetime | None = await self._session.scalar(
            select(
                func.min(func.coalesce(PushRequestRow.claimed_until, PushRequestRow.due_at))
            ).where(PushRequestRow.finished_at.is_(None))
        )
        return value
