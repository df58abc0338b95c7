"""Staff commands on a busy database: how long each takes with 100,000 payments.

The database is filled with 100,000 payments over the last 60 days (every outcome, a third of
them on orders paid in parts) and an audit event for each settled one. Then the real service
runs against a fake Bot API and a staff member sends each command; the time from sending the
command to the fake receiving the answer (photo, document or text) is printed.

    python -m bench.staff_commands [--payments 100000] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from bench.burst_delivery import drop_postgres, postgres_database
from bench.common import staff_service
from bench.machine import machine_line
from checkout.domain.records import PaymentStatus
from lipa_testing.telegram_api import FakeTelegram
from storage.database import create_engine
from storage.migrate import upgrade
from storage.models import OrderRow, PaymentEventRow, PaymentRow

STAFF = 7001
CHUNK = 5_000
SEQUENCE_RESETS = (
    "SELECT setval(pg_get_serial_sequence('orders', 'id'), max(id)) FROM orders",
    "SELECT setval(pg_get_serial_sequence('payments', 'id'), max(id)) FROM payments",
)
OUTCOMES = [
    (PaymentStatus.PAID, 0, 70),
    (PaymentStatus.FAILED, 1, 10),
    (PaymentStatus.CANCELLED, 1032, 12),
    (PaymentStatus.EXPIRED, None, 3),
    (PaymentStatus.PENDING, None, 5),
]


def payment_rows(
    count: int, now: datetime, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Orders and payments, spread over the last 60 days, as rows for bulk inserts."""
    orders: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    statuses = [status for status, _, weight in OUTCOMES for _ in range(weight)]
    codes = {status: code for status, code, _ in OUTCOMES}
    for n in range(count):
        if n % 3 == 0 or not orders:
            created = now - timedelta(seconds=rng.randrange(60 * 86_400))
            orders.append(
                {
                    "id": len(orders) + 1,
                    "reference": f"B{len(orders) + 1:07d}",
                    "amount_due": rng.randrange(100, 20_000),
                    "amount_paid": 0,
                    "status": "open",
                    "known": True,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        order = orders[-1]
        status = rng.choice(statuses)
        amount = rng.randrange(1, 15_000)
        created_at = order["created_at"] + timedelta(seconds=rng.randrange(3_600))
        settled = status is not PaymentStatus.PENDING
        if status is PaymentStatus.PAID:
            order["amount_paid"] += amount
            order["status"] = (
                "paid" if order["amount_paid"] >= order["amount_due"] else "partly_paid"
            )
        payments.append(
            {
                "id": n + 1,
                "order_id": order["id"],
                "channel": "telegram",
                "chat_key": str(100_000 + n % 5_000),
                "language": "en",
                "amount": amount,
                "phone": f"2547{rng.randrange(10**8):08d}",
                "status": status.value,
                "checkout_request_id": f"ws_CO_{n + 1}",
                "merchant_request_id": f"m-{n + 1}",
                "result_code": codes[status],
                "result_description": status.value,
                "receipt_number": f"R{n + 1:09d}" if status is PaymentStatus.PAID else None,
                "created_at": created_at,
                "requested_at": created_at,
                "settled_at": created_at + timedelta(seconds=40) if settled else None,
                "updated_at": created_at,
                "check_attempts": 0,
            }
        )
    return orders, payments


async def fill(url: str, count: int) -> tuple[str, str]:
    """Fill the database; return a receipt number and a phone number that exist in it."""
    engine = create_engine(url)
    await upgrade(engine)
    orders, payments = payment_rows(count, datetime.now(UTC), random.Random(8))
    events = [
        {
            "payment_id": row["id"],
            "checkout_request_id": row["checkout_request_id"],
            "kind": "callback",
            "payload": {"ResultCode": row["result_code"]},
            "received_at": row["settled_at"],
        }
        for row in payments
        if row["settled_at"] is not None
    ]
    async with engine.begin() as connection:
        for table, rows in ((OrderRow, orders), (PaymentRow, payments), (PaymentEventRow, events)):
            for start in range(0, len(rows), CHUNK):
                await connection.execute(insert(table), rows[start : start + CHUNK])
        if connection.dialect.name == "postgresql":
            # The rows came with their ids: move the sequences past them.
            for statement in SEQUENCE_RESETS:
                await connection.execute(text(statement))
    await engine.dispose()
    paid = next(row for row in reversed(payments) if row["receipt_number"])
    return paid["receipt_number"], paid["phone"]


async def run(count: int, database: str) -> None:
    drop = None
    if database == "postgresql":
        url, drop = await postgres_database()
    else:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    started = time.perf_counter()
    receipt, phone = await fill(url, count)
    print(f"{count:,} payments written to {database} in {time.perf_counter() - started:.1f} s")
    try:
        # The seeded pending payments are history: keep the reconciler off them, so the
        # figures are the commands' own.
        async with staff_service(
            url, STAFF, reconcile_after_seconds=10**8, payment_expiry_seconds=2 * 10**8
        ) as (_service, telegram):
            commands = [
                "/today",
                "/pending",
                f"/find {receipt}",
                f"/find {phone}",
                "/find B0000042",
                "/report week",
                "/report month",
                "/export",
                "/neworder 1500 0712345678 Bench order",
            ]
            print(f"{'command':<28} {'seconds':>8}  answer")
            for text in commands:
                await measure(telegram, text)
    finally:
        if drop is not None:
            await drop_postgres(drop)


async def measure(telegram: FakeTelegram, text: str) -> None:
    name, _, argument = text.partition(" ")
    before = len(telegram.sent)
    started = time.perf_counter()
    await telegram.user_sends_command(STAFF, name, argument or None)
    answer = await telegram.wait_for(lambda m: m.chat_id == STAFF, 60, start=before)
    elapsed = time.perf_counter() - started
    size = f"{len(answer.file):,} bytes" if answer.file else f"{len(answer.body):,} characters"
    print(f"{text[:28]:<28} {elapsed:8.2f}  {answer.method}, {size}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    print(machine_line(), flush=True)
    asyncio.run(run(args.payments, args.database))


if __name__ == "__main__":
    main()
