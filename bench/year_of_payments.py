"""A year of payments: what a large business's database does to Lipa's everyday work.

The database gets 1,000,000 payments over the last 365 days (more on weekdays and around
midday and month-ends, every outcome, four channels, a third of the orders paid in parts),
written in bulk (COPY on PostgreSQL, ``executemany`` on SQLite). Then, with the real service
running in this process against a fake Bot API, it measures:

- settling a callback: the process's CPU per settlement (through the real settlement service
  and its batcher, 50 at a time) on this database and on an empty one, same run;
- the staff commands ``/today``, ``/pending``, ``/find <receipt>``, ``/find <phone>`` (time
  from the command to the answer reaching the fake Bot API);
- ``/export`` of this month: time, and this process's resident memory growth;
- ``GET /api/payments``: the first page, and the 50th page reached through the cursors;
- one pass of the reconciler and one of the Buy-Now-Pay-Later collector.

    python -m bench.year_of_payments [--payments 1000000] [--database both]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy import insert, select

from bench.callback_ingestion import callback_body
from bench.common import POSTGRES, database, rss_mib
from bench.machine import machine_line
from checkout.outbox.delivery import DeliveryPolicy
from checkout.payments.batching import SettlementBatcher
from checkout.payments.settle import SettlementService
from lipa.cli import configure_logging
from lipa.demo import free_port
from lipa.service import Service
from lipa.settings import Settings
from lipa_testing import FakeTelegram
from storage.database import create_engine, session_factory
from storage.models import OrderRow, PaymentRow
from storage.unit_of_work import unit_of_work_factory
from webhook.mpesa import take_callback

Row = tuple[Any, ...]
STAFF = 7001
API_TOKEN = "bench-api-token-0123456789abcdef0123456789"
SETTLED_FOR_COST = 2000
CHANNELS = (("telegram", 55), ("ussd", 30), ("whatsapp", 10), ("web", 5))
OUTCOMES = (("paid", 0, 72), ("failed", 1, 9), ("cancelled", 1032, 12), ("expired", None, 5))
TARGET_COMMAND_S = 0.3
TARGET_PASS_S = 0.1
TARGET_RSS_MIB = 50
TARGET_SETTLE_RATIO = 1.2
COLUMNS = (
    "id",
    "order_id",
    "channel",
    "chat_key",
    "language",
    "amount",
    "phone",
    "status",
    "checkout_request_id",
    "merchant_request_id",
    "result_code",
    "result_description",
    "receipt_number",
    "created_at",
    "requested_at",
    "settled_at",
    "updated_at",
    "check_attempts",
    "method",
)


def _weighted(pairs: tuple[tuple[Any, ...], ...]) -> list[tuple[Any, ...]]:
    return [pair for pair in pairs for _ in range(pair[-1])]


def year_rows(count: int, now: datetime, rng: random.Random) -> tuple[list[Row], list[Row]]:
    """Orders and payments over the last 365 days, as tuples in the tables' column order."""
    order_rows: list[Row] = []
    payment_rows: list[Row] = []
    channels = [name for name, _ in _weighted(CHANNELS)]
    outcomes = _weighted(OUTCOMES)
    start = now - timedelta(days=365)
    order: list[Any] = []
    for n in range(count):
        if n % 3 == 0 or not order:
            # Weekdays and month-ends busier, most payments between 08:00 and 20:00.
            while True:
                day = start + timedelta(days=rng.randrange(365))
                if (
                    rng.random()
                    < (0.6 if day.weekday() >= 5 else 1.0) * (1.3 if day.day >= 25 else 1.0) / 1.3
                ):
                    break
            created = day.replace(hour=5 + min(int(rng.gauss(7, 3) % 12), 11)) + timedelta(
                seconds=rng.randrange(3600)
            )
            order = [len(order_rows) + 1, f"Y{len(order_rows) + 1:07d}", 0, 0, created]
            order[2] = rng.randrange(100, 20_000)
            order_rows.append(tuple(order))
        status, code, _ = rng.choice(outcomes)
        channel = rng.choice(channels)
        created_at = order[4] + timedelta(seconds=rng.randrange(1800))
        phone = f"2547{rng.randrange(10**8):08d}"
        chat = phone if channel in ("ussd", "whatsapp") else str(100_000 + rng.randrange(200_000))
        settled = created_at + timedelta(seconds=rng.randrange(15, 90))
        payment_rows.append(
            (
                n + 1,
                order[0],
                channel,
                chat,
                "sw" if rng.random() < 0.3 else "en",
                rng.randrange(10, 15_000),
                phone,
                status,
                f"ws_CO_year_{n + 1}",
                f"m-year-{n + 1}",
                code,
                status,
                f"Y{n + 1:09d}" if status == "paid" else None,
                created_at,
                created_at,
                settled,
                settled,
                0,
                "stk" if rng.random() < 0.95 else "till",
            )
        )
    return order_rows, payment_rows


