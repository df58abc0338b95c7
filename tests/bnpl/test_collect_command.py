"""``lipa installments collect [--as-of]``: one pass, as if it were then, against a simulator."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import SimulatorSettings
from lipa.settings import Settings
from storage.database import create_engine, session_factory
from storage.migrate import upgrade
from storage.unit_of_work import unit_of_work_factory
from tests.bnpl.conftest import BALANCE, ORDER, make_shop, take_plan

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def simulator() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(SimulatorSettings(callback_delay=30)) as server:
        yield server


@pytest.fixture
async def database(tmp_path: Path) -> str:
    """A SQLite database with one active plan: 3 installments of 750 from 05/12, weekly."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"
    engine = create_engine(url)
    try:
        await upgrade(engine)
        shop = make_shop(unit_of_work_factory(session_factory(engine)))
        async with shop.uow() as unit:
            await unit.orders.create(ORDER, BALANCE, known=True)
            await unit.commit()
        await take_plan(shop, 3)
    finally:
        await engine.dispose()
    return url


async def collect(simulator: SimulatorServer, database: str, *args: str) -> tuple[int, str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in {name.upper() for name in Settings.model_fields}
    }
    environment.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database,
        MPESA_API_BASE_URL=simulator.base_url,
        MPESA_CALLBACK_SECRET="cb-secret",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lipa",
        "installments",
        "collect",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_pass_as_of_the_day_before_queues_the_reminder(
    simulator: SimulatorServer, database: str
) -> None:
    status, out, err = await collect(simulator, database, "--as-of", "2026-12-04T10:00")
    assert status == 0, err
    assert out.strip() == "1 reminders queued, 0 installment pushes tried"
    assert simulator.daraja.prompts == {}


async def test_a_pass_as_of_the_due_date_pushes_the_installment_once(
    simulator: SimulatorServer, database: str
) -> None:
    status, out, err = await collect(simulator, database, "--as-of", "2026-12-05T07:00:00+00:00")
    assert status == 0, err
    assert out.splitlines() == [
        "plan 1 order WW-1042 installment 1 of 3, KES 750: sent",
        "0 reminders queued, 1 installment pushes tried",
    ]
    (prompt,) = simulator.daraja.prompts.values()
    assert (prompt.amount, prompt.reference, prompt.phone) == (750, ORDER, "254712345678")
    # Its prompt is still open: a second pass pushes nothing more.
    status, out, _ = await collect(simulator, database, "--as-of", "2026-12-05T10:30")
    assert out.strip() == "0 reminders queued, 0 installment pushes tried"
    assert len(simulator.daraja.prompts) == 1


async def test_a_date_that_is_not_iso_is_refused(simulator: SimulatorServer, database: str) -> None:
    status, _, err = await collect(simulator, database, "--as-of", "next friday")
    assert status == 2
    assert "not an ISO date-time" in err
