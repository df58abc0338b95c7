"""Callback bodies, kept raw as they reached the route, and what became of each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.domain.records import BodyStatus, KeptBody, ReceivedBody
from storage.models import CallbackBodyRow

# Core on the table, built once (as for payment events): every callback inserts one row.
_BODIES = cast(Table, CallbackBodyRow.__table__)
_INSERT = insert(_BODIES)
_NEEDS_REPLAY = [BodyStatus.REFUSED.value, BodyStatus.FAILED.value]


def _row(
    received: ReceivedBody, status: BodyStatus, note: str | None, request: str | None
) -> dict[str, Any]:
    return {
        "received_at": received.received_at,
        # The column's width: a forwarded-for header can be longer than any address.
        "source_address": received.source_address[:64] if received.source_address else None,
        "body": received.body,
        "status": status.value,
        "note": note,
        "checkout_request_id": request,
    }


def _kept(row: Row[Any]) -> KeptBody:
    return KeptBody(
        id=row.id,
        received=ReceivedBody(bytes(row.body), row.source_address, row.received_at),
        status=BodyStatus(row.status),
        note=row.note,
        checkout_request_id=row.checkout_request_id,
        replayed_at=row.replayed_at,
    )


class SqlCallbackBodyRepository:
    """Bodies in the ``callback_bodies`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._pending: list[dict[str, Any]] = []

    async def keep(
        self,
        received: ReceivedBody,
        *,
        status: BodyStatus,
        note: str | None = None,
        checkout_request_id: str | None = None,
    ) -> None:
        """Store a body with the unit's other bodies, in one statement when it commits."""
        self._pending.append(_row(received, status, note, checkout_request_id))

    async def add(
        self,
        received: ReceivedBody,
        *,
        status: BodyStatus,
        note: str | None = None,
        checkout_request_id: str | None = None,
    ) -> int:
        """Store a body now; its id."""
        body_id: int = await self._session.scalar(
            _INSERT.returning(_BODIES.c.id),
            _row(received, status, note, checkout_request_id),
        )
        return body_id

    async def flush(self) -> None:
        """Write the bodies kept so far."""
        if self._pending:
            rows, self._pending = self._pending, []
            await self._session.execute(_INSERT, rows)

    def discard(self) -> None:
        """Forget kept bodies (the unit rolled back)."""
        self._pending = []

    async def get(self, body_id: int) -> KeptBody | None:
        """The body with this id, or None."""
        await self.flush()
        row = (await self._session.execute(select(_BODIES).where(_BODIES.c.id == body_id))).first()
        return _kept(row) if row is not None else None

    async def recent(self, *, limit: int, needing_replay: bool = False) -> Sequence[KeptBody]:
        """The newest bodies first (only refused and failed ones with ``needing_replay``)."""
        await self.flush()
        query = select(_BODIES).order_by(_BODIES.c.id.desc()).limit(limit)
        if needing_replay:
            query = query.where(_BODIES.c.status.in_(_NEEDS_REPLAY))
        return [_kept(row) for row in await self._session.execute(query)]

    async def mark(
        self,
        body_id: int,
        *,
        status: BodyStatus,
        note: str | None,
        checkout_request_id: str | None,
        now: datetime,
    ) -> None:
        """Record what replaying the body did."""
        await self._session.execute(
            update(_BODIES)
            .where(_BODIES.c.id == bindparam("b_id"))
            .values(
                status=status.value,
                note=note,
                checkout_request_id=checkout_request_id,
                replayed_at=now,
            ),
            {"b_id": body_id},
        )
