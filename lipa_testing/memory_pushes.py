"""Deferred pushes and push limits of the in-memory unit of work (``memory_units``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from checkout.payments.ports import (
    HistoryAsked,
    PushHistory,
    PushOutcome,
    QueuedPush,
    SettledOutcome,
)
from lipa_testing.memory_tables import PushAskRow, PushRow

if TYPE_CHECKING:
    from lipa_testing.memory_units import MemoryUnit

MAX_ERROR_LENGTH = 500  # as the ``push_requests.last_error`` column keeps it
MAX_SENDER_LENGTH = 80  # as the ``push_asks.sender`` column keeps it


def _queued(row: PushRow) -> QueuedPush:
    return QueuedPush(row.id, row.payment_id, row.attempts, row.created_at)


class MemoryPushRequestRepository:
    """Implements ``checkout.payments.ports.PushRequestRepository`` in memory."""

    def __init__(self, unit: MemoryUnit) -> None:
        self._unit = unit

    async def add(self, payment_id: int, *, due_at: datetime, now: datetime) -> None:
        pushes = (await self._unit.write()).pushes
        push_id = self._unit.next_id("pushes")
        pushes[push_id] = PushRow(push_id, payment_id, due_at=due_at, created_at=now)

    async def _update(self, rows: Sequence[PushRow], **values: Any) -> list[QueuedPush]:
        pushes = (await self._unit.write()).pushes
        for row in rows:
            pushes[row.id] = replace(row, **values)
        return sorted((_queued(pushes[row.id]) for row in rows), key=lambda push: push.id)

    async def claim_due(
        self, *, now: datetime, limit: int, lease_seconds: float
    ) -> Sequence[QueuedPush]:
        pushes = (await self._unit.write()).pushes
        due = sorted(
            (
                row
                for row in pushes.values()
                if row.finished_at is None and row.claimed_until is None and row.due_at <= now
            ),
            key=lambda row: (row.due_at, row.id),
        )[:limit]
        lease_until = now + timedelta(seconds=lease_seconds)
        claimed = [replace(row, attempts=row.attempts + 1) for row in due]
        return await self._update(claimed, claimed_until=lease_until)

    async def finish_interrupted(self, *, now: datetime) -> Sequence[QueuedPush]:
        pushes = (await self._unit.write()).pushes
        stopped = [
            row
            for row in pushes.values()
            if row.finished_at is None and row.claimed_until is not None and row.claimed_until < now
        ]
        return await self._update(
            stopped,
            finished_at=now,
            outcome=PushOutcome.INTERRUPTED,
            last_error="the sender stopped before recording Daraja's answer",
        )

    async def finish(
        self, push_id: int, *, outcome: PushOutcome, now: datetime, error: str | None = None
    ) -> None:
        row = (await self._unit.write()).pushes.get(push_id)
        if row is not None:
            error = error[:MAX_ERROR_LENGTH] if error else None
            await self._update([row], finished_at=now, outcome=outcome, last_error=error)

    async def retry_later(self, push_id: int, *, at: datetime, error: str) -> None:
        row = (await self._unit.write()).pushes.get(push_id)
        if row is not None and row.finished_at is None:
            error = error[:MAX_ERROR_LENGTH]
            await self._update([row], claimed_until=None, due_at=at, last_error=error)

    async def next_due_at(self) -> datetime | None:
        rows = self._unit.read().pushes.values()
        due = [row.claimed_until or row.due_at for row in rows if row.finished_at is None]
        return min(due, default=None)


class MemoryPushLimitRepository:
    """Implements ``checkout.payments.ports.PushLimitRepository`` in memory."""

    def __init__(self, unit: MemoryUnit) -> None:
        self._unit = unit

    async def hold(self, phone: str, sender: str) -> None:
        await self._unit.write()  # the one writer until this unit ends

    def _asked(
        self, since: datetime, limit: int, chosen: Callable[[PushAskRow], bool]
    ) -> list[datetime]:
        asks = self._unit.read().push_asks.values()
        times = [ask.asked_at for ask in asks if ask.asked_at > since and chosen(ask)]
        return sorted(times, reverse=True)[:limit]

    async def recent_for_phone(
        self, phone: str, *, since: datetime, limit: int
    ) -> Sequence[datetime]:
        return self._asked(since, limit, lambda ask: ask.phone == phone)

    async def recent_for_sender(
        self, sender: str, *, since: datetime, limit: int
    ) -> Sequence[datetime]:
        return self._asked(since, limit, lambda ask: ask.sender == sender[:MAX_SENDER_LENGTH])

    async def latest_outcomes(self, phone: str, *, count: int) -> Sequence[SettledOutcome]:
        payments = [row.payment for row in self._unit.read().payments.values()]
        settled = sorted(
            (
                (p.settled_at, p.id, p.result_code)
                for p in payments
                if p.phone == phone and p.settled_at is not None
            ),
            reverse=True,
        )[:count]
        return [SettledOutcome(result_code=code, settled_at=at) for at, _, code in settled]

    async def history(self, asked: HistoryAsked) -> PushHistory:
        return PushHistory(
            to_phone=await self.recent_for_phone(
                asked.phone, since=asked.phone_since, limit=asked.phone_limit
            ),
            by_sender=await self.recent_for_sender(
                asked.sender, since=asked.sender_since, limit=asked.sender_limit
            ),
            outcomes=await self.latest_outcomes(asked.phone, count=asked.outcomes),
        )

    async def record(self, phone: str, sender: str, *, now: datetime) -> None:
        asks = (await self._unit.write()).push_asks
        asks[self._unit.next_id("push_asks")] = PushAskRow(phone, sender[:MAX_SENDER_LENGTH], now)
