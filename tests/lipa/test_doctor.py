"""`lipa doctor` against the Daraja simulator and the fake Bot API, over real sockets."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    DEFAULT_TILL,
)
from daraja.url_rules import refused_words, url_safe_secret
from lipa.doctor import Doctor, Finding
from lipa.settings import Settings
from lipa_testing.telegram_api import FakeTelegram
from tests.lipa.commands import start_lipa


@pytest.fixture
async def daraja() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(shutdown_timeout=1.0) as server:
        yield server


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def good_values(
    daraja: SimulatorServer, telegram: FakeTelegram, database_url: str
) -> dict[str, str]:
    """A deployment that passes every check: the sandbox is the simulator here."""
    return {
        "mpesa_environment": "sandbox",
        "mpesa_api_base_url": daraja.base_url,
        "mpesa_consumer_key": DEFAULT_CONSUMER_KEY,
        "mpesa_consumer_secret": DEFAULT_CONSUMER_SECRET,
        "mpesa_passkey": DEFAULT_PASSKEY,
        "mpesa_callback_secret": "k3Jx9-callback-secret-abc",
        "public_base_url": "https://pay.example.com",
        "database_url": database_url,
        "telegram_bot_token": telegram.token,
        "telegram_api_base_url": telegram.base_url,
        "telegram_mode": "webhook",
        "telegram_webhook_secret": "webhook-secret",
    }


async def findings(**values: Any) -> dict[str, Finding]:
    clock = values.pop("clock", None)
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    doctor = Doctor(settings) if clock is None else Doctor(settings, clock=clock)
    return {finding.name: finding for finding in await doctor.run()}


def fix_line(found: dict[str, Finding], failing: str, words: str) -> str:
    """The failing check's line, which names the fix in ``words``."""
    line = found[failing].line()
    assert line.startswith(f"FAIL {failing}: ")
    assert words in line, line
    assert "Fix:" in line
    return line


async def test_a_ready_deployment_passes_every_check(
    daraja: SimulatorServer, telegram: FakeTelegram, database_url: str
) -> None:
    found = await findings(**good_values(daraja, telegram, database_url))
    assert [name for name, finding in found.items() if not finding.ok] == []
    assert set(found) == {
        "M-Pesa environment",
        "Daraja token",
        "Shortcode and passkey",
        "Clock",
        "Transaction type",
        "Callback URL",
        "C2B shortcode",
        "C2B URLs",
        "Initiator",
        "Statement check (Pull)",
        "B2C refunds",
        "Database",
        "Telegram token",
        "Telegram webhook",
    }
    assert all("\n" not in finding.line() for finding in found.values())


@pytest.mark.parametrize(
    ("change", "failing", "words"),
    [
        ({"mpesa_consumer_secret": "wrong-secret"}, "Daraja token", "MPESA_CONSUMER_SECRET"),
        ({"mpesa_passkey": "wrong-passkey"}, "Shortcode and passkey", "Wrong credentials"),
        ({"mpesa_business_shortcode": "999999"}, "Shortcode and passkey", "999999"),
        (
            {"mpesa_transaction_type": "CustomerBuyGoodsOnline", "mpesa_party_b": "174379"},
            "Transaction type",
            "till number",
        ),
        ({"mpesa_party_b": DEFAULT_TILL}, "Transaction type", "MPESA_PARTY_B"),
        ({"mpesa_callback_secret": "my-MPesa-secret"}, "Callback URL", "'M-Pesa'"),
        ({"public_base_url": "https://pay.safaricom-shop.com"}, "Callback URL", "Safaricom"),
        (
            # Polling: a private address is then only the callback's problem.
            {"public_base_url": "https://192.168.1.20", "telegram_mode": "polling"},
            "Callback URL",
            "public",
        ),
        ({"mpesa_callback_secret": "cmd-secret-value"}, "Callback URL", "'cmd'"),
        ({"telegram_bot_token": "123:not-the-token"}, "Telegram token", "TELEGRAM_BOT_TOKEN"),
        (
            {"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/none"},
            "Database",
            "DATABASE_URL",
        ),
    ],
)
async def test_each_failing_check_names_its_fix(
    daraja: SimulatorServer,
    telegram: FakeTelegram,
    sqlite_migrated: str,
    change: dict[str, str],
    failing: str,
    words: str,
) -> None:
    values = {**good_values(daraja, telegram, sqlite_migrated), **change}
    found = await findings(**values)
    # The C2B URLs share PUBLIC_BASE_URL and the secret with the callback: both fail.
    shared = ["C2B URLs"] if failing == "Callback URL" else []
    assert [name for name, finding in found.items() if not finding.ok] == [failing, *shared]
    line = fix_line(found, failing, words)
    assert telegram.token not in line


async def test_a_clock_minutes_off_darajas_is_caught(
    daraja: SimulatorServer, telegram: FakeTelegram, sqlite_migrated: str
) -> None:
    def late() -> datetime:
        return datetime.now(UTC) - timedelta(minutes=5)

    found = await findings(**good_values(daraja, telegram, sqlite_migrated), clock=late)
    assert not found["Clock"].ok
    # Daraja's Date header has whole seconds, and the answer takes a moment to come back.
    seconds = re.search(r"(\d+) s behind", found["Clock"].line())
    assert seconds is not None, found["Clock"].line()
    assert 295 <= int(seconds.group(1)) <= 305


