"""The payment link page's HTML under load: latency at 50 concurrent browsers on SQLite.

The service runs in a child process (the in-process Daraja simulator, only the orders API and
the web checkout on) over a SQLite database holding ``--orders`` orders; ``--concurrency``
clients each fetch ``GET /pay/<reference>`` of random orders, one after another, for
``--seconds``. ``--part-paid`` of the orders (a share, half by default) carry one paid
M-Pesa payment, so their pages read the payments and the open plan and show receipts, as a
shop's pages mostly do once customers pay in parts. Printed: requests per second, the
latency percentiles of the whole answer, and the service process's CPU time per page (after
the machine line with the reference workload).

    python -m bench.web_page [--orders 1000] [--concurrency 50] [--seconds 10] [--client wrk]
                             [--page-reads inline|pool] [--part-paid 0.5]

``--client wrk`` loads the page with wrk (Debian's ``wrk``, written in C) instead of this
process's aiohttp clients: a Python load generator spends about as much CPU a request as the
page itself, and on two cores it competes with the service for them.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import insert, select, update

from bench.common import child_server, cpu_seconds, database, percentile
from bench.harness import seed_orders
from bench.machine import machine_line
from bench.service_process import CALLBACK_SECRET, run_service
from lipa.cli import configure_logging
from lipa.demo import free_port
from lipa.settings import Settings
from storage.database import create_engine
from storage.models import OrderRow, PaymentRow, ReceiptTokenRow

API_TOKEN = "bench-api-token-0123456789"


def serve(database_url: str, port: int, page_reads: str = "inline") -> None:
    """The service with the web checkout on (and the orders API, its customer channel)."""
    configure_logging("WARNING")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        host="127.0.0.1",
        port=port,
        public_base_url=f"http://127.0.0.1:{port}",
        api_token=API_TOKEN,
        mpesa_environment="simulator",
        mpesa_callback_secret=CALLBACK_SECRET,
        # Every client is 127.0.0.1 here: the per-address limit would measure itself.
        web_rate_limit_per_minute=10_000_000,
        log_level="WARNING",
        web_page_reads=page_reads,
    )
    asyncio.run(run_service(settings))


async def load(
    port: int, references: list[str], concurrency: int, seconds: float, rate: float | None
) -> list[float]:
    """Fetch pages with ``concurrency`` clients for ``seconds``; each answer's latency."""
    # Each client's pause between pages, for ``rate`` requests per second in all.
    pause = concurrency / rate if rate else 0.0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    rng = random.Random(5)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            while time.perf_counter() < deadline:
                reference = rng.choice(references)
                started = time.perf_counter()
                async with session.get(f"http://127.0.0.1:{port}/pay/{reference}") as answer:
                    await answer.read()
                    assert answer.status == 200, answer.status
                latencies.append(time.perf_counter() - started)
                if pause:
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * pause)

        # Warm up (templates compiled, connections open) before measuring.
        async with session.get(f"http://127.0.0.1:{port}/pay/{references[0]}") as answer:
            await answer.read()
        await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies


# wrk's script: each request a random order's page among the seeded ones.
WRK_SCRIPT = """
math.randomseed(5)
request = function()
  return wrk.format("GET", string.format("/pay/WEB-%%05d", math.random(0, %d)))
end
"""

_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


async def load_with_wrk(
    port: int, orders: int, concurrency: int, seconds: float
) -> tuple[int, dict[str, float]]:
    """Fetch random pages with wrk; the number of answers and wrk's latency percentiles (ms)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("--client wrk needs wrk on the PATH (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "pages.lua"
        script.write_text(WRK_SCRIPT % (orders - 1))
        command = [wrk, "-t1", f"-c{concurrency}", f"-d{seconds:.0f}s", "--latency"]
        process = await asyncio.create_subprocess_exec(
            *command,
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
            stdout=asyncio.subprocess.PIPE,
        )
        output = (await process.communicate())[0].decode()
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"wrk saw failures:\n{output}")
    answers = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    shares = {
        share: float(value) * _WRK_UNITS[unit]
        for share, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)$", output, re.M)
    }
    maximum = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", output)
    if maximum:
        shares["max"] = float(maximum.group(1)) * _WRK_UNITS[maximum.group(2)]
    return answers, shares


PAID = 500  # each part-paid order's one payment, of its 1,500 due


async def seed_payments(url: str, references: Sequence[str]) -> None:
    """One paid M-Pesa payment (with its receipt, and the receipt token its settlement
    makes) on each of these orders, now part-paid."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        ids = (
            await connection.execute(
                select(OrderRow.id, OrderRow.reference).where(OrderRow.reference.in_(references))
            )
        ).all()
        await connection.execute(
            insert(PaymentRow),
            [
                {
                    "order_id": order_id,
                    "channel": "telegram",
                    "chat_key": str(700_000 + n),
                    "amount": PAID,
                    "phone": f"2547{n:08d}",
                    "status": "paid",
                    "checkout_request_id": f"ws_CO_BENCH_{n:06d}",
                    "result_code": 0,
                    "receipt_number": f"UB{n:08d}",
                    "transaction_date": now,
                    "reported_amount": PAID,
                    "created_at": now,
                    "requested_at": now,
                    "settled_at": now,
                    "updated_at": now,
                }
                for n, (order_id, _reference) in enumerate(ids)
            ],
        )
        paid = (await connection.execute(select(PaymentRow.id))).scalars().all()
        await connection.execute(
            insert(ReceiptTokenRow),
            [
                {"payment_id": pid, "token": secrets.token_hex(16), "created_at": now}
                for pid in paid
            ],
        )
        await connection.execute(
            update(OrderRow)
            .where(OrderRow.reference.in_(references))
            .values(amount_paid=PAID, status="partly_paid")
        )
    await engine.dispose()


