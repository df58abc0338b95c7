"""The ``lipa`` command line: commands listed, migrations applied, problems said in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lipa.cli import main
from tests.lipa.commands import lipa


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = lipa("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("migrate", "serve", "demo", "simulator", "mpesa"):
        assert command in result.stdout


def test_migrate_creates_the_schema_on_sqlite(tmp_path: Path) -> None:
    result = lipa("migrate", cwd=tmp_path, DATABASE_URL="sqlite+aiosqlite:///./x.db")
    assert result.returncode == 0, result.stderr
    assert "database migrated to revision" in result.stdout
    assert (tmp_path / "x.db").exists()


def test_migrate_creates_the_schema_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    result = lipa("migrate", cwd=tmp_path, DATABASE_URL=postgres_url)
    assert result.returncode == 0, result.stderr
    assert "database migrated to revision" in result.stdout


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        # Without the payment link page (a channel of its own), nothing else is on.
        (
            {"MPESA_ENVIRONMENT": "simulator", "WEB_CHECKOUT_ENABLED": "false"},
            "TELEGRAM_BOT_TOKEN",
        ),
        (
            {
                "MPESA_ENVIRONMENT": "simulator",
                "TELEGRAM_BOT_TOKEN": "change-me",
                "WEB_CHECKOUT_ENABLED": "false",
            },
            "TELEGRAM_BOT_TOKEN",
        ),
        (
            {
                "MPESA_ENVIRONMENT": "simulator",
                "TELEGRAM_BOT_TOKEN": "1:x",
                "TELEGRAM_MODE": "webhook",
            },
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": "1:x",
                "MPESA_ENVIRONMENT": "sandbox",
                # The other M-Pesa values are given: only the key is missing.
                "MPESA_CONSUMER_SECRET": "a-consumer-secret",
                "MPESA_PASSKEY": "a-passkey",
                "MPESA_CALLBACK_SECRET": "a-callback-secret",
            },
            "MPESA_CONSUMER_KEY",
        ),
    ],
)
def test_serve_without_a_needed_setting_names_it_in_one_line(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    result = lipa("serve", cwd=tmp_path, **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_an_invalid_setting_is_named_in_one_line(tmp_path: Path) -> None:
    result = lipa("migrate", cwd=tmp_path, PORT="eighty")
    assert result.returncode == 2
    assert "PORT" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_production_refuses_a_plain_http_public_url(tmp_path: Path) -> None:
    result = lipa(
        "migrate",
        cwd=tmp_path,
        MPESA_ENVIRONMENT="production",
        PUBLIC_BASE_URL="http://shop.example",
    )
    assert result.returncode == 2
    assert "https" in result.stderr


def test_main_returns_the_commands_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'y.db'}")
    assert main(["migrate"]) == 0
    assert "revision" in capsys.readouterr().out


def test_serve_with_no_customer_channel_says_so_in_one_line(tmp_path: Path) -> None:
    result = lipa(
        "serve",
        cwd=tmp_path,
        TELEGRAM_BOT_TOKEN="change-me",
        API_TOKEN="",
        MPESA_ENVIRONMENT="simulator",
        WEB_CHECKOUT_ENABLED="false",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no customer channel is on" in lines[0]
    for variable in ("TELEGRAM_BOT_TOKEN", "AT_API_KEY", "API_TOKEN"):
        assert variable in lines[0]


UNREACHABLE_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/lipa"


@pytest.mark.parametrize(
    "command",
    [("migrate",), ("reconcile",), ("installments", "collect")],
)
def test_a_command_against_an_unreachable_database_fails_in_one_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = lipa(
        *command,
        cwd=tmp_path,
        DATABASE_URL=UNREACHABLE_DATABASE,
        MPESA_API_BASE_URL="http://127.0.0.1:1",
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "database" in lines[0]
    assert "Traceback" not in result.stderr


def test_every_invalid_setting_is_reported_in_one_run(tmp_path: Path) -> None:
    result = lipa(
        "migrate",
        cwd=tmp_path,
        PORT="eighty",
        DEFAULT_LANGUAGE="fr",
        DATABASE_URL="mysql://shop",
        MPESA_ENVIRONMENT="simulator",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, result.stderr
    for variable, line in zip(("DATABASE_URL", "DEFAULT_LANGUAGE", "PORT"), lines, strict=True):
        assert variable in line


def test_serve_names_every_missing_setting_in_one_run(tmp_path: Path) -> None:
    result = lipa(
        "serve",
        cwd=tmp_path,
        MPESA_ENVIRONMENT="production",
        TELEGRAM_BOT_TOKEN="123456:a-real-looking-token",
        TELEGRAM_MODE="webhook",
        PUBLIC_BASE_URL="https://pay.example.com",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    named = [line.split()[1] for line in lines]
    assert named == [
        "TELEGRAM_WEBHOOK_SECRET",
        "MPESA_CONSUMER_KEY",
        "MPESA_CONSUMER_SECRET",
        "MPESA_PASSKEY",
        "MPESA_CALLBACK_SECRET",
    ]


def test_cross_setting_rules_are_all_reported_in_one_run(tmp_path: Path) -> None:
    result = lipa(
        "migrate",
        cwd=tmp_path,
        MPESA_ENVIRONMENT="production",
        PUBLIC_BASE_URL="http://shop.example",
        RECONCILE_AFTER_SECONDS="700",
        MPESA_TRANSACTION_TYPE="CustomerBuyGoodsOnline",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, result.stderr
    assert [line.split(": ")[2].split()[0] for line in lines] == [
        "PUBLIC_BASE_URL",
        "PAYMENT_EXPIRY_SECONDS",
        "MPESA_PARTY_B",
    ]


def test_a_failure_outside_the_database_is_one_line_that_does_not_blame_it(
    tmp_path: Path,
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = lipa("simulator", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "address already in use" in lines[0]
    assert "database" not in lines[0]
