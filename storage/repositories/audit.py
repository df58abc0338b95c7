"""The payment audit trail of raw callbacks and query answers (the ``payment_events`` table)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.domain.records import AuditKind
from storage.models import PaymentEventRow, PaymentRow

# Core on the table, built once: the ORM's bulk-insert path costs more than the round trip.
_EVENTS = cast(Table, PaymentEventRow.__table__)
_INSERT = insert(_EVENTS)
# Every accepted push asks whether its callback came early.
_LATEST = (
    select(_EVENTS.c.payload)
    .where(
        _EVENTS.c.checkout_request_id == bindparam("checkout_request_id"),
        _EVENTS.c.kind == bindparam("kind"),
    )
    .order_by(_EVENTS.c.id.desc())
    .limit(1)
)


class SqlAuditRepository:
    """Audit entries in the ``payment_events`` table; rows are only ever appended."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._pending: list[dict[str, Any]] = []

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
        """Append one entry (written with the unit's other entries in one statement)."""
        self._pending.append(
            {
                "payment_id": payment_id,
                "checkout_request_id": checkout_request_id,
                "kind": str(kind),
                "payload": payload,
                "note": note,
                "received_at": now,
            }
        )

    async def flush(self) -> None:
        """Write the recorded entries."""
        if self._pending:
            rows, self._pending = self._pending, []
            await self._session.execute(_INSERT, rows)

    def discard(self) -> None:
        """Forget recorded entries (the unit rolled back)."""
        self._pending = []

    async def latest(self, checkout_request_id: str, kind: AuditKind) -> dict[str, Any] | None:
        """The payload of the latest entry of ``kind`` for this CheckoutRequestID, if any."""
        await self.flush()
        payload: dict[str, Any] | None = await self._session.scalar(
            _LATEST, {"checkout_request_id": checkout_request_id, "kind": str(kind)}
        )
        return payload

    async def unmatched_callbacks(
        self, *, received_after: datetime, received_before: datetime, limit: int
    ) -> Sequence[dict[str, Any]]:
        """Payloads of callbacks in the window whose CheckoutRequestID no payment has."""
        await self.flush()
        known = select(PaymentRow.id).where(
            PaymentRow.checkout_request_id == PaymentEventRow.checkout_request_id
        )
        rows = await self._session.scalars(
            select(PaymentEventRow.payload)
            .where(
                PaymentEventRow.kind == str(AuditKind.CALLBACK_UNMATCHED),
                PaymentEventRow.received_at > received_after,
                PaymentEventRow.received_at <= received_before,
                ~known.exists(),
            )
            .order_by(PaymentEventRow.id)
            .limit(limit)
        )
        return list(rows)
