"""Initiator requests in the ``initiator_requests`` table, each call its own transaction.

Implements ``checkout.initiator.ports.InitiatorRequestStore``. An answer is recorded by one
UPDATE that requires none recorded yet, and a due request is claimed by one UPDATE that
re-checks its ``next_check_at``, so of two processes only one acts on either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from checkout.initiator.records import (
    CommandID,
    InitiatorAccepted,
    InitiatorAnswer,
    InitiatorRequest,
    NewInitiatorRequest,
    RequestState,
)
from storage.models import InitiatorRequestRow

_WAITING = (RequestState.ASKED.value, RequestState.TIMED_OUT.value)


def to_request(row: InitiatorRequestRow) -> InitiatorRequest:
    """The checkout record for a row."""
    return InitiatorRequest(
        id=row.id,
        originator_conversation_id=row.originator_conversation_id,
        command=CommandID(row.command),
        subject=row.subject,
        purpose=row.purpose,
        context=dict(row.context or {}),
        state=RequestState(row.state),
        attempts=row.attempts,
        asked_at=row.asked_at,
        next_check_at=row.next_check_at,
        conversation_id=row.conversation_id,
        answered_at=row.answered_at,
        answer=InitiatorAnswer.from_json(row.result) if row.result is not None else None,
        outcome=row.outcome,
        requester=row.requester,
    )


class SqlInitiatorRequestStore:
    """The stored initiator requests."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(
        self,
        request: NewInitiatorRequest,
        *,
        originator_conversation_id: str,
        now: datetime,
        next_check_at: datetime,
    ) -> InitiatorRequest:
        row = InitiatorRequestRow(
            originator_conversation_id=originator_conversation_id,
            command=request.command.value,
            subject=request.subject,
            purpose=request.purpose,
            requester=request.requester,
            context=dict(request.context),
            state=RequestState.ASKED.value,
            attempts=0,
            asked_at=now,
            next_check_at=next_check_at,
            updated_at=now,
        )
        async with self._sessions() as session:
            session.add(row)
            await session.commit()
            return to_request(row)

    async def get(self, request_id: int) -> InitiatorRequest | None:
        async with self._sessions() as session:
            row = await session.get(InitiatorRequestRow, request_id)
            return to_request(row) if row is not None else None

    async def find(self, ids: Sequence[str]) -> InitiatorRequest | None:
        if not ids:
            return None
        async with self._sessions() as session:
            row = await session.scalar(
                select(InitiatorRequestRow)
                .where(
                    or_(
                        InitiatorRequestRow.originator_conversation_id.in_(ids),
                        InitiatorRequestRow.daraja_originator_id.in_(ids),
                        InitiatorRequestRow.conversation_id.in_(ids),
                    )
                )
                .order_by(InitiatorRequestRow.id.desc())
                .limit(1)
            )
            return to_request(row) if row is not None else None

    async def waiting_for(self, subject: str) -> Sequence[InitiatorRequest]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(InitiatorRequestRow)
                .where(
                    InitiatorRequestRow.subject == subject,
                    InitiatorRequestRow.state.in_(_WAITING),
                )
                .order_by(InitiatorRequestRow.id.desc())
            )
            return [to_request(row) for row in rows]

    async def sent(
        self,
        request_id: int,
        accepted: InitiatorAccepted | None,
        *,
        now: datetime,
        next_check_at: datetime,
    ) -> None:
        values: dict[str, Any] = {
            "attempts": InitiatorRequestRow.attempts + 1,
            "next_check_at": next_check_at,
            "updated_at": now,
        }
        if accepted is not None:
            values |= {
                "conversation_id": accepted.conversation_id[:64],
                "daraja_originator_id": accepted.originator_conversation_id[:64],
                "state": RequestState.ASKED.value,
            }
        async with self._sessions() as session:
            await session.execute(
                update(InitiatorRequestRow)
                .where(
                    InitiatorRequestRow.id == request_id,
                    InitiatorRequestRow.state.in_(_WAITING),
                )
                .values(**values)
            )
            await session.commit()

    async def answer(
        self, request_id: int, answer: InitiatorAnswer, *, now: datetime, recheck_at: datetime
    ) -> bool:
        async with self._sessions() as session:
            result = await session.execute(
                update(InitiatorRequestRow)
                .where(
                    InitiatorRequestRow.id == request_id,
                    InitiatorRequestRow.answered_at.is_(None),
                )
                .values(
                    state=RequestState.ANSWERED.value,
                    result=answer.to_json(),
                    answered_at=now,
                    next_check_at=recheck_at,
                    updated_at=now,
                )
            )
            await session.commit()
            return bool(getattr(result, "rowcount", 0))

    async def time_out(self, request_id: int, *, now: datetime, next_check_at: datetime) -> bool:
        async with self._sessions() as session:
            result = await session.execute(
                update(InitiatorRequestRow)
                .where(
                    InitiatorRequestRow.id == request_id,
                    InitiatorRequestRow.state.in_(_WAITING),
                )
                .values(
                    state=RequestState.TIMED_OUT.value,
                    next_check_at=next_check_at,
                    updated_at=now,
                )
            )
            await session.commit()
            return bool(getattr(result, "rowcount", 0))

    async def finish(
        self, request_id: int, outcome: str, *, now: datetime, failed: bool = False
    ) -> None:
        values: dict[str, Any] = {"outcome": outcome[:32], "next_check_at": None, "updated_at": now}
        if failed:
            values["state"] = RequestState.FAILED.value
        async with self._sessions() as session:
            await session.execute(
                update(InitiatorRequestRow)
                .where(InitiatorRequestRow.id == request_id)
                .values(**values)
            )
            await session.commit()

    async def count_since(self, purpose: str, requester: str, since: datetime) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(InitiatorRequestRow)
                .where(
                    InitiatorRequestRow.requester == requester,
                    InitiatorRequestRow.asked_at >= since,
                    InitiatorRequestRow.purpose == purpose,
                )
            )
            return int(count or 0)

    async def unfinished(self) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(InitiatorRequestRow)
                .where(InitiatorRequestRow.outcome.is_(None))
            )
            return int(count or 0)

    async def claim_due(
        self, now: datetime, *, until: datetime, limit: int
    ) -> Sequence[InitiatorRequest]:
        due = (
            InitiatorRequestRow.next_check_at.is_not(None),
            InitiatorRequestRow.next_check_at <= now,
            or_(
                InitiatorRequestRow.state.in_(_WAITING),
                InitiatorRequestRow.outcome.is_(None),
            ),
        )
        claimed: list[InitiatorRequest] = []
        async with self._sessions() as session:
            candidates = list(
                await session.execute(
                    select(InitiatorRequestRow.id, InitiatorRequestRow.next_check_at)
                    .where(*due)
                    .order_by(InitiatorRequestRow.next_check_at, InitiatorRequestRow.id)
                    .limit(limit)
                )
            )
            for request_id, seen in candidates:
                # Claimed only if nobody moved its check since it was read.
                result = await session.execute(
                    update(InitiatorRequestRow)
                    .where(
                        InitiatorRequestRow.id == request_id,
                        InitiatorRequestRow.next_check_at == seen,
                    )
                    .values(next_check_at=until)
                )
                if getattr(result, "rowcount", 0):
                    row = await session.get(InitiatorRequestRow, request_id)
                    if row is not None:
                        claimed.append(to_request(row))
            await session.commit()
        return claimed