async def test_a_webhook_set_to_another_address_is_caught(
    daraja: SimulatorServer, telegram: FakeTelegram, sqlite_migrated: str
) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(f"{telegram.api_url}/setWebhook", data={"url": "https://old.example.com/x"})
    found = await findings(**good_values(daraja, telegram, sqlite_migrated))
    assert not found["Telegram webhook"].ok
    assert "https://old.example.com/x" in found["Telegram webhook"].line()


async def test_an_unmigrated_database_is_told_to_run_migrate(
    daraja: SimulatorServer, telegram: FakeTelegram, tmp_path: Path
) -> None:
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    found = await findings(**good_values(daraja, telegram, empty))
    assert "run `lipa migrate`" in found["Database"].line()


def test_made_secrets_never_contain_a_word_daraja_refuses() -> None:
    assert refused_words("https://x.example/M_PESA/Exec/SQL/qUeRy/safaricom/cmd") == [
        "M-Pesa",
        "Safaricom",
        "exe",
        "cmd",
        "sql",
        "query",
    ]
    assert all(not refused_words(url_safe_secret(4)) for _ in range(5000))


async def test_the_doctor_command_exits_non_zero_when_a_check_fails(
    daraja: SimulatorServer, telegram: FakeTelegram, sqlite_migrated: str, tmp_path: Path
) -> None:
    async def run(**values: str) -> tuple[int, list[str]]:
        process = await start_lipa("doctor", cwd=tmp_path, **values)
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode is not None
        return process.returncode, out.decode().splitlines()

    good = good_values(daraja, telegram, sqlite_migrated)
    status, lines = await run(**good)
    assert status == 0, lines
    assert lines[-1] == "14 checks passed"  # five of them C2B, initiator, Pull and B2C
    status, lines = await run(**{**good, "mpesa_passkey": "wrong-passkey"})
    assert status == 1
    assert lines[-1] == "14 checks, 1 failed"


@pytest.fixture
def sqlite_migrated(tmp_path: Path) -> str:
    from tests.conftest import _migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'doctor.db'}"
    asyncio.run(_migrate(url))
    return url


@pytest.mark.parametrize(
    ("change", "failing", "words"),
    [
        ({"mpesa_initiator_name": "apiop"}, "Initiator", "MPESA_SECURITY_CREDENTIAL"),
        ({"mpesa_security_credential": "abc=="}, "Initiator", "MPESA_INITIATOR_NAME"),
        (
            {
                "mpesa_initiator_name": "apiop",
                "mpesa_initiator_password": "pw",
                "mpesa_certificate_path": "/nonexistent/ProductionCertificate.cer",
            },
            "Initiator",
            "MPESA_CERTIFICATE_PATH cannot be read",
        ),
        ({"mpesa_pull_enabled": "true"}, "Statement check (Pull)", "register-pull"),
        (
            {"mpesa_pull_enabled": "true", "mpesa_pull_nominated_number": "0202222222"},
            "Statement check (Pull)",
            "MPESA_PULL_NOMINATED_NUMBER",
        ),
        ({"mpesa_b2c_shortcode": "600000"}, "B2C refunds", "MPESA_B2C_INITIATOR_NAME"),
        ({"mpesa_b2c_shortcode": "12"}, "B2C refunds", "MPESA_B2C_SHORTCODE"),
        (
            {"mpesa_b2c_shortcode": "600000", "mpesa_b2c_initiator_name": "b2cop"},
            "B2C refunds",
            "MPESA_B2C_SECURITY_CREDENTIAL",
        ),
        ({"mpesa_business_shortcode": "17"}, "C2B shortcode", "MPESA_BUSINESS_SHORTCODE"),
    ],
)
async def test_each_failing_c2b_initiator_pull_or_b2c_check_names_its_fix(
    daraja: SimulatorServer,
    telegram: FakeTelegram,
    sqlite_migrated: str,
    change: dict[str, str],
    failing: str,
    words: str,
) -> None:
    values = {**good_values(daraja, telegram, sqlite_migrated), **change}
    found = await findings(**values)
    assert failing in [name for name, finding in found.items() if not finding.ok]
    fix_line(found, failing, words)


async def test_a_configured_initiator_pull_and_b2c_pass(
    daraja: SimulatorServer, telegram: FakeTelegram, sqlite_migrated: str
) -> None:
    values = {
        **good_values(daraja, telegram, sqlite_migrated),
        "mpesa_initiator_name": "apiop",
        "mpesa_security_credential": "c2VjcmV0",
        "mpesa_pull_enabled": "true",
        "mpesa_pull_nominated_number": "0712345678",
        "mpesa_b2c_shortcode": "600000",
    }
    found = await findings(**values)
    assert [name for name, finding in found.items() if not finding.ok] == []
    assert found["C2B URLs"].detail.startswith(
        "https://pay.example.com/hooks/c2b/confirm/<MPESA_CALLBACK_SECRET>"
    )
    assert "register-urls" in found["C2B URLs"].line()
    assert found["Initiator"].detail == "apiop, credential MPESA_SECURITY_CREDENTIAL"
