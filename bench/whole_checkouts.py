"""Benchmark 3: whole checkouts, many customers at once, from /start to the paid message.

The service runs in its own process with the python-telegram-bot application in webhook mode;
the Daraja simulator (approving every push almost at once) runs in another. Each simulated
customer, driven through a local fake Bot API in this process, opens the order's deep link
(``/start pay_<order>``), presses the amount button, types a distinct M-Pesa number, presses
Pay and waits for the paid message. Every step's reply time runs from the update being sent
to the bot's answer reaching the fake Bot API (one monotonic clock, this process's). The
service's CPU time comes from /proc. Telegram's overall limit is raised
(``TELEGRAM_MAX_MESSAGES_PER_SECOND``) so the limiter's queue does not set the pace.

    python -m bench.whole_checkouts [--customers 500] [--database sqlite]
        [--max-messages-per-second 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Mapping
from contextlib import AbstractAsyncContextManager

from bench.common import cpu_seconds, percentile, verdict
from bench.harness import Inbox, Shop, seeded_service
from bench.machine import machine_line
from lipa.cli import configure_logging
from lipa_testing.telegram_api import FakeTelegram

# The target: the service's CPU per completed checkout, /start to the paid message.
CPU_TARGET_MS = 20.0

FIRST_CHAT = 200_000
STAFF_CHAT = -1001
AMOUNT = 1500
STEPS = ("start", "amount", "phone", "pay: prompt", "pay: paid message")


def reference(index: int) -> str:
    """The order customer ``index`` pays."""
    return f"WC-{index}"


async def checkout(
    telegram: FakeTelegram, inbox: Inbox, index: int, times: dict[str, list[float]]
) -> None:
    """One customer pays their order; each step's reply time is added to ``times`` (ms)."""
    chat = FIRST_CHAT + index
    order = reference(index)

    async def step(name: str, send: Awaitable[object], reply: str) -> None:
        started = time.monotonic()
        await send
        try:
            message = await inbox.next(chat, reply)
        except TimeoutError:
            seen = [m.body[:40] for m in inbox.messages_to(chat)]
            raise TimeoutError(f"customer {index}: no reply to {name!r}; saw {seen}") from None
        times[name].append((message.received_at - started) * 1000)

    await step("start", telegram.user_sends_command(chat, "start", f"pay_{order}"), "KES")
    await step("amount", telegram.user_presses_button(chat, f"amount:{AMOUNT}"), "M-Pesa number")
    await step("phone", telegram.user_sends_text(chat, f"0711{index:06d}"), "Pay KES")
    pressed = time.monotonic()
    await step("pay: prompt", telegram.user_presses_button(chat, "pay"), "PIN")
    try:
        paid = await inbox.next(chat, "receipt")
    except TimeoutError:
        seen = [m.body[:60] for m in inbox.messages_to(chat)]
        raise TimeoutError(f"customer {index}: no paid message; saw {seen}") from None
    times["pay: paid message"].append((paid.received_at - pressed) * 1000)


def checkout_service(
    kind: str, customers: int, *, max_rate: int, env: Mapping[str, str] | None = None
) -> AbstractAsyncContextManager[Shop]:
    """The shop these checkouts run in: a fresh ``kind`` database with an order of
    :data:`AMOUNT` for each of ``customers``, the service (staff chat :data:`STAFF_CHAT`, at
    most ``max_rate`` Telegram messages a second, ``env`` added to its environment) and the
    simulator approving each push after 0.05 s."""
    return seeded_service(
        kind,
        [reference(index) for index in range(customers)],
        AMOUNT,
        max_messages_per_second=max_rate,
        staff_chat_id=STAFF_CHAT,
        callback_delay=0.05,
        env=env,
    )


async def run(kind: str, customers: int, max_rate: int) -> list[str]:
    """One run; the table's rows."""
    async with checkout_service(kind, customers, max_rate=max_rate) as shop:
        times: dict[str, list[float]] = defaultdict(list)
        pid = shop.service.pid
        cpu_before = cpu_seconds(pid)
        loop_before = cpu_seconds(pid, pid)
        started = time.monotonic()
        results = await asyncio.gather(
            *(checkout(shop.telegram, shop.inbox, index, times) for index in range(customers)),
            return_exceptions=True,
        )
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(pid) - cpu_before
        loop_cpu = cpu_seconds(pid, pid) - loop_before
    completed = sum(1 for result in results if result is None)
    failures = [result for result in results if isinstance(result, BaseException)]
    if failures:
        print(f"{len(failures)} checkouts failed, e.g. {failures[0]!r}")
    per_checkout = cpu * 1000 / max(completed, 1)
    target = f"≤ {CPU_TARGET_MS:.0f} ms CPU a checkout: {verdict(per_checkout <= CPU_TARGET_MS)}"
    return [
        f"| {kind} | {customers} | {completed} | {elapsed:.1f} | {completed / elapsed:.1f} | "
        f"{per_checkout:.1f} ({loop_cpu * 1000 / max(completed, 1):.1f}) | "
        + " | ".join(f"{percentile(times[name], 0.99):.0f}" for name in STEPS)
        + f" | {target} |"
    ]


async def main_async(kinds: list[str], customers: int, max_rate: int) -> None:
    print(
        f"whole checkouts: {customers} customers at once, /start to the paid message, webhook "
        f"mode, simulator approving after 0.05 s, STAFF_CHAT_ID set, "
        f"TELEGRAM_MAX_MESSAGES_PER_SECOND={max_rate}"
    )
    step_columns = " | ".join(f"p99 {name} ms" for name in STEPS)
    print(
        "| database | customers | completed | seconds | checkouts/s | "
        "service CPU ms/checkout (event loop thread) | "
        f"{step_columns} | target |"
    )
    print("| --- " * (7 + len(STEPS)) + "|")
    for kind in kinds:
        for row in await run(kind, customers, max_rate):
            print(row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--max-messages-per-second", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    configure_logging("ERROR")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(machine_line(), flush=True)
    asyncio.run(main_async(kinds, args.customers, args.max_messages_per_second))


if __name__ == "__main__":
    main()
