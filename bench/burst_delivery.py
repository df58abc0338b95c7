"""A burst of payments settling at once: how the outbox delivers under Telegram's limits.

1,000 payments are pushed to the Daraja simulator, which approves them all within a few
seconds; their callbacks settle them, and the outbox delivers each customer's receipt and the
staff notifications to a fake Bot API that enforces Telegram's limits (1/s per private chat,
20/min per group, 30/s overall) with 429 answers. It prints how many messages were sent, how
many 429s the fake gave, and how long delivery took.

    python -m bench.burst_delivery [--payments 1000] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy import func, select

from bench.machine import machine_line
from checkout.conversation.model import StartPayment
from checkout.domain.records import Channel
from checkout.outbox.delivery import DeliveryPolicy
from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import SimulatorSettings
from lipa.app import utc_now
from lipa.cli import configure_logging
from lipa.demo import free_port
from lipa.service import Service
from lipa.settings import Settings
from lipa_testing.telegram_api import FakeTelegram, RateLimits
from storage.database import create_engine
from storage.migrate import upgrade
from storage.models import OutboxRow, PaymentRow

STAFF_CHAT = -1001
FIRST_CHAT = 100_000
DEADLINE_SECONDS = 110


async def postgres_database() -> tuple[str, str]:
    """A fresh PostgreSQL database for the run; returns (url, name)."""
    name = f"lipa_bench_{secrets.token_hex(4)}"
    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url, name


async def drop_postgres(name: str) -> None:
    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def run(payments: int, database: str) -> None:
    name = None
    if database == "postgresql":
        url, name = await postgres_database()
    else:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'burst.db'}"
    try:
        await burst(payments, url, database)
    finally:
        if name is not None:
            await drop_postgres(name)


async def burst(payments: int, url: str, database: str) -> None:
    async with (
        FakeTelegram() as telegram,
        SimulatorServer(SimulatorSettings(callback_delay=1.0, seed=1)) as simulator,
    ):
        telegram.enforce_rate_limits(RateLimits())
        port = free_port()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=url,
            telegram_bot_token=telegram.token,
            telegram_api_base_url=telegram.base_url,
            telegram_mode="webhook",
            telegram_webhook_secret="bench-secret",
            mpesa_environment="simulator",
            mpesa_api_base_url=simulator.base_url,
            mpesa_callback_secret="bench-callback",
            port=port,
            public_base_url=f"http://127.0.0.1:{port}",
            staff_chat_id=STAFF_CHAT,
            log_level="WARNING",
        )
        service = Service(settings, delivery=DeliveryPolicy(idle_poll_seconds=1.0))
        await service.start()
        try:
            lipa = service.lipa
            assert lipa is not None
            customers = []
            async with lipa.units() as unit:
                for index in range(payments):
                    await unit.orders.create(f"B-{index}", 100, known=True)
                    customers.append(
                        await unit.customers.get_or_create(
                            Channel.TELEGRAM, str(FIRST_CHAT + index), language="en", now=utc_now()
                        )
                    )
                await unit.commit()
            started = time.perf_counter()
            for first in range(0, payments, 100):
                await asyncio.gather(
                    *(
                        lipa.payments.start(
                            customers[index],
                            "en",
                            StartPayment(f"B-{index}", 100, f"25471{index:07d}", order_known=True),
                        )
                        for index in range(first, min(first + 100, payments))
                    )
                )
            pushed = time.perf_counter()
            settled_at = None
            while True:
                async with lipa.engine.connect() as connection:
                    pending = await connection.scalar(
                        select(func.count()).where(PaymentRow.status == "pending")
                    )
                    unsent = await connection.scalar(
                        select(func.count()).where(
                            OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None)
                        )
                    )
                if pending == 0 and settled_at is None:
                    settled_at = time.perf_counter()
                if pending == 0 and unsent == 0:
                    break
                if time.perf_counter() - started > DEADLINE_SECONDS:
                    raise SystemExit(
                        f"not done after {DEADLINE_SECONDS} s: {pending} pending, {unsent} unsent"
                    )
                await asyncio.sleep(0.2)
            delivered = time.perf_counter()
        finally:
            await service.stop()
        customer_messages = sum(
            1
            for message in telegram.sent
            if isinstance(message.chat_id, int) and message.chat_id > 0
        )
        staff_messages = [m for m in telegram.sent if m.chat_id == STAFF_CHAT]
        mentioned = sum(len(re.findall(r"\bB-\d+\b", m.text or "")) for m in staff_messages)
        duplicates = payments - len({m.chat_id for m in telegram.sent if m.chat_id != STAFF_CHAT})
        print(f"burst of {payments} payments on {database}")
        print("| figure | value |")
        print("| --- | --- |")
        print(f"| pushes sent | {pushed - started:.1f} s |")
        print(f"| all settled after the first push | {(settled_at or delivered) - started:.1f} s |")
        print(f"| customer messages sent | {customer_messages} (missing or extra: {duplicates}) |")
        staff_line = f"{len(staff_messages)}, covering {mentioned} payments"
        print(f"| staff messages sent (digests) | {staff_line} |")
        print(f"| 429 answers from the fake Bot API | {telegram.too_many_requests} |")
        after_settlement = delivered - (settled_at or delivered)
        print(f"| last message delivered after settlement | {after_settlement:.1f} s |")
        print(f"| total, first push to last message | {delivered - started:.1f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    configure_logging("ERROR")
    print(machine_line(), flush=True)
    asyncio.run(run(args.payments, args.database))


if __name__ == "__main__":
    main()
