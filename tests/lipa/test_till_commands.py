"""``lipa mpesa register-urls|register-pull``, ``lipa simulator pay`` and ``lipa reconcile
--statement`` against a Daraja simulator on a real socket; ``lipa serve``'s refused words."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import SimulatorSettings
from lipa.settings import Settings, serve_problems
from tests.lipa.test_mpesa_commands import lipa


@pytest.fixture
async def simulator() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(SimulatorSettings(callback_delay=30, seed=3)) as server:
        yield server


async def test_register_urls_gives_daraja_the_c2b_hooks_and_the_default_response(
    simulator: SimulatorServer,
) -> None:
    status, out, err = await lipa(
        simulator,
        "mpesa",
        "register-urls",
        PUBLIC_BASE_URL="https://pay.example.com",
        MPESA_C2B_DEFAULT_RESPONSE="Cancelled",
    )
    assert status == 0, err
    assert json.loads(out)["ResponseCode"] == "0"
    (registration,) = simulator.daraja.c2b.registrations.values()
    assert registration.confirmation_url == "https://pay.example.com/hooks/c2b/confirm/cb-secret"
    assert registration.validation_url == "https://pay.example.com/hooks/c2b/validate/cb-secret"
    assert registration.response_type == "Cancelled"


async def test_register_urls_refuses_a_url_daraja_would_refuse_naming_the_word(
    simulator: SimulatorServer,
) -> None:
    status, _, err = await lipa(
        simulator, "mpesa", "register-urls", PUBLIC_BASE_URL="https://mpesa.example.com"
    )
    assert status == 1
    assert "'M-Pesa'" in err
    assert "cb-secret" not in err
    assert simulator.daraja.c2b.registrations == {}


async def test_register_pull_needs_a_nominated_number_then_registers(
    simulator: SimulatorServer,
) -> None:
    missing, _, err = await lipa(simulator, "mpesa", "register-pull")
    assert missing == 1
    assert "MPESA_PULL_NOMINATED_NUMBER" in err
    status, _, err = await lipa(
        simulator, "mpesa", "register-pull", MPESA_PULL_NOMINATED_NUMBER="0712345678"
    )
    assert status == 0, err


async def test_a_paybill_payment_is_found_by_the_statement_check_and_credited(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"
    await lipa(simulator, "migrate", DATABASE_URL=database)
    paid, out, err = await lipa(
        simulator,
        "simulator",
        "pay",
        "--phone",
        "0712345678",
        "--amount",
        "700",
        "--account",
        "nobody",
    )
    assert paid == 0, err
    code = json.loads(out)["transaction_id"]
    await lipa(simulator, "mpesa", "register-pull", MPESA_PULL_NOMINATED_NUMBER="0712345678")
    status, out, err = await lipa(
        simulator, "reconcile", "--statement", DATABASE_URL=database, MPESA_ENVIRONMENT="simulator"
    )
    assert status == 0, err
    assert f"{code} KES 700: queued" in out
    assert "1 transactions: 1 queued" in out
    status, out, _ = await lipa(
        simulator, "reconcile", "--statement", DATABASE_URL=database, MPESA_ENVIRONMENT="simulator"
    )
    assert status == 0
    assert f"{code} KES 700: duplicate" in out


def test_serve_refuses_refused_words_in_the_base_url_and_the_secret() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        mpesa_environment="simulator",
        public_base_url="https://shop.example.com/safaricom",
        mpesa_callback_secret="abcEXEdef-long-secret",
    )
    problems = serve_problems(settings)
    assert any(problem.startswith("PUBLIC_BASE_URL contains 'Safaricom'") for problem in problems)
    assert any(problem.startswith("MPESA_CALLBACK_SECRET contains 'exe'") for problem in problems)
    assert all("abcEXEdef" not in problem for problem in problems)
