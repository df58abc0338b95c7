"""WhatsApp's records in the database: received ids once, the window, statuses that only advance."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine
from storage.whatsapp import SqlWhatsAppLedger

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


async def test_a_message_id_is_recorded_once_even_when_two_processes_race(
    engine: AsyncEngine, database_url: str
) -> None:
    other = create_engine(database_url)
    try:
        first, second = SqlWhatsAppLedger(engine), SqlWhatsAppLedger(other)
        results = await asyncio.gather(
            first.first_delivery("wamid.1", "254712345678", at=NOW),
            second.first_delivery("wamid.1", "254712345678", at=NOW),
        )
        assert sorted(results) == [False, True]
        assert await first.first_delivery("wamid.2", "254712345678", at=NOW) is True
    finally:
        await other.dispose()


async def test_the_window_opens_at_the_customers_latest_message(engine: AsyncEngine) -> None:
    ledger = SqlWhatsAppLedger(engine)
    assert await ledger.last_inbound_at("254712345678") is None
    await ledger.first_delivery("wamid.1", "254712345678", at=NOW - timedelta(hours=30))
    await ledger.first_delivery("wamid.2", "254712345678", at=NOW)
    await ledger.first_delivery("wamid.3", "254700000001", at=NOW + timedelta(hours=1))
    assert await ledger.last_inbound_at("254712345678") == NOW


async def test_a_status_only_advances_and_is_reported_new_once(engine: AsyncEngine) -> None:
    ledger = SqlWhatsAppLedger(engine)
    await ledger.record_sent("wamid.9", "254712345678", kind="outbox", text="Paid", at=NOW)
    assert await ledger.record_status("wamid.unknown", "failed", at=NOW) is None
    delivered = await ledger.record_status("wamid.9", "delivered", at=NOW)
    assert delivered is not None
    assert (delivered.kind, delivered.text) == ("outbox", "Paid")
    assert await ledger.record_status("wamid.9", "sent", at=NOW) is None  # late: changes nothing
    assert await ledger.record_status("wamid.9", "delivered", at=NOW) is None  # again
    failed = await ledger.record_status("wamid.9", "failed", at=NOW, error="131026: gone")
    assert failed is not None
    assert await ledger.record_status("wamid.9", "failed", at=NOW) is None
    [record] = await ledger.sent_to("254712345678")
    assert record.status == "failed"
