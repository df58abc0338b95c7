"""The audit trail and kept callback bodies of the in-memory unit of work (``memory_units``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from checkout.domain.records import AuditKind, BodyStatus, KeptBody, ReceivedBody
from lipa_testing.memory_tables import AuditRow

if TYPE_CHECKING:
    from lipa_testing.memory_units import MemoryUnit

SOURCE_ADDRESS_LENGTH = 64  # as the ``callback_bodies.source_address`` column keeps it


class MemoryAuditRepository:
    """Implements ``checkout.payments.ports.AuditRepository`` in memory."""

    def __init__(self, unit: MemoryUnit) -> None:
        self._unit = unit

    async def record(
        self,
        *,
        kind: AuditKind,
        payload: dict[str, Any],
        now: datetime,
        payment_id: int | None = None,
        checkout_request_id: str | None = None,
        note: str | None = None,
    ) -> None:
        audit = (await self._unit.write()).audit
        as_stored = json.loads(json.dumps(payload))  # as the JSON column gives it back
        audit[self._unit.next_id("audit")] = AuditRow(kind, as_stored, now, checkout_request_id)

    def _newest_first(self) -> list[AuditRow]:
        audit = self._unit.read().audit
        return [audit[key] for key in sorted(audit, reverse=True)]

    async def latest(self, checkout_request_id: str, kind: AuditKind) -> dict[str, Any] | None:
        for row in self._newest_first():
            if row.checkout_request_id == checkout_request_id and row.kind == kind:
                return row.payload
        return None

    async def unmatched_callbacks(
        self, *, received_after: datetime, received_before: datetime, limit: int
    ) -> Sequence[dict[str, Any]]:
        tables = self._unit.read()
        known = {row.payment.checkout_request_id for row in tables.payments.values()}
        return [
            row.payload
            for row in reversed(self._newest_first())
            if row.kind is AuditKind.CALLBACK_UNMATCHED
            and received_after < row.received_at <= received_before
            and row.checkout_request_id not in known
        ][:limit]


class MemoryCallbackBodyRepository:
    """Implements ``checkout.payments.ports.CallbackBodyRepository`` in memory."""

    def __init__(self, unit: MemoryUnit) -> None:
        self._unit = unit

    async def keep(
        self,
        received: ReceivedBody,
        *,
        status: BodyStatus,
        note: str | None = None,
        checkout_request_id: str | None = None,
    ) -> None:
        await self.add(received, status=status, note=note, checkout_request_id=checkout_request_id)

    async def add(
        self,
        received: ReceivedBody,
        *,
        status: BodyStatus,
        note: str | None = None,
        checkout_request_id: str | None = None,
    ) -> int:
        bodies = (await self._unit.write()).bodies
        address = received.source_address
        received = replace(received, source_address=address and address[:SOURCE_ADDRESS_LENGTH])
        body = KeptBody(self._unit.next_id("bodies"), received, status, note, checkout_request_id)
        bodies[body.id] = body
        return body.id

    async def get(self, body_id: int) -> KeptBody | None:
        return self._unit.read().bodies.get(body_id)

    async def recent(self, *, limit: int, needing_replay: bool = False) -> Sequence[KeptBody]:
        bodies = self._unit.read().bodies
        newest = [bodies[key] for key in sorted(bodies, reverse=True)]
        if needing_replay:
            newest = [b for b in newest if b.status in (BodyStatus.REFUSED, BodyStatus.FAILED)]
        return newest[:limit]

    async def mark(
        self,
        body_id: int,
        *,
        status: BodyStatus,
        note: str | None,
        checkout_request_id: str | None,
        now: datetime,
    ) -> None:
        bodies = (await self._unit.write()).bodies
        if body_id in bodies:
            bodies[body_id] = replace(
                bodies[body_id],
                status=status,
                note=note,
                checkout_request_id=checkout_request_id,
                replayed_at=now,
            )
