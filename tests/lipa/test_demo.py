"""``lipa demo`` reads the customer from standard input and prints the outcome."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lipa.demo import DemoError, run_demo
from lipa.settings import Settings

PAY_WW_1042 = "/start\n1\nWW-1042\n1\nshare\n1\n"
ROOT = Path(__file__).resolve().parents[2]


def readme_demo_input() -> str:
    """The scripted input the README pipes into ``lipa demo``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"printf '([^']*)' \| \.venv/bin/lipa demo", readme)
    assert found is not None, "the README's scripted demo input"
    return found.group(1).replace("\\n", "\n")


def lipa_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``lipa demo`` in ``cwd`` with the README's scripted input."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "lipa", "demo", "--approve-after", "0.2", *args],
        input=readme_demo_input(),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
        check=False,
    )


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("paid", "M-Pesa receipt"),
        ("cancelled", "cancel"),
        ("insufficient", "balance"),
        ("timeout", "phone"),
        ("wrong-pin", "PIN"),
    ],
)
async def test_the_demo_pays_or_fails_as_told(tmp_path: Path, outcome: str, expected: str) -> None:
    out = io.StringIO()
    status = await run_demo(
        settings(),
        outcome=outcome,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        approve_after=0.1,
        stdin=io.StringIO(PAY_WW_1042),
        stdout=out,
    )
    text = out.getvalue()
    assert status == 0
    assert "Pay KES 1,500 for order WW-1042 from 0712 345 678?" in text
    last = text.strip().splitlines()
    assert any(expected.lower() in line.lower() for line in last[-3:]), text
    if outcome != "paid":
        assert last[-2].strip() == "1) Try again"
        assert last[-1].strip() == "2) I already paid"


async def test_the_demo_understands_typed_amounts_and_numbers(tmp_path: Path) -> None:
    out = io.StringIO()
    lines = "/start\n1\nWW-1042\n1,000/=\n0712345678\n1\n/history\n"
    await run_demo(
        settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        approve_after=0.1,
        stdin=io.StringIO(lines),
        stdout=out,
    )
    text = out.getvalue()
    assert "Pay KES 1,000 for order WW-1042" in text
    assert "Balance left: KES 500" in text or "KES 500" in text


def test_printf_into_lipa_demo_pays_and_exits_0(tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = subprocess.run(
        [sys.executable, "-m", "lipa", "demo", "--approve-after", "0.2"],
        input=PAY_WW_1042,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "M-Pesa receipt" in result.stdout
    assert "Traceback" not in result.stderr
    assert (tmp_path / "lipa-demo.db").exists()


def test_lipa_demo_run_twice_with_the_readmes_input_pays_twice(tmp_path: Path) -> None:
    first = lipa_demo(tmp_path)
    second = lipa_demo(tmp_path)
    for run in (first, second):
        assert run.returncode == 0, run.stderr
        assert "M-Pesa receipt" in run.stdout, run.stdout
        # ("I already paid" is a button under the pending payment, not a refusal.)
        assert "already" not in run.stdout.lower().replace("i already paid", ""), run.stdout
    receipts = [re.findall(r"receipt:? ([A-Z0-9]{10})", run.stdout) for run in (first, second)]
    assert all(receipts), receipts
    assert receipts[0] != receipts[1], receipts


def test_lipa_demo_keep_continues_from_the_earlier_run(tmp_path: Path) -> None:
    assert lipa_demo(tmp_path).returncode == 0
    kept = lipa_demo(tmp_path, "--keep")
    assert "M-Pesa receipt" not in kept.stdout, kept.stdout
    assert "fully paid" in kept.stdout, kept.stdout


async def test_the_demo_will_not_wipe_a_database_that_is_not_its_sqlite_file(
    pg_database_url: str,
) -> None:
    with pytest.raises(DemoError, match="--keep"):
        await run_demo(settings(), database_url=pg_database_url, stdin=io.StringIO(""))


async def test_the_demo_on_whatsapp_pays_from_the_pay_link_text_in_whatsapps_shapes(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    status = await run_demo(
        settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        approve_after=0.1,
        stdin=io.StringIO("PAY WW-1042\n1\n1\n1\n"),
        stdout=out,
        channel="whatsapp",
    )
    text = out.getvalue()
    assert status == 0
    assert "1) [ Pay KES 1,500 ]" in text
    assert "1) [ Use 0712 345 678 ]" in text
    assert "Pay KES 1,500 for order WW-1042 from 0712 345 678?" in text
    assert "M-Pesa receipt" in text


async def test_the_demo_shows_i_already_paid_with_the_code_the_phone_received(
    tmp_path: Path,
) -> None:
    """The prompt is never answered; the customer pays the paybill and types the SMS's code."""
    read_end, write_end = os.pipe()
    typed = os.fdopen(write_end, "w", buffering=1)
    out = io.StringIO()
    demo = asyncio.create_task(
        run_demo(
            settings(),
            outcome="timeout",
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
            approve_after=0.2,
            stdin=os.fdopen(read_end),
            stdout=out,
        )
    )

    async def shown(words: str) -> str:
        for _ in range(200):
            if words in out.getvalue():
                return out.getvalue()
            await asyncio.sleep(0.05)
        raise AssertionError(f"{words!r} never shown:\n{out.getvalue()}")

    typed.write(PAY_WW_1042)
    await shown("Not paid")
    typed.write("paybill 1500\n")
    sms = re.search(r"\[SMS on 0712 345 678\] ([A-Z0-9]{10}) Confirmed", await shown("[SMS on"))
    assert sms is not None
    typed.write("2\n")  # I already paid
    await shown("Type the M-Pesa code")
    typed.write(sms.group(1) + "\n")
    await shown("We received your M-Pesa payment of KES 1,500 for order WW-1042")
    typed.close()
    assert await asyncio.wait_for(demo, 30) == 0


async def test_the_demo_refunds_the_payment_when_asked(tmp_path: Path) -> None:
    out = io.StringIO()
    status = await run_demo(
        settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        approve_after=0.1,
        stdin=io.StringIO(PAY_WW_1042),
        stdout=out,
        refund=True,
    )
    text = out.getvalue()
    assert status == 0, text
    assert "M-Pesa receipt" in text
    assert "[staff] user 1001 asked to refund KES 1,500" in text
    assert "user 1002 approved" in text
    tail = text[text.index("[staff]") :]
    assert "KES 1,500 for order WW-1042 is on its way back to 0712 345 678" in tail, tail


async def test_without_refund_the_demo_ends_with_the_payment(tmp_path: Path) -> None:
    out = io.StringIO()
    await run_demo(
        settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        approve_after=0.1,
        stdin=io.StringIO(PAY_WW_1042),
        stdout=out,
    )
    assert "[staff]" not in out.getvalue()
    assert "on its way back" not in out.getvalue()