def order_tuples(orders: list[Row]) -> list[Row]:
    """(id, reference, amount_due, amount_paid, status, known, created_at, updated_at)."""
    return [
        (oid, reference, due, 0, "open", True, created, created)
        for oid, reference, due, _paid, created in orders
    ]


ORDER_COLUMNS = (
    "id",
    "reference",
    "amount_due",
    "amount_paid",
    "status",
    "known",
    "created_at",
    "updated_at",
)


async def fill(url: str, count: int) -> tuple[str, str]:
    """Write the year; a receipt number and a phone that exist in it."""
    orders, payments = year_rows(count, datetime.now(UTC), random.Random(20))
    order_values = order_tuples(orders)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        await asyncio.to_thread(_fill_sqlite, path, order_values, payments)
    else:
        name = url.rsplit("/", 1)[1]
        connection = await asyncpg.connect(POSTGRES.rsplit("/", 1)[0] + "/" + name)
        try:
            await connection.copy_records_to_table(
                "orders", records=order_values, columns=ORDER_COLUMNS
            )
            await connection.copy_records_to_table("payments", records=payments, columns=COLUMNS)
            for table in ("orders", "payments"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) "  # noqa: S608
                    f"FROM {table}"
                )
            await connection.execute("ANALYZE")
        finally:
            await connection.close()
    paid = next(row for row in reversed(payments) if row[12])
    return str(paid[12]), str(paid[6])


INSERT_PAYMENTS = "INSERT INTO payments ({}) VALUES ({})".format(  # noqa: S608 - constants
    ", ".join(COLUMNS), ", ".join("?" * len(COLUMNS))
)


def _fill_sqlite(path: str, orders: list[Row], payments: list[Row]) -> None:
    def iso(value: object) -> object:
        # As SQLAlchemy's SQLite DateTime stores them: UTC, no zone, microseconds.
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    connection = sqlite3.connect(path)
    with connection:
        connection.execute("PRAGMA synchronous=OFF")
        connection.executemany(
            f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) VALUES ({', '.join('?' * 8)})",  # noqa: S608
            ([iso(value) for value in row] for row in orders),
        )
        connection.executemany(INSERT_PAYMENTS, ([iso(value) for value in row] for row in payments))
    connection.execute("ANALYZE")
    connection.close()


