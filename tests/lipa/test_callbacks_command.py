"""``lipa callbacks list`` and ``lipa callbacks replay``: kept bodies, run again, one line each."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from checkout.domain.records import BodyStatus, Channel, PaymentStatus, ReceivedBody
from checkout.payments.ports import NewPayment
from checkout.payments.settling.settle import SettlementService
from storage.unit_of_work import SqlUnits
from tests.lipa.commands import lipa as run_lipa

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

# Refused by a Lipa that read only numeric result codes; settles once replayed today.
OPERATOR_MISSING = {
    "Body": {
        "stkCallback": {
            "MerchantRequestID": "f1e2-4b95-a71d-b30d3cdbb7a71964143",
            "CheckoutRequestID": "ws_CO_1",
            "ResultCode": "SFC_IC0003",
            "ResultDesc": "The operator does not exist",
        }
    }
}


def lipa(*args: str, cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    return run_lipa(*args, cwd=cwd, DATABASE_URL=database_url)


async def test_a_kept_body_is_listed_and_replayed_with_one_line_saying_what_happened(
    uow: SqlUnits, database_url: str, tmp_path: Path
) -> None:
    async with uow() as unit:
        await unit.orders.create("WW-1042", 1500, known=True)
        payment = await unit.payments.create_pending(
            NewPayment("WW-1042", None, Channel.TELEGRAM, "42", 1500, "254708374149", "en"),
            now=NOW,
        )
        await unit.payments.mark_requested(
            payment.id, merchant_request_id="m", checkout_request_id="ws_CO_1"
        )
        await unit.commit()
    body_id = await SettlementService(uow, clock=lambda: NOW).bodies.keep_unsettled(
        ReceivedBody(json.dumps(OPERATOR_MISSING).encode(), "196.201.214.200", NOW),
        status=BodyStatus.REFUSED,
        reason="ResultCode is missing or not an integer",
    )

    listed = lipa("callbacks", "list", "--failed", cwd=tmp_path, database_url=database_url)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"callback {body_id} 2026-12-03T09:00:00+00:00 from 196.201.214.200 "
        f"{len(json.dumps(OPERATOR_MISSING))} bytes: refused: "
        "ResultCode is missing or not an integer",
        "1 callback bodies",
    ]

    replayed = lipa("callbacks", "replay", str(body_id), cwd=tmp_path, database_url=database_url)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == f"callback {body_id}: settled (ws_CO_1)\n"
    async with uow() as unit:
        settled = await unit.payments.by_checkout_request_id("ws_CO_1")
    assert settled is not None
    assert (settled.status, settled.result_code_text) == (PaymentStatus.FAILED, "SFC_IC0003")

    after = lipa("callbacks", "list", "--failed", cwd=tmp_path, database_url=database_url)
    assert after.stdout.splitlines() == ["0 callback bodies"]


def test_replaying_an_unknown_body_fails_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"
    result = lipa("callbacks", "replay", "77", cwd=tmp_path, database_url=url)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "lipa: no callback body 77 (see: lipa callbacks list)"
    ]