async def run(
    orders: int,
    concurrency: int,
    seconds: float,
    rate: float | None,
    client: str = "python",
    page_reads: str = "inline",
    part_paid: float = 0.5,
) -> None:
    print(machine_line())
    async with database("sqlite") as url:
        references = [f"WEB-{n:05d}" for n in range(orders)]
        await seed_orders(url, references, 1500)
        paid = references[: round(orders * part_paid)]
        if paid:
            await seed_payments(url, paid)
        port = free_port()
        async with child_server(
            "bench.web_page",
            "serve",
            "--database-url",
            url,
            "--port",
            str(port),
            "--page-reads",
            page_reads,
            port=port,
        ) as pid:
            # The service's own CPU time per page (the load generator's is not counted): on a
            # shared machine latency moves with the neighbours' work, this much less.
            before = cpu_seconds(pid)
            if client == "wrk":
                # Warm up (templates compiled, connections open) before measuring.
                await load_with_wrk(port, orders, concurrency, 2)
                before = cpu_seconds(pid)
                answers, shares = await load_with_wrk(port, orders, concurrency, seconds)
                cpu_ms = (cpu_seconds(pid) - before) * 1000 / max(1, answers)
                print(
                    f"web page, SQLite ({page_reads} reads, {len(paid)} of {orders} orders "
                    f"part-paid), {concurrency} concurrent (wrk), "
                    f"{answers} requests in "
                    f"{seconds:.0f} s ({answers / seconds:.0f}/s): p50 {shares['50']:.1f} ms, "
                    f"p90 {shares['90']:.1f} ms, p99 {shares['99']:.1f} ms, "
                    f"max {shares.get('max', float('nan')):.1f} ms; "
                    f"service CPU {cpu_ms:.2f} ms a page (target: p99 < 50 ms)"
                )
                return
            latencies = await load(port, references, concurrency, seconds, rate)
            cpu_ms = (cpu_seconds(pid) - before) * 1000 / max(1, len(latencies))
    ms = [latency * 1000 for latency in latencies]
    print(
        f"web page, SQLite ({page_reads} reads, {len(paid)} of {orders} orders part-paid), "
        f"{concurrency} concurrent"
        f"{f' at {rate:.0f}/s' if rate else ''}, "
        f"{len(ms)} requests in {seconds:.0f} s "
        f"({len(ms) / seconds:.0f}/s): p50 {percentile(ms, 0.5):.1f} ms, "
        f"p90 {percentile(ms, 0.9):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
        f"max {max(ms):.1f} ms; service CPU {cpu_ms:.2f} ms a page (target: p99 < 50 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "serve"])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--database-url")
    parser.add_argument("--port", type=int)
    parser.add_argument("--client", choices=["python", "wrk"], default="python")
    parser.add_argument("--page-reads", choices=["inline", "pool"], default="inline")
    parser.add_argument("--part-paid", type=float, default=0.5)
    arguments = parser.parse_args()
    if arguments.command == "serve":
        serve(arguments.database_url, arguments.port, arguments.page_reads)
        return
    asyncio.run(
        run(
            arguments.orders,
            arguments.concurrency,
            arguments.seconds,
            arguments.rate,
            arguments.client,
            arguments.page_reads,
            arguments.part_paid,
        )
    )


if __name__ == "__main__":
    main()
