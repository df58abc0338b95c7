"""Benchmark 5: the whole service, as a business runs it, against the bare baseline.

``lipa serve`` runs in its own process, configured by environment variables as in production:
Telegram in webhook mode to the fake Bot API, SMS to a fake Africa's Talking API (an aiohttp
server, which keeps connections alive as the real one does), a staff chat, reconciliation and
Buy-Now-Pay-Later collection on, logs at INFO to a file. The Daraja simulator runs in another
process and sends no callbacks of its own. Pending payments are made through the real flows:
half by Telegram customers (deep link, amount, phone, Pay), half by USSD sessions (the first
``--through-flows`` of them, 1,000 by default; the rest are written to the database in the
same shape, half Telegram chats, half USSD phones, so that the run fits in five minutes on a
small machine: the flows cost 10-40 ms each, and are benchmark 3's subject). Then the
benchmark sends a success callback for each, 50 at a time, and waits until every outcome (the
Telegram receipt or the SMS, and the staff digests) is delivered. The same callback bodies then
go, 50 at a time, into benchmark 1's bare baseline (one INSERT and COMMIT per callback) on a
fresh database of the same kind.

    python -m bench.whole_service [--payments 5000] [--through-flows 1000] [--concurrency 50]
        [--database both] [--profile DIR [--profile-gil]] [--client python|wrk]
        [--fakes-nice 10]

With ``--client wrk`` the callbacks are sent by wrk, and while the service is measured this
process, which runs the fake Bot API and SMS API (Telegram's and Africa's Talking's servers in
production, which take no CPU from the service's machine), runs ``--fakes-nice`` lower in CPU
priority (0: the same), when it may set its priority back afterwards (root): wrk and the bare
baseline always run at the usual priority. The output says which. It also prints the server's
own CPU while acknowledging (its process, not the outbox's delivery child) and the fakes'.

``--profile DIR`` records the service with py-spy (if installed) during the callbacks and the
deliveries, one flame graph per database; with ``--profile-gil`` only the thread holding the
interpreter lock is sampled: where the CPU goes, without the threads waiting for the lock
(which py-spy otherwise counts as busy, in whatever call released it: a socket write, say).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import func, insert, select

from bench.callback_servers import SECRET as BASELINE_SECRET
from bench.callbacks import Burst, pending_payment, post_burst, success_callback
from bench.common import (
    add_database_option,
    child_server,
    cpu_seconds,
    database,
    databases_chosen,
    print_rows,
    tree_cpu_seconds,
)
from bench.harness import Inbox, seed_orders
from bench.machine import machine_line
from lipa.cli import configure_logging
from lipa.demo import free_port
from lipa_testing.sms_api import FakeSmsApi
from lipa_testing.telegram_api import FakeTelegram
from storage.database import create_engine
from storage.models import OrderRow, OutboxRow, PaymentRow

AMOUNT = 1500
STAFF_CHAT = -1001
FIRST_CHAT = 300_000
WEBHOOK_SECRET = "bench-telegram-webhook-secret"
CALLBACK_SECRET = "bench-callback-secret"
MAX_MESSAGES_PER_SECOND = 1000
TARGET_P99_MS = 50.0
TARGET_RATIO = 0.5
TARGET_CPU_MS = 2.0
# ``--profile-gil``: py-spy samples only the thread holding the interpreter lock.
PROFILE_GIL_ONLY = False
# How the callbacks are sent: this process's aiohttp clients (python) or wrk (--client).
CLIENT = "python"
# ``--fakes-nice``: how much lower this process's CPU priority is while the callbacks are sent
# and the outcomes delivered (with wrk only: the python client shares this process).
FAKES_NICE = 10


def reference(index: int) -> str:
    """The order customer ``index`` pays."""
    return f"WS-{index}"


def service_environment(
    url: str, port: int, telegram: FakeTelegram, sms: FakeSmsApi, simulator_port: int
) -> dict[str, str]:
    """``lipa serve``'s settings, as a business sets them (see README), pointed at the fakes."""
    return {
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # As paid broadcasts allow: at the default 30 a second 2,500 receipts queue for 80 s.
        "TELEGRAM_MAX_MESSAGES_PER_SECOND": str(MAX_MESSAGES_PER_SECOND),
        "STAFF_CHAT_ID": str(STAFF_CHAT),
        "MPESA_ENVIRONMENT": "simulator",
        "MPESA_API_BASE_URL": f"http://127.0.0.1:{simulator_port}",
        "MPESA_CALLBACK_SECRET": CALLBACK_SECRET,
        "AT_USERNAME": sms.username,
        "AT_API_KEY": sms.api_key,
        "AT_API_BASE_URL": sms.base_url,
        "AT_SENDER_ID": "BENCHSHOP",
        # Reconciliation stays on; a payment is asked about after 10 minutes instead of one,
        # so that the reconciler does not settle the benchmark's payments before their callbacks.
        "RECONCILE_AFTER_SECONDS": "600",
        "PAYMENT_EXPIRY_SECONDS": "1200",
        "BNPL_ENABLED": "true",
        "LOG_LEVEL": "INFO",
    }


