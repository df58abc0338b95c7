"""Benchmark 2: delivery latency, from an M-Pesa callback's arrival to the customer's message.

The service runs in its own process (webhook mode, the outbox sender woken in-process when a
commit queues messages). The benchmark seeds one pending payment per callback, then POSTs
success callbacks at a steady rate; a local fake Bot API in this process, answering at once,
records when each customer's receipt arrives. Both times come from this process's monotonic
clock. Telegram's overall limit is raised (``TELEGRAM_MAX_MESSAGES_PER_SECOND``, as paid
broadcasts allow) so the figure is Lipa's own latency, not the 30-a-second limiter's queue.

    python -m bench.delivery_latency [--rate 100] [--seconds 30] [--database sqlite]
        [--max-messages-per-second 1000] [--staff]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time

import aiohttp

from bench.callback_ingestion import callback_body, seed
from bench.common import cpu_seconds, database, percentile, verdict
from bench.harness import running_service
from bench.machine import machine_line
from lipa.cli import configure_logging
from lipa_testing.telegram_api import FakeTelegram

# The targets: a callback's customer message at Telegram within these, at 100 a second.
P50_TARGET_MS = 25.0
P99_TARGET_MS = 100.0

FIRST_CHAT = 100_000  # bench.callback_ingestion.seed gives payment i the chat 100000 + i
STAFF_CHAT = -1001
DRAIN_SECONDS = 30


async def post_callbacks(
    url: str, rate: int, count: int
) -> tuple[dict[int, float], list[float], int]:
    """POST ``count`` callbacks, one every ``1/rate`` s: (send times, ack ms, non-200s)."""
    arrived: dict[int, float] = {}
    acks: list[float] = []
    failures = 0
    headers = {"Content-Type": "application/json;charset=UTF-8"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:

        async def post(index: int) -> None:
            nonlocal failures
            body = callback_body(index, 100)
            started = time.monotonic()
            arrived[index] = started
            async with session.post(url, data=body, headers=headers) as answer:
                await answer.read()
                if answer.status != 200:
                    failures += 1
            acks.append((time.monotonic() - started) * 1000)

        tasks = []
        begin = time.monotonic()
        for index in range(count):
            delay = begin + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(index)))
        await asyncio.gather(*tasks)
    return arrived, acks, failures


async def run(
    kind: str, rate: int, seconds: int, max_rate: int, staff: bool
) -> tuple[list[str], list[str]]:
    """One run: the table's rows and notes."""
    count = rate * seconds
    async with database(kind) as url, FakeTelegram() as telegram:
        await seed(url, count)
        async with running_service(
            url,
            telegram,
            max_messages_per_second=max_rate,
            staff_chat_id=STAFF_CHAT if staff else None,
        ) as service:
            cpu_before = cpu_seconds(service.pid)
            started = time.monotonic()
            arrived, acks, failures = await post_callbacks(service.callback_url, rate, count)
            sending = time.monotonic() - started

            counted = [0, 0]  # messages looked at, customers' messages among them

            def customers_served() -> bool:
                sent = telegram.sent
                while counted[0] < len(sent):
                    counted[1] += sent[counted[0]].chat_id >= FIRST_CHAT
                    counted[0] += 1
                return counted[1] >= count

            with contextlib.suppress(TimeoutError):
                await telegram.wait_until(customers_served, timeout=DRAIN_SECONDS)
            cpu = cpu_seconds(service.pid) - cpu_before
    received: dict[int, float] = {}
    for message in telegram.sent:
        index = message.chat_id - FIRST_CHAT
        if 0 <= index < count and index not in received:
            received[index] = message.received_at
    latencies = [(received[index] - arrived[index]) * 1000 for index in received]
    staff_messages = sum(1 for m in telegram.sent if m.chat_id == STAFF_CHAT)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    target = (
        f"p50 < {P50_TARGET_MS:.0f} ms: {verdict(p50 < P50_TARGET_MS)}; "
        f"p99 < {P99_TARGET_MS:.0f} ms: {verdict(p99 < P99_TARGET_MS)}"
    )
    rows = [
        f"| {kind} | {rate}/s × {seconds} s | {len(received)} of {count} | "
        f"{p50:.1f} | {p99:.1f} | "
        f"{max(latencies, default=float('nan')):.1f} | {percentile(acks, 0.99):.1f} | "
        f"{cpu / seconds * 100:.0f}% | {target} |"
    ]
    notes = [
        f"{kind}: callbacks sent in {sending:.1f} s, {failures} non-200 answers; "
        f"staff chat {'set' if staff else 'unset'} ({staff_messages} staff messages); "
        f"Telegram limit {max_rate} messages/s."
    ]
    return rows, notes


async def main_async(kinds: list[str], rate: int, seconds: int, max_rate: int, staff: bool) -> None:
    print(
        f"delivery latency: {rate} callbacks/s for {seconds} s, callback arrival → "
        f"customer message at the fake Bot API (TELEGRAM_MAX_MESSAGES_PER_SECOND={max_rate}, "
        f"STAFF_CHAT_ID {'set' if staff else 'unset'})"
    )
    print(
        "| database | load | delivered | p50 ms | p99 ms | max ms | p99 ack ms | service CPU "
        "| target |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    notes: list[str] = []
    for kind in kinds:
        rows, run_notes = await run(kind, rate, seconds, max_rate, staff)
        notes += run_notes
        for row in rows:
            print(row, flush=True)
    for note in notes:
        print(f"- {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=100, help="callbacks a second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--max-messages-per-second", type=int, default=1000)
    parser.add_argument("--staff", action="store_true", help="set STAFF_CHAT_ID (digests too)")
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    configure_logging("ERROR")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(machine_line(), flush=True)
    asyncio.run(
        main_async(kinds, args.rate, args.seconds, args.max_messages_per_second, args.staff)
    )


if __name__ == "__main__":
    main()
