"""A large /export is read in chunks into a temporary file, and the whole file is right."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from bot.staff import StaffHandlers
from checkout.domain.time import NAIROBI
from checkout.i18n.staff import st
from checkout.staff.answers import DocumentAnswer, StaffAnswer, StaffRequest
from checkout.staff.reports import CSV_COLUMNS, EXPORT_IN_MEMORY_BYTES, ReportService
from lipa_testing.telegram_api import FakeTelegram
from storage.database import create_engine
from storage.models import OrderRow, PaymentRow
from storage.unit_of_work import SqlUnitOfWork
from tests.e2e.conftest import StartService, service_settings
from tests.staff.test_staff_commands import STAFF, command, start

UowFactory = Callable[[], SqlUnitOfWork]
# 10:00 in Nairobi on 28 November 2026; the month exported is November up to today.
NOW = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
FIRST = datetime(2026, 11, 1, tzinfo=NAIROBI)
STATUSES = ("paid", "failed", "cancelled", "expired", "paid")


async def insert_payments(
    engine: AsyncEngine, count: int, first: datetime, step: timedelta, *, per_time: int = 1
) -> None:
    """``count`` payments from ``first``, ``per_time`` at a time ``step`` apart, one order
    each, two of every five paid; and one payment on each side of the range, which no export
    of it holds."""
    orders, payments = [], []
    times = [first - timedelta(minutes=1)]
    times += [first + step * (index // per_time) for index in range(count)]
    times += [first + step * count + timedelta(days=40)]
    for index, at in enumerate(times, start=1):
        status = STATUSES[index % len(STATUSES)]
        orders.append(
            {
                "id": index,
                "reference": f"S-{index}",
                "amount_due": 100,
                "amount_paid": 0,
                "status": "open",
                "known": True,
                "created_at": at,
                "updated_at": at,
            }
        )
        payments.append(
            {
                "id": index,
                "order_id": index,
                "channel": "telegram",
                "chat_key": str(index),
                "language": "en",
                "amount": index,
                "phone": f"2547{index:08d}",
                "status": status,
                "checkout_request_id": f"ws_CO_{index}",
                "receipt_number": f"R{index:09d}" if status == "paid" else None,
                "created_at": at,
                "settled_at": at + timedelta(seconds=40),
                "updated_at": at,
                "check_attempts": 0,
            }
        )
    async with engine.begin() as connection:
        await connection.execute(insert(OrderRow), orders)
        await connection.execute(insert(PaymentRow), payments)


async def insert_today(url: str, count: int) -> date:
    """``count`` payments a second apart from midnight today (Nairobi); today's date."""
    today = datetime.now(UTC).astimezone(NAIROBI).date()
    first = datetime.combine(today, datetime.min.time(), tzinfo=NAIROBI)
    engine = create_engine(url)
    try:
        await insert_payments(engine, count, first, timedelta(seconds=1))
    finally:
        await engine.dispose()
    return today


async def test_an_export_of_many_chunks_on_disk_has_every_payment_once_in_order(
    engine: AsyncEngine, uow: UowFactory
) -> None:
    count = 1000
    # Three payments at each time: they are then in the order of their ids.
    await insert_payments(engine, count, FIRST, timedelta(seconds=10), per_time=3)
    reports = ReportService(uow, clock=lambda: NOW, export_chunk=64, export_in_memory_bytes=4096)

    export = await reports.export(date(2026, 11, 1), date(2026, 11, 28))
    try:
        assert export.size > 4096  # more than stays in memory: written to a file on disk
        rows = list(csv.DictReader(io.StringIO(export.csv.decode())))
    finally:
        export.close()

    assert tuple(rows[0].keys()) == CSV_COLUMNS
    # Ids 2..1001 are the month's (id 1 is a minute before it, the last id 40 days after).
    assert [int(row["payment_id"]) for row in rows] == list(range(2, count + 2))
    assert export.count == count
    paid = [int(row["amount"]) for row in rows if row["status"] == "paid"]
    assert (export.paid_count, export.paid_amount) == (len(paid), sum(paid))
    assert len(paid) == 2 * count // 5
    assert rows[0]["created_at"] == "2026-11-01T00:00:00+03:00"
    assert rows[-1]["receipt_number"] in ("", f"R{count + 1:09d}")
    assert export.file.closed


async def test_the_bot_sends_an_export_larger_than_memory_holds_whole(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    assert service.lipa is not None
    # About 110 bytes a row: 12,000 rows are more than the export keeps in memory.
    count = 12_000
    today = await insert_today(sqlite_url, count)

    answer = await command(telegram, f"/export {today.isoformat()} {today.isoformat()}")

    assert answer.method == "sendDocument"
    assert answer.file is not None
    assert len(answer.file) > EXPORT_IN_MEMORY_BYTES
    rows = list(csv.DictReader(io.StringIO(answer.file.decode())))
    assert [int(row["payment_id"]) for row in rows] == list(range(2, count + 2))
    assert f"{count:,}" in answer.body


async def test_an_export_over_telegrams_upload_limit_is_sent_zipped_whole(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    # The limit at its least (1 MB): 12,000 rows of about 110 bytes are over it, zipped under.
    settings = service_settings(
        telegram,
        sqlite_url,
        mode="polling",
        staff_user_ids=[STAFF],
        telegram_upload_limit_mb=1,
    )
    service = await start_service(settings)
    assert service.lipa is not None
    count = 12_000
    today = await insert_today(sqlite_url, count)

    answer = await command(telegram, f"/export {today.isoformat()} {today.isoformat()}")

    assert answer.method == "sendDocument"
    assert answer.file is not None
    assert len(answer.file) <= 1024 * 1024
    assert answer.filename == f"payments-{today.isoformat()}-to-{today.isoformat()}.zip"
    with zipfile.ZipFile(io.BytesIO(answer.file)) as archive:
        (name,) = archive.namelist()
        csv_bytes = archive.read(name)
    assert name == f"payments-{today.isoformat()}-to-{today.isoformat()}.csv"
    assert len(csv_bytes) > 1024 * 1024
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode())))
    assert [int(row["payment_id"]) for row in rows] == list(range(2, count + 2))
    assert f"{count:,}" in answer.body


class OneFileDesk:
    """A staff desk that answers every command with one file (the handlers' side is tested)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    @property
    def commands(self) -> frozenset[str]:
        return frozenset({"export"})

    async def handle(self, request: StaffRequest) -> StaffAnswer:
        return DocumentAnswer("November", "payments.csv", io.BytesIO(self.data), "text/csv")

    def say(self, key: str, **params: object) -> str:
        return st("en", key, **params)


async def test_a_file_too_large_for_telegram_even_zipped_is_refused_with_what_to_do(
    telegram: FakeTelegram,
) -> None:
    noise = io.BytesIO(os.urandom(300_000))  # random bytes do not compress
    desk = OneFileDesk(noise.getvalue())
    handlers = StaffHandlers(desk, [STAFF], upload_limit=200_000)
    answer = await desk.handle(StaffRequest("export", "", "lipa_test_bot"))

    async with Bot(telegram.token, base_url=telegram.base_url) as bot:
        await handlers.send(bot, STAFF, answer)

    (sent,) = telegram.sent
    assert sent.method == "sendMessage"
    assert "too large for Telegram even zipped" in sent.body
    assert "/export 2026-01-01 2026-01-31" in sent.body
    assert isinstance(answer, DocumentAnswer)
    assert not isinstance(answer.data, bytes)
    assert answer.data.closed  # the export's file is closed all the same