async def telegram_customer(telegram: FakeTelegram, inbox: Inbox, index: int) -> None:
    """A Telegram customer opens the order's link and presses Pay (the push is then sent)."""
    chat = FIRST_CHAT + index
    await telegram.user_sends_command(chat, "start", f"pay_{reference(index)}")
    await inbox.next(chat, "KES")
    await telegram.user_presses_button(chat, f"amount:{AMOUNT}")
    await inbox.next(chat, "M-Pesa number")
    await telegram.user_sends_text(chat, f"0711{index:06d}")
    await inbox.next(chat, "Pay KES")
    await telegram.user_presses_button(chat, "pay")
    await inbox.next(chat, "PIN")


async def ussd_customer(http: aiohttp.ClientSession, base_url: str, index: int) -> bool:
    """A USSD customer dials, picks "pay an order", types the reference, the amount, confirms."""
    text = ""
    for given in ("", "1", reference(index), "1", "1"):
        text = f"{text}*{given}" if text else given
        form = {
            "sessionId": f"ATUid_bench_{index}",
            "serviceCode": "*384*1042#",
            "phoneNumber": f"+{ussd_phone(index)}",
            "networkCode": "63902",
            "text": text,
        }
        async with http.post(f"{base_url}/ussd", data=form) as answer:
            shown = await answer.text()
            if answer.status != 200 or not shown.startswith(("CON ", "END ")):
                raise RuntimeError(f"USSD customer {index}: {answer.status} {shown[:60]!r}")
    return "prompt" in shown


async def make_pending(
    url: str, base_url: str, telegram: FakeTelegram, inbox: Inbox, count: int
) -> int:
    """Pending payments through the real flows for orders 0..``count``-1, half Telegram, half
    USSD; how many USSD sessions ended without one (a screen answered too late on a loaded
    machine ends the session: the customer would dial again)."""
    gate = asyncio.Semaphore(100)
    lost = 0

    async def one(index: int, http: aiohttp.ClientSession) -> None:
        nonlocal lost
        async with gate:
            if index % 2 == 0:
                await telegram_customer(telegram, inbox, index)
            elif not await ussd_customer(http, base_url, index):
                lost += 1

    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(one(index, http) for index in range(count)))
    # USSD pushes go out after the session ends (USSD_PUSH_DELAY_SECONDS): wait for them all.
    engine = create_engine(url)
    try:
        async with asyncio.timeout(120):
            # The pushes are rows in a database, which has no event to wait on: poll it.
            while await _unpushed(engine):  # noqa: ASYNC110
                await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
    return lost


