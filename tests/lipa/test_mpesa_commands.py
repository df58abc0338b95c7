"""``lipa mpesa token|stk-push|query`` against a Daraja simulator on a real socket."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import DEFAULT_PASSKEY, SimulatorSettings
from lipa.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def simulator() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(SimulatorSettings(callback_delay=30)) as server:
        yield server


async def lipa(simulator: SimulatorServer, *args: str, **env: str) -> tuple[int, str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in {name.upper() for name in Settings.model_fields}
    }
    environment.update(
        PYTHONPATH=str(ROOT),
        MPESA_API_BASE_URL=simulator.base_url,
        MPESA_CALLBACK_SECRET="cb-secret",
        **env,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lipa",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_token_confirms_good_credentials(simulator: SimulatorServer) -> None:
    status, out, _ = await lipa(simulator, "mpesa", "token")
    assert status == 0
    assert "accepted" in out


async def test_token_with_wrong_credentials_fails_in_one_line(
    simulator: SimulatorServer,
) -> None:
    status, _, err = await lipa(
        simulator,
        "mpesa",
        "token",
        MPESA_ENVIRONMENT="sandbox",
        MPESA_CONSUMER_KEY="wrong",
        MPESA_CONSUMER_SECRET="wrong",
        MPESA_PASSKEY=DEFAULT_PASSKEY,
    )
    assert status == 1
    assert len(err.strip().splitlines()) == 1
    assert "wrong" not in err


async def test_stk_push_prints_the_accepted_answer_and_query_reads_it_back(
    simulator: SimulatorServer,
) -> None:
    status, out, err = await lipa(
        simulator,
        "mpesa",
        "stk-push",
        "--phone",
        "0712345678",
        "--amount",
        "10",
        "--reference",
        "WW-1042",
    )
    assert status == 0, err
    accepted = json.loads(out)
    assert accepted["response_code"] == "0"
    status, out, err = await lipa(simulator, "mpesa", "query", accepted["checkout_request_id"])
    assert status == 0, err
    assert json.loads(out)["pending"] is True
    push = simulator.daraja.prompts[accepted["checkout_request_id"]]
    assert "cb-secret" in push.callback_url


async def test_stk_push_names_the_broken_rule(simulator: SimulatorServer) -> None:
    status, _, err = await lipa(
        simulator,
        "mpesa",
        "stk-push",
        "--phone",
        "0712345678",
        "--amount",
        "10",
        "--reference",
        "A-REFERENCE-TOO-LONG",
    )
    assert status == 1
    assert "12" in err
    assert simulator.daraja.counters.push_requests == 0


async def test_stk_push_reports_darajas_error_code(simulator: SimulatorServer) -> None:
    status, _, err = await lipa(
        simulator,
        "mpesa",
        "stk-push",
        "--phone",
        "0700000007",
        "--amount",
        "10",
        "--reference",
        "WW-1",
    )
    assert status == 1
    assert "500.001.1001" in err


async def test_credential_prints_the_password_encrypted_with_the_certificate(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    from daraja.simulator.keys import simulator_keys

    certificate = tmp_path / "cert.pem"
    certificate.write_bytes(simulator_keys().certificate_pem)
    status, out, err = await lipa(
        simulator,
        "mpesa",
        "credential",
        MPESA_INITIATOR_PASSWORD="Safaricom999!*!",
        MPESA_CERTIFICATE_PATH=str(certificate),
    )
    assert status == 0, err
    (line,) = out.splitlines()
    assert simulator_keys().decrypt(line) == "Safaricom999!*!"
    assert "Safaricom999" not in err


async def test_credential_on_the_simulator_uses_its_certificate_and_test_password(
    simulator: SimulatorServer,
) -> None:
    from daraja.simulator.keys import simulator_keys
    from daraja.simulator.settings import DEFAULT_INITIATOR_PASSWORD

    status, out, err = await lipa(simulator, "mpesa", "credential")
    assert status == 0, err
    assert simulator_keys().decrypt(out.strip()) == DEFAULT_INITIATOR_PASSWORD


async def test_credential_without_the_settings_says_which_are_missing(
    simulator: SimulatorServer,
) -> None:
    status, out, err = await lipa(simulator, "mpesa", "credential", MPESA_ENVIRONMENT="sandbox")
    assert status != 0
    assert out == ""
    assert "MPESA_INITIATOR_PASSWORD" in err
    assert "MPESA_CERTIFICATE_PATH" in err
