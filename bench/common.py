"""Shared pieces of the benchmarks: throwaway databases, child servers, the service in this
process with staff commands, percentiles, the figures' table."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from checkout.outbox.delivery import DeliveryPolicy
from lipa.demo import free_port
from lipa.service import Service
from lipa.settings import Settings
from lipa_testing.telegram_api import FakeTelegram
from storage.database import create_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A migrated, empty database of ``kind`` (sqlite or postgresql), removed afterwards."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="lipa-bench-")
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await _migrate(url)
        yield url
        return
    name = f"lipa_bench_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(POSTGRES)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        await _migrate(url)
        yield url
    finally:
        connection = await asyncpg.connect(POSTGRES)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


def database_kinds(choice: str) -> list[str]:
    """The databases a ``--database`` choice names: sqlite, postgresql, or both."""
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


def verdict(met: bool) -> str:
    """A target's verdict as the tables print it: **met** or **not met**."""
    return "**met**" if met else "**not met**"


def print_figures(rows: Sequence[str]) -> None:
    """The figures as a Markdown table: database, figure, result, target."""
    print("| database | figure | result | target |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(row)


@contextlib.asynccontextmanager
async def staff_service(
    url: str, staff: int, **settings: Any
) -> AsyncIterator[tuple[Service, FakeTelegram]]:
    """The real service in this process on ``url`` and the fake Bot API it talks to; the user
    ``staff`` may use the staff commands. ``settings`` add to or replace the defaults."""
    async with FakeTelegram() as telegram:
        port = free_port()
        defaults: dict[str, Any] = {
            "database_url": url,
            "telegram_bot_token": telegram.token,
            "telegram_api_base_url": telegram.base_url,
            "mpesa_environment": "simulator",
            "mpesa_callback_secret": "bench-callback-secret",
            "port": port,
            "public_base_url": f"http://127.0.0.1:{port}",
            "staff_user_ids": [staff],
        }
        service = Service(
            Settings(_env_file=None, **{**defaults, **settings}),
            delivery=DeliveryPolicy(idle_poll_seconds=0.5),
        )
        await service.start()
        try:
            yield service, telegram
        finally:
            await service.stop()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()


@contextlib.asynccontextmanager
async def child_server(
    module: str,
    *args: str,
    port: int,
    env: Mapping[str, str] | None = None,
    output: Path | None = None,
) -> AsyncIterator[int]:
    """Run ``python -m module args`` until it answers ``/healthz`` on ``port``; yield its pid.

    ``env`` adds environment variables; ``output`` takes the child's stdout and stderr (its
    logs) instead of this process's."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    log = output.open("ab") if output is not None else None
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, env=environment, stdout=log, stderr=log
    )
    try:
        async with asyncio.timeout(60), aiohttp.ClientSession() as session:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as answer:
                        if answer.status == 200:
                            break
                await asyncio.sleep(0.1)
        yield process.pid
    finally:
        process.terminate()
        try:
            async with asyncio.timeout(15):
                await process.wait()
        except TimeoutError:  # a child that hangs on its way out must not hang the benchmark
            process.kill()
            await process.wait()
        if log is not None:
            log.close()


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User plus system CPU time a process (or one of its threads) has used, from /proc."""
    path = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    fields = Path(path).read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its running descendants (``lipa serve`` and the outbox's
    delivery process, OUTBOX_IN_PROCESS), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(entry.name))
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            total += cpu_seconds(current)
        pending.extend(children.get(current, ()))
    return total


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (0..1) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean, or NaN for no values."""
    return statistics.fmean(values) if values else float("nan")


DATABASES = ("sqlite", "postgresql")


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """``--database sqlite|postgresql|both`` (both by default)."""
    parser.add_argument("--database", choices=[*DATABASES, "both"], default="both")


def databases_chosen(choice: str) -> list[str]:
    """The databases ``--database`` names, in the order they are run."""
    return list(DATABASES) if choice == "both" else [choice]


def print_rows(rows: Sequence[str]) -> None:
    """Print a table's rows at once (a later database's failure must not lose them)."""
    for row in rows:
        print(row, flush=True)
