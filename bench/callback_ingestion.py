"""Benchmark 1: callback ingestion, Lipa against a bare-metal baseline, on SQLite and PostgreSQL.

5,000 success callbacks for pending payments are POSTed, 50 at a time, over real sockets to
a server in its own process: Lipa's real aiohttp application (secret check, parsing,
settlement, audit event, outbox rows, acknowledgement), then, on the same database engine, a
bare aiohttp handler that parses the same JSON and does one INSERT and COMMIT.

    python -m bench.callback_ingestion [--callbacks 5000] [--concurrency 50] [--database both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime

import aiohttp
from sqlalchemy import func, insert, select

from bench.callback_servers import SECRET
from bench.common import child_server, database, percentile
from bench.machine import machine_line
from lipa.demo import free_port
from storage.database import create_engine
from storage.models import OrderRow, PaymentRow


def callback_body(index: int, amount: int) -> bytes:
    """A success callback in Daraja's shape for the seeded payment ``index``."""
    return json.dumps(
        {
            "Body": {
                "stkCallback": {
                    "MerchantRequestID": f"bench-m-{index}",
                    "CheckoutRequestID": f"ws_CO_bench_{index}",
                    "ResultCode": 0,
                    "ResultDesc": "The service request is processed successfully.",
                    "CallbackMetadata": {
                        "Item": [
                            {"Name": "Amount", "Value": float(amount)},
                            {"Name": "MpesaReceiptNumber", "Value": f"B{index:09d}"},
                            {"Name": "Balance"},
                            {"Name": "TransactionDate", "Value": 20261128101500},
                            {"Name": "PhoneNumber", "Value": 254712000000 + index},
                        ]
                    },
                }
            }
        }
    ).encode()


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
                {
                    "order_id": ids[f"BN-{index}"],
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


async def drive(port: int, count: int, concurrency: int) -> tuple[float, list[float], int]:
    """POST the callbacks; return (seconds, latencies in ms, non-200 answers)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)
    latencies: list[float] = []
    failures = 0
    url = f"http://127.0.0.1:{port}/mpesa/callback/{SECRET}"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                index = queue.get_nowait()
                body = callback_body(index, 100)
                started = time.perf_counter()
                async with session.post(
                    url, data=body, headers={"Content-Type": "application/json;charset=UTF-8"}
                ) as answer:
                    await answer.read()
                    if answer.status != 200:
                        failures += 1
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, failures


async def run_one(kind: str, count: int, concurrency: int) -> list[str]:
    rows = []
    results = {}
    for server in ("baseline", "lipa"):
        async with database(kind) as url:
            await seed(url, count)
            port = free_port()
            arguments = (server, url, str(port))
            async with child_server("bench.callback_servers", *arguments, port=port):
                elapsed, latencies, failures = await drive(port, count, concurrency)
            if server == "lipa":
                settled = await paid_count(url)
                assert settled == count, f"only {settled} of {count} payments settled"
        rate = count / elapsed
        results[server] = rate
        rows.append(
            f"| {kind} | {server} | {rate:,.0f} | {percentile(latencies, 0.5):.1f} | "
            f"{percentile(latencies, 0.99):.1f} | {failures} |"
        )
    ratio = results["lipa"] / results["baseline"]
    rows.append(f"| {kind} | **Lipa / baseline** | **{ratio:.2f}** | | | |")
    return rows


async def main_async(count: int, concurrency: int, kinds: list[str]) -> None:
    print(f"callback ingestion: {count} callbacks, {concurrency} at a time")
    print("| database | server | callbacks/s | p50 ack ms | p99 ack ms | non-200 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in kinds:
        for row in await run_one(kind, count, concurrency):
            print(row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(machine_line(), flush=True)
    asyncio.run(main_async(args.callbacks, args.concurrency, kinds))


if __name__ == "__main__":
    main()
