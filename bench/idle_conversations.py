"""Benchmark 4: idle conversations, many customers left in the middle of a checkout.

The service runs in its own process (webhook mode). Customers, driven through a local fake
Bot API, open their order's deep link (``/start pay_<order>``), so each conversation now waits
for them to choose the amount, and go quiet (with ``--press-amount`` they choose it first and
the conversation waits for a phone number). The service's resident memory (VmRSS from /proc)
is read after start-up, after a warm-up of a few hundred customers (so pools, caches and code
paths that any traffic brings are already there), after all the customers, and after a full
garbage collection. A conversation's state lives in the database, so the process should hold
nothing per idle customer.

    python -m bench.idle_conversations [--customers 10000] [--warm-up 300]
        [--concurrency 100] [--press-amount] [--database sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
from dataclasses import dataclass

from bench.common import cpu_seconds, rss_mib, verdict
from bench.harness import Inbox, seeded_service
from bench.machine import machine_line
from lipa.cli import configure_logging
from lipa_testing.telegram_api import FakeTelegram

# The target: resident memory growth for 10,000 idle conversations, in MB.
GROWTH_TARGET_MB = 50.0

FIRST_CHAT = 300_000
AMOUNT = 1500


def reference(index: int) -> str:
    """The order customer ``index`` starts paying."""
    return f"IC-{index}"


@dataclass(frozen=True, slots=True)
class Driver:
    """How the customers are driven."""

    telegram: FakeTelegram
    inbox: Inbox
    concurrency: int
    press_amount: bool

    async def leave_mid_flow(self, index: int) -> None:
        """Customer ``index`` opens the order's link (and picks the amount), then goes quiet."""
        chat = FIRST_CHAT + index
        await self.telegram.user_sends_command(chat, "start", f"pay_{reference(index)}")
        await self.inbox.next(chat, "KES")
        if self.press_amount:
            await self.telegram.user_presses_button(chat, f"amount:{AMOUNT}")
            await self.inbox.next(chat, "M-Pesa number")

    async def customers(self, indexes: range) -> None:
        """Run the customers ``indexes``, ``concurrency`` of them at a time."""
        pending = iter(indexes)

        async def worker() -> None:
            for index in pending:
                await self.leave_mid_flow(index)

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))


async def settled_rss(pid: int) -> float:
    """The process's resident memory once it has stopped changing for a moment."""
    previous = rss_mib(pid)
    for _ in range(20):
        await asyncio.sleep(0.25)
        current = rss_mib(pid)
        if abs(current - previous) < 0.1:
            return current
        previous = current
    return previous


async def run(kind: str, count: int, warm_up: int, concurrency: int, press_amount: bool) -> None:
    """One run; prints its table."""
    orders = [reference(index) for index in range(warm_up + count)]
    async with seeded_service(kind, orders, AMOUNT, max_messages_per_second=1000) as shop:
        driver = Driver(shop.telegram, shop.inbox, concurrency, press_amount)
        pid = shop.service.pid
        started_rss = await settled_rss(pid)
        await driver.customers(range(warm_up))
        warm_rss = await settled_rss(pid)
        began, cpu_before = time.monotonic(), cpu_seconds(pid)
        await driver.customers(range(warm_up, warm_up + count))
        elapsed, cpu = time.monotonic() - began, cpu_seconds(pid) - cpu_before
        after_rss = await settled_rss(pid)
        os.kill(pid, signal.SIGUSR1)  # the service collects garbage
        collected_rss = await settled_rss(pid)
    growth = collected_rss - warm_rss
    waiting = "a phone number" if press_amount else "the amount"
    print(
        f"idle conversations: {count} customers (after {warm_up} for warm-up) left waiting for "
        f"{waiting}, {concurrency} at a time, on {kind}; {elapsed:.1f} s, "
        f"service CPU {cpu * 1000 / count:.1f} ms per customer"
    )
    print("| service process | resident memory MiB |")
    print("| --- | --- |")
    print(f"| after start-up | {started_rss:.1f} |")
    print(f"| after {warm_up} warm-up customers (before) | {warm_rss:.1f} |")
    print(f"| after {count} more customers (after) | {after_rss:.1f} |")
    print(f"| after a full garbage collection | {collected_rss:.1f} |")
    print(f"| **growth for {count} idle conversations** | **{growth:+.1f}** |")
    # The target is for 10,000 customers; a smaller run's growth is mostly warm-up noise.
    target = f"target: under {GROWTH_TARGET_MB:.0f} MB for 10,000"
    if count >= 10_000:
        print(f"{target}: {verdict(growth < GROWTH_TARGET_MB)}")
    else:
        print(f"{target}: not judged on {count:,} customers")
    print(f"| growth since start-up | {collected_rss - started_rss:+.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--warm-up", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--press-amount",
        action="store_true",
        help="also press the amount button (the conversation then waits for a phone number)",
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    configure_logging("ERROR")
    print(machine_line(), flush=True)
    asyncio.run(
        run(args.database, args.customers, args.warm_up, args.concurrency, args.press_amount)
    )


if __name__ == "__main__":
    main()