async def seed_pending(url: str, count: int) -> None:
    """A pending payment, as the flows leave it (push accepted), for each of orders
    0..``count``-1 that has none: even ones in Telegram chats, odd ones from USSD phones,
    whose outcome goes by SMS."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        ids = dict((await connection.execute(select(OrderRow.reference, OrderRow.id))).all())
        paid_for = set((await connection.scalars(select(PaymentRow.order_id))).all())
        rows = [
            pending_payment(
                index,
                order_id=ids[reference(index)],
                channel="telegram" if index % 2 == 0 else "ussd",
                chat_key=str(FIRST_CHAT + index) if index % 2 == 0 else ussd_phone(index),
                amount=AMOUNT,
                phone=f"254711{index:06d}" if index % 2 == 0 else ussd_phone(index),
                now=now,
            )
            for index in range(count)
            if ids[reference(index)] not in paid_for
        ]
        for start in range(0, len(rows), 2000):
            await connection.execute(insert(PaymentRow), rows[start : start + 2000])
    await engine.dispose()


def ussd_phone(index: int) -> str:
    """USSD customer ``index``'s phone, as stored (no plus)."""
    return f"254722{index:06d}"


async def _unpushed(engine: object) -> int:
    """Pending payments whose push has not been answered yet."""
    async with engine.connect() as connection:  # type: ignore[attr-defined]
        counted = await connection.scalar(
            select(func.count()).where(
                PaymentRow.checkout_request_id.is_(None), PaymentRow.status == "pending"
            )
        )
    return int(counted or 0)


async def callback_bodies(url: str) -> list[bytes]:
    """One success callback per pending payment, in Daraja's shape."""
    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(
                    PaymentRow.id,
                    PaymentRow.merchant_request_id,
                    PaymentRow.checkout_request_id,
                    PaymentRow.amount,
                    PaymentRow.phone,
                ).where(PaymentRow.status == "pending")
            )
        ).all()
    await engine.dispose()
    return [
        success_callback(
            merchant=merchant,
            checkout=checkout,
            amount=amount,
            receipt=f"W{payment:09d}",
            phone=int(phone),
            date=20261204101500,
        )
        for payment, merchant, checkout, amount, phone in rows
    ]


def receipts(telegram: FakeTelegram, sms: FakeSmsApi) -> int:
    """Customers' paid messages delivered so far: Telegram receipts and SMS receipts."""
    on_telegram = sum(1 for m in telegram.sent if m.chat_id > 0 and "receipt" in m.body)
    return on_telegram + sum(1 for m in sms.messages if "receipt" in m.message)


async def unsent(url: str) -> int:
    """Outbox rows not yet delivered (customer outcomes and staff digests)."""
    engine = create_engine(url)
    async with engine.connect() as connection:
        counted = await connection.scalar(
            select(func.count()).where(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None))
        )
    await engine.dispose()
    return int(counted or 0)


def may_raise_priority(to: int) -> bool:
    """Whether this process may set its nice value back down to ``to`` (root, or a
    ``RLIMIT_NICE`` that allows it)."""
    allowed = resource.getrlimit(resource.RLIMIT_NICE)[0]
    return os.geteuid() == 0 or allowed == resource.RLIM_INFINITY or 20 - allowed <= to


@contextlib.contextmanager
def fakes_niced(increment: int) -> Iterator[int | None]:
    """This process (the fake Bot API and SMS API) at a nice value ``increment`` higher
    meanwhile; yields the value to start the load generator at (None: nothing changed).

    The fakes stand for Telegram's and Africa's Talking's servers, which do not take this
    machine's CPU from the service. Only where the value can be set back afterwards (the bare
    baseline, which has no fakes, and its load generator run at the usual priority), and only
    with wrk (the python client's connections are in this process)."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if increment == 0 or CLIENT != "wrk" or not may_raise_priority(before):
        yield None
        return
    os.setpriority(os.PRIO_PROCESS, 0, min(19, before + increment))
    try:
        yield before
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, before)


def fakes_priority_said() -> str:
    """What the run's output says about the fakes' priority."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if FAKES_NICE and CLIENT == "wrk" and may_raise_priority(before):
        return (
            f"the fake Bot API and SMS API (remote services in production) at nice "
            f"+{FAKES_NICE} while the service is measured, wrk and the baseline at the usual"
        )
    return "the fake Bot API and SMS API at the service's CPU priority"


