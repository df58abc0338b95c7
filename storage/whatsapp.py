"""WhatsApp's own records: received message ids and sent messages with their statuses.

Implements ``whatsapp.ports.WhatsAppLedger`` (structurally: storage imports nothing but
``checkout`` of ours). Each call is its own short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import session_factory
from storage.models import WhatsAppInboundRow, WhatsAppOutboundRow

MAX_ERROR_LENGTH = 500
# Statuses never go back: a late "delivered" does not undo a "read" or a "failed".
_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}

_INSERTS = {
    "postgresql": postgresql.insert(WhatsAppInboundRow).on_conflict_do_nothing(
        index_elements=["message_id"]
    ),
    "sqlite": sqlite.insert(WhatsAppInboundRow).on_conflict_do_nothing(
        index_elements=["message_id"]
    ),
}


@dataclass(frozen=True, slots=True)
class SentRecord:
    """A message Lipa sent, as stored."""

    message_id: str
    wa_id: str
    kind: str
    text: str
    status: str


class SqlWhatsAppLedger:
    """The ``whatsapp_inbound`` and ``whatsapp_outbound`` tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)
        self._insert = _INSERTS[engine.dialect.name]

    async def first_delivery(self, message_id: str, wa_id: str, *, at: datetime) -> bool:
        """Record a received message; False if its id was recorded before (a redelivery).

        The insert is one statement that ignores a conflict on the id, so of two processes
        given the same delivery at once exactly one sees True.
        """
        async with self._sessions() as session:
            result = await session.execute(
                self._insert.values(message_id=message_id, wa_id=wa_id, received_at=at)
            )
            await session.commit()
        return bool(getattr(result, "rowcount", 0))

    async def last_inbound_at(self, wa_id: str) -> datetime | None:
        """When the customer's latest message was received, if ever."""
        async with self._sessions() as session:
            latest: datetime | None = await session.scalar(
                select(func.max(WhatsAppInboundRow.received_at)).where(
                    WhatsAppInboundRow.wa_id == wa_id
                )
            )
        return latest

    async def record_sent(
        self, message_id: str, wa_id: str, *, kind: str, text: str, at: datetime
    ) -> None:
        """Record a message WhatsApp (or the SMS gateway) accepted."""
        async with self._sessions() as session:
            existing = await session.get(WhatsAppOutboundRow, message_id)
            if existing is None:
                session.add(
                    WhatsAppOutboundRow(
                        message_id=message_id,
                        wa_id=wa_id,
                        kind=kind,
                        text=text,
                        status="accepted",
                        created_at=at,
                        updated_at=at,
                    )
                )
                await session.commit()

    async def record_status(
        self, message_id: str, status: str, *, at: datetime, error: str | None = None
    ) -> SentRecord | None:
        """Record a status WhatsApp reported; the message if this status is new for it.

        None for a message Lipa did not record (sent before, or by another app), and for a
        status it had already reached (a redelivered or late status changes nothing).
        """
        rank = _RANK.get(status)
        if rank is None:
            return None
        async with self._sessions() as session:
            row = await session.get(WhatsAppOutboundRow, message_id, with_for_update=True)
            if row is None or _RANK.get(row.status, 0) >= rank:
                return None
            # The rank is checked again by the UPDATE itself: SQLite takes no row lock for the
            # read above, so two statuses handled at once (a late "delivered" beside a
            # "failed") could otherwise both pass the check and the lower one win.
            lower = [name for name, value in _RANK.items() if value < rank]
            result = await session.execute(
                update(WhatsAppOutboundRow)
                .where(
                    WhatsAppOutboundRow.message_id == message_id,
                    WhatsAppOutboundRow.status.in_(lower),
                )
                .values(
                    status=status,
                    error=error[:MAX_ERROR_LENGTH] if error else WhatsAppOutboundRow.error,
                    updated_at=at,
                )
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            if not getattr(result, "rowcount", 0):
                return None
            return SentRecord(row.message_id, row.wa_id, row.kind, row.text, status)

    async def sent_to(self, wa_id: str) -> list[SentRecord]:
        """Every message recorded for a customer, oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(WhatsAppOutboundRow)
                .where(WhatsAppOutboundRow.wa_id == wa_id)
                .order_by(WhatsAppOutboundRow.created_at)
            )
            return [
                SentRecord(row.message_id, row.wa_id, row.kind, row.text, row.status)
                for row in rows
            ]
