"""Benchmark 1: callback ingestion, Lipa against a bare-metal baseline, on SQLite and PostgreSQL.

5,000 success callbacks for pending payments are POSTed, 50 at a time, over real sockets to
a server in its own process: Lipa's real aiohttp application (secret check, parsing,
settlement, audit event, outbox rows, acknowledgement), then, on the same database engine, a
bare aiohttp handler that parses the same JSON and does one INSERT and COMMIT. Each server's
CPU per callback (user plus system, all its threads, while the callbacks arrive) is printed
too: it moves far less than the rates when other processes share the machine.

    python -m bench.callback_ingestion [--callbacks 5000] [--concurrency 50] [--database both]
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from bench.callback_servers import SECRET
from bench.callbacks import Acks, pending_payment, post_callbacks, success_callback
from bench.common import (
    add_database_option,
    child_server,
    cpu_seconds,
    database,
    databases_chosen,
    percentile,
    verdict,
)
from bench.machine import machine_line
from lipa.demo import free_port
from storage.database import create_engine
from storage.models import OrderRow, PaymentRow

# The targets: at least this share of the bare baseline's rate, and the acknowledgements' p99.
RATIO_TARGET = 0.75
P99_TARGET_MS = 50.0


def callback_body(index: int, amount: int) -> bytes:
    """A success callback in Daraja's shape for the seeded payment ``index``."""
    return success_callback(
        merchant=f"bench-m-{index}",
        checkout=f"ws_CO_bench_{index}",
        amount=amount,
        receipt=f"B{index:09d}",
        phone=254712000000 + index,
    )


async def seed(url: str, count: int, first: int = 0) -> None:
    """``count`` orders, each with one pending payment whose push Daraja accepted; their
    indexes (for :func:`callback_body`) start at ``first``."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(
            insert(OrderRow),
            [
                {
                    "reference": f"BN-{index}",
                    "amount_due": 100,
                    "amount_paid": 0,
                    "status": "open",
                    "known": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for index in range(first, first + count)
            ],
        )
        ids = dict(
            (
                await connection.execute(
                    select(OrderRow.reference, OrderRow.id).where(OrderRow.reference.like("BN-%"))
                )
            ).all()
        )
        await connection.execute(
            insert(PaymentRow),
            [
                pending_payment(
                    index,
                    order_id=ids[f"BN-{index}"],
                    channel="telegram",
                    chat_key=str(100_000 + index),
                    amount=100,
                    phone=f"254712{index:06d}",
                    now=now,
                )
                for index in range(first, first + count)
            ],
        )
    await engine.dispose()


async def paid_count(url: str) -> int:
    engine = create_engine(url)
    async with engine.connect() as connection:
        count = await connection.scalar(select(func.count()).where(PaymentRow.status == "paid"))
    await engine.dispose()
    return int(count or 0)


async def drive(port: int, count: int, concurrency: int) -> Acks:
    """POST the callbacks, ``concurrency`` at a time."""
    bodies = [callback_body(index, 100) for index in range(count)]
    return await post_callbacks(
        f"http://127.0.0.1:{port}/mpesa/callback/{SECRET}", bodies, concurrency
    )


async def run_one(kind: str, count: int, concurrency: int) -> list[str]:
    rows = []
    results = {}
    for server in ("baseline", "lipa"):
        async with database(kind) as url:
            await seed(url, count)
            port = free_port()
            arguments = (server, url, str(port))
            async with child_server("bench.callback_servers", *arguments, port=port) as pid:
                # The server's own CPU while it takes the callbacks (not its start-up): a
                # measure other processes on the machine hardly disturb, unlike the rate.
                before = cpu_seconds(pid)
                acks = await drive(port, count, concurrency)
                cpu_ms = (cpu_seconds(pid) - before) * 1000 / count
            if server == "lipa":
                settled = await paid_count(url)
                assert settled == count, f"only {settled} of {count} payments settled"
        results[server] = acks.rate
        p99 = percentile(acks.latencies, 0.99)
        target = f"p99 < {P99_TARGET_MS:.0f} ms: {verdict(p99 < P99_TARGET_MS)}"
        rows.append(
            f"| {kind} | {server} | {acks.rate:,.0f} | {percentile(acks.latencies, 0.5):.1f} | "
            f"{p99:.1f} | {acks.failures} | {cpu_ms:.3f} | {target if server == 'lipa' else ''} |"
        )
    ratio = results["lipa"] / results["baseline"]
    target = f"≥ {RATIO_TARGET}×: {verdict(ratio >= RATIO_TARGET)}"
    rows.append(f"| {kind} | **Lipa / baseline** | **{ratio:.2f}** | | | | | {target} |")
    return rows


async def main_async(count: int, concurrency: int, kinds: list[str]) -> None:
    print(f"callback ingestion: {count} callbacks, {concurrency} at a time")
    print(
        "| database | server | callbacks/s | p50 ack ms | p99 ack ms | non-200 "
        "| server CPU ms/callback | target |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind in kinds:
        for row in await run_one(kind, count, concurrency):
            print(row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    add_database_option(parser)
    args = parser.parse_args()
    kinds = databases_chosen(args.database)
    print(machine_line(), flush=True)
    asyncio.run(main_async(args.callbacks, args.concurrency, kinds))


if __name__ == "__main__":
    main()