@contextlib.asynccontextmanager
async def profiled(pid: int, folder: Path | None, name: str) -> AsyncIterator[None]:
    """py-spy recording ``pid`` meanwhile, when asked for and installed (only the thread
    holding the interpreter lock when :data:`PROFILE_GIL_ONLY` is set)."""
    spy = shutil.which("py-spy")
    if folder is None or spy is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before measuring
    process = await asyncio.create_subprocess_exec(
        spy, "record", "--pid", str(pid), "--rate", "200", "--format", "speedscope",
        "--output", str(folder / f"{name}.speedscope.json"), "--nonblocking",
        "--subprocesses",  # the outbox's delivery process (OUTBOX_IN_PROCESS)
        *(["--gil"] if PROFILE_GIL_ONLY else []),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        process.send_signal(2)
        await process.wait()


async def run_service_side(
    kind: str, count: int, flows: int, concurrency: int, profile: Path | None
) -> tuple[list[bytes], dict[str, float]]:
    """The whole service's run; the callback bodies it used and its figures."""
    figures: dict[str, float] = {}
    logs = Path(tempfile.mkdtemp(prefix="lipa-bench-logs-")) / f"serve-{kind}.log"
    async with database(kind) as url, FakeTelegram() as telegram, FakeSmsApi() as sms:
        await seed_orders(url, [reference(index) for index in range(count)], AMOUNT)
        simulator_port = free_port()
        simulator = ("simulator", "--port", str(simulator_port), "--callback-copies", "0")
        async with child_server("bench.service_process", *simulator, port=simulator_port):
            port = free_port()
            environment = service_environment(url, port, telegram, sms, simulator_port)
            async with (
                child_server("lipa", "serve", port=port, env=environment, output=logs) as pid,
                Inbox(telegram) as inbox,
            ):
                started = time.monotonic()
                lost = await make_pending(url, f"http://127.0.0.1:{port}", telegram, inbox, flows)
                figures["making"] = time.monotonic() - started
                figures["lost"] = lost
                await seed_pending(url, count)
                bodies = await callback_bodies(url)
                assert len(bodies) == count, f"{len(bodies)} pending payments of {count}"
                cpu_before = tree_cpu_seconds(pid)
                fakes_before = cpu_seconds(os.getpid())
                server_before = cpu_seconds(pid)
                started = time.monotonic()
                callback_url = f"http://127.0.0.1:{port}/mpesa/callback/{CALLBACK_SECRET}"
                async with profiled(pid, profile, kind):
                    with fakes_niced(FAKES_NICE) as wrk_nice:
                        acks = await post_burst(
                            callback_url, bodies, concurrency, CLIENT, nice=wrk_nice
                        )
                        # The server's own process (not its delivery child) while acknowledging.
                        figures["server cpu"] = cpu_seconds(pid) - server_before
                        async with asyncio.timeout(240):
                            # Two fakes to watch; polling both every 20 ms is simplest.
                            while receipts(telegram, sms) < count:  # noqa: ASYNC110
                                await asyncio.sleep(0.02)
                figures["delivered"] = time.monotonic() - started
                figures["cpu"] = tree_cpu_seconds(pid) - cpu_before
                # This process: the fake Bot API and SMS API, and the wait for them.
                figures["fakes cpu"] = cpu_seconds(os.getpid()) - fakes_before
                figures["staff"] = sum(1 for m in telegram.sent if m.chat_id == STAFF_CHAT)
                figures["unsent"] = await unsent(url)
    figures["rate"] = acks.rate
    figures["p50"] = acks.p50
    figures["p99"] = acks.p99
    figures["non-200"] = acks.failures
    logs.unlink(missing_ok=True)
    return bodies, figures


async def run_baseline(kind: str, bodies: list[bytes], concurrency: int) -> Burst:
    """The same bodies into benchmark 1's bare baseline, on a fresh database of ``kind``."""
    async with database(kind) as url:
        port = free_port()
        async with child_server("bench.callback_servers", "baseline", url, str(port), port=port):
            callback_url = f"http://127.0.0.1:{port}/mpesa/callback/{BASELINE_SECRET}"
            return await post_burst(callback_url, bodies, concurrency, CLIENT)


async def run(
    kind: str, count: int, flows: int, concurrency: int, profile: Path | None
) -> list[str]:
    """One database's rows of the table."""
    bodies, lipa = await run_service_side(kind, count, flows, concurrency, profile)
    baseline = await run_baseline(kind, bodies, concurrency)
    throughput = count / lipa["delivered"]
    ratio = throughput / baseline.rate
    cpu_ms = lipa["cpu"] * 1000 / count

    def verdict(met: bool) -> str:
        return "**met**" if met else "**not met**"

    print(
        f"{kind}: {flows} pending payments made through the flows in {lipa['making']:.1f} s "
        f"({int(lipa['lost'])} USSD sessions ended without a push, their payments written "
        f"directly); "
        f"when every outcome was delivered, {int(lipa['staff'])} staff digests were sent and "
        f"{int(lipa['unsent'])} messages waited (digests: 20 a minute in a group); "
        f"the baseline took {baseline.rate:,.0f}/s, "
        f"p50 {baseline.p50:.1f} / p99 {baseline.p99:.1f} ms",
        flush=True,
    )
    return [
        f"| {kind} | callbacks acknowledged/s | {lipa['rate']:,.0f} "
        f"(baseline {baseline.rate:,.0f}) | |",
        f"| {kind} | ack p50 / p99 ms | {lipa['p50']:.1f} / {lipa['p99']:.1f} | "
        f"p99 < {TARGET_P99_MS:.0f}: {verdict(lipa['p99'] < TARGET_P99_MS)} |",
        f"| {kind} | every customer outcome delivered after s | {lipa['delivered']:.1f} | |",
        f"| {kind} | settled-and-delivered/s, ÷ baseline | {throughput:,.0f}, **{ratio:.2f}×** | "
        f"≥ {TARGET_RATIO}×: {verdict(ratio >= TARGET_RATIO)} |",
        f"| {kind} | service CPU ms per settled-and-delivered payment | **{cpu_ms:.2f}** | "
        f"≤ {TARGET_CPU_MS:.0f}: {verdict(cpu_ms <= TARGET_CPU_MS)} |",
        f"| {kind} | the server's own CPU while acknowledging: ms an ack, share of a core | "
        f"{lipa['server cpu'] * 1000 / count:.2f}, "
        f"{lipa['server cpu'] * lipa['rate'] / count:.0%} | |",
        f"| {kind} | the fakes' CPU ms per payment (this process) | "
        f"{lipa['fakes cpu'] * 1000 / count:.2f} | |",
        f"| {kind} | non-200 acks (service, baseline) | {int(lipa['non-200'])}, "
        f"{baseline.failures} | 0 |",
    ]


async def main_async(
    kinds: list[str], count: int, flows: int, concurrency: int, profile: Path | None
) -> None:
    print(
        f"whole service: `lipa serve` (webhook mode, SMS, staff chat, reconciler and collector "
        f"on, LOG_LEVEL=INFO); {count} pending payments ({flows} through the flows), half "
        f"Telegram, half USSD, then {count} success callbacks {concurrency} at a time "
        f"(client: {CLIENT}); the same bodies into the bare baseline; {fakes_priority_said()}",
        flush=True,
    )
    print("| database | figure | result | target |")
    print("| --- | --- | --- | --- |")
    for kind in kinds:
        print_rows(await run(kind, count, flows, concurrency, profile))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=5000)
    parser.add_argument("--through-flows", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    add_database_option(parser)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--profile-gil", action="store_true")
    parser.add_argument("--client", choices=["python", "wrk"], default="python")
    parser.add_argument("--fakes-nice", type=int, choices=range(20), default=10)
    args = parser.parse_args()
    global PROFILE_GIL_ONLY, CLIENT, FAKES_NICE  # command-line switches, set once
    PROFILE_GIL_ONLY = args.profile_gil
    CLIENT = args.client
    FAKES_NICE = args.fakes_nice
    configure_logging("ERROR")
    kinds = databases_chosen(args.database)
    print(machine_line(), flush=True)
    started = time.monotonic()
    flows = min(args.through_flows, args.payments)
    asyncio.run(main_async(kinds, args.payments, flows, args.concurrency, args.profile))
    print(f"(the whole run took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
