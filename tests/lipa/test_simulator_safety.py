"""`lipa serve` on the simulator cannot be mistaken for real payments.

The real command runs as a child process against the fake Bot API over real sockets.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import aiohttp

from lipa.demo import free_port
from lipa.safety import SIMULATED_MARK
from lipa_testing.telegram_api import FakeTelegram
from tests.lipa.commands import ROOT, start_lipa

CUSTOMER = 5550001
STAFF = 5550002


async def started(cwd: Path, **env: str) -> tuple[asyncio.subprocess.Process, str, int]:
    """Start `lipa serve` and return it once it serves, with its base URL and port."""
    port = free_port()
    process = await start_lipa("serve", cwd=cwd, PORT=str(port), **env)
    assert process.stdout is not None
    async with asyncio.timeout(60):
        while b"Lipa is serving" not in (line := await process.stdout.readline()):
            if not line:
                assert process.stderr is not None
                error = (await process.stderr.read()).decode()
                raise AssertionError(f"lipa serve stopped: {error}")
    return process, f"http://127.0.0.1:{port}", port


async def stopped(process: asyncio.subprocess.Process) -> str:
    """Stop `lipa serve` and return everything it wrote to stderr."""
    if process.returncode is None:
        process.terminate()
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    return stderr.decode()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.text()


async def test_serve_on_the_simulator_marks_every_message_and_says_so_everywhere(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as telegram:
        process, base_url, _ = await started(
            tmp_path,
            MPESA_ENVIRONMENT="simulator",
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=telegram.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}",
            STAFF_USER_IDS=str(STAFF),
            LOG_FORMAT="json",
        )
        try:
            status, health = await get(f"{base_url}/healthz")
            assert status == 200
            assert json.loads(health) == {
                "status": "ok",
                "mpesa_environment": "simulator",
                "simulated": True,
            }
            _, metrics = await get(f"{base_url}/metrics")
            assert 'lipa_mpesa_environment{environment="simulator"} 1.0' in metrics

            await telegram.user_sends_command(CUSTOMER, "start")
            greeting = await telegram.wait_for_message_to(CUSTOMER, timeout=15)
            assert greeting.body.startswith(SIMULATED_MARK), greeting.body
            await telegram.user_sends_command(STAFF, "today")
            report = await telegram.wait_for_message_to(STAFF, "Today", timeout=15)
            assert report.body.startswith(SIMULATED_MARK), report.body
        finally:
            stderr = await stopped(process)
    lines = stderr.strip().splitlines()
    # JSON logs stay JSON: the banner is one of the lines, not plain text among them.
    records = [json.loads(line) for line in lines]
    assert any("SIMULATED M-PESA" in record["message"] for record in records)


async def test_serve_refuses_to_start_when_mpesa_environment_is_not_set(tmp_path: Path) -> None:
    process = await start_lipa("serve", cwd=tmp_path, TELEGRAM_BOT_TOKEN="1:x")
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("lipa: MPESA_ENVIRONMENT is not set")


async def test_a_copy_of_env_example_serves_on_the_simulator_with_the_banner(
    tmp_path: Path,
) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    async with FakeTelegram() as telegram:
        # Only the bot's token (which nobody can have in an example file) comes from outside.
        process, base_url, _ = await started(
            tmp_path,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=telegram.base_url,
        )
        try:
            _, health = await get(f"{base_url}/healthz")
            assert json.loads(health)["simulated"] is True
        finally:
            stderr = await stopped(process)
    assert "SIMULATED M-PESA" in stderr