async def settle_cost(url: str, first_id: int) -> float:
    """The process's CPU ms per settlement, for SETTLED_FOR_COST fresh pending payments."""
    engine = create_engine(url, pool_size=20)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(
            insert(OrderRow),
            [
                {
                    "reference": f"SC-{first_id + index}",
                    "amount_due": 100,
                    "amount_paid": 0,
                    "status": "open",
                    "known": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for index in range(SETTLED_FOR_COST)
            ],
        )
        ids = dict(
            (
                await connection.execute(
                    select(OrderRow.reference, OrderRow.id).where(OrderRow.reference.like("SC-%"))
                )
            ).all()
        )
        await connection.execute(
            insert(PaymentRow),
            [
                {
                    "order_id": ids[f"SC-{first_id + index}"],
                    "channel": "telegram",
                    "chat_key": str(100_000 + index),
                    "language": "en",
                    "amount": 100,
                    "phone": f"254712{index:06d}",
                    "status": "pending",
                    "merchant_request_id": f"bench-m-{index}",
                    "checkout_request_id": f"ws_CO_bench_{index}",
                    "created_at": now,
                    "updated_at": now,
                    "check_attempts": 0,
                }
                for index in range(SETTLED_FOR_COST)
            ],
        )
    units = unit_of_work_factory(session_factory(engine))
    batcher = SettlementBatcher(SettlementService(units, clock=lambda: datetime.now(UTC)))
    bodies = [callback_body(index, 100) for index in range(SETTLED_FOR_COST)]
    gate = asyncio.Semaphore(50)

    async def one(body: bytes) -> None:
        async with gate:
            taken = await take_callback(batcher, body, None)
            assert taken.outcome is not None, taken

    started = time.process_time()
    await asyncio.gather(*(one(body) for body in bodies))
    cpu = time.process_time() - started
    await engine.dispose()
    return cpu * 1000 / SETTLED_FOR_COST


@contextlib.asynccontextmanager
async def running(url: str) -> AsyncIterator[tuple[Service, FakeTelegram]]:
    """The service on ``url`` in this process, with the API on and staff commands allowed."""
    async with FakeTelegram() as telegram:
        port = free_port()
        settings = Settings(
            _env_file=None,
            database_url=url,
            telegram_bot_token=telegram.token,
            telegram_api_base_url=telegram.base_url,
            mpesa_environment="simulator",
            mpesa_callback_secret="bench-callback-secret",
            port=port,
            public_base_url=f"http://127.0.0.1:{port}",
            staff_user_ids=[STAFF],
            api_token=API_TOKEN,
            log_level="WARNING",
        )
        service = Service(settings, delivery=DeliveryPolicy(idle_poll_seconds=0.5))
        await service.start()
        try:
            yield service, telegram
        finally:
            await service.stop()


async def command_seconds(telegram: FakeTelegram, command: str) -> float:
    name, _, argument = command.partition(" ")
    before = len(telegram.sent)
    started = time.perf_counter()
    await telegram.user_sends_command(STAFF, name, argument or None)
    await telegram.wait_for(lambda m: m.chat_id == STAFF, 120, start=before)
    return time.perf_counter() - started


async def api_pages(base_url: str) -> tuple[float, float]:
    """Seconds for the first page of GET /api/payments and for the 50th (through cursors)."""
    since = (datetime.now(UTC) - timedelta(days=366)).isoformat()
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    first = fiftieth = 0.0
    cursor = None
    async with aiohttp.ClientSession(headers=headers) as http:
        for page in range(50):
            query = {"since": since, "limit": "100", **({"cursor": cursor} if cursor else {})}
            started = time.perf_counter()
            async with http.get(f"{base_url}/api/payments", params=query) as answer:
                body = await answer.json()
                assert answer.status == 200, body
            elapsed = time.perf_counter() - started
            first = elapsed if page == 0 else first
            fiftieth = elapsed
            cursor = body["next_cursor"]
    return first, fiftieth


async def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def run(kind: str, count: int) -> list[str]:
    rows: list[str] = []

    def row(figure: str, value: str, target: str, met: bool | None = None) -> None:
        verdict = "" if met is None else (" **met**" if met else " **not met**")
        rows.append(f"| {kind} | {figure} | {value} | {target}{verdict} |")

    async with database(kind) as empty_url:
        empty_cost = await settle_cost(empty_url, 0)
    async with database(kind) as url:
        started = time.perf_counter()
        receipt, phone = await fill(url, count)
        written = time.perf_counter() - started
        print(f"{kind}: {count:,} payments written in {written:.1f} s", flush=True)
        full_cost = await settle_cost(url, count)
        ratio = full_cost / empty_cost
        row(
            "settle CPU ms (1M / empty)",
            f"{full_cost:.2f} / {empty_cost:.2f} = **{ratio:.2f}×**",
            f"≤ {TARGET_SETTLE_RATIO}×",
            ratio <= TARGET_SETTLE_RATIO,
        )
        async with running(url) as (service, telegram):
            await command_seconds(telegram, "/help")  # the staff check and first statements
            for command in ("/today", "/pending", f"/find {receipt}", f"/find {phone}"):
                seconds = await command_seconds(telegram, command)
                shown = command.split()[0] + (" <receipt>" if receipt in command else "")
                shown = shown + (" <phone>" if phone in command else "")
                row(f"`{shown}` s", f"{seconds:.3f}", "< 0.3", seconds < TARGET_COMMAND_S)
            gc.collect()
            before = rss_mib(_pid())
            seconds = await command_seconds(telegram, "/export")
            growth = rss_mib(_pid()) - before
            row("`/export` (this month) s", f"{seconds:.2f}", "streams")
            row(
                "`/export` RSS growth MiB",
                f"{growth:.1f}",
                f"< {TARGET_RSS_MIB}",
                growth < TARGET_RSS_MIB,
            )
            first, fiftieth = await api_pages(service.base_url)
            row(
                "`GET /api/payments` page 1 / page 50 ms",
                f"{first * 1000:.1f} / {fiftieth * 1000:.1f}",
                "constant per page",
                fiftieth < 2 * first + 0.01,
            )
            assert service.lipa is not None
            lipa = service.lipa
            seconds = await timed(lipa.reconciler.run_once)
            row("reconciler pass s", f"{seconds:.3f}", "< 0.1", seconds < TARGET_PASS_S)
            seconds = await timed(lipa.collector.run_once)
            row("collector pass s", f"{seconds:.3f}", "< 0.1", seconds < TARGET_PASS_S)
    return rows


def _pid() -> int:
    return os.getpid()


async def main_async(kinds: list[str], count: int) -> None:
    print(f"a year of payments: {count:,} payments over 365 days", flush=True)
    rows = []
    for kind in kinds:
        rows += await run(kind, count)
    print("| database | figure | result | target |")
    print("| --- | --- | --- | --- |")
    for line in rows:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    configure_logging("ERROR")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(machine_line(), flush=True)
    started = time.monotonic()
    asyncio.run(main_async(kinds, args.payments))
    print(f"(the whole run took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
