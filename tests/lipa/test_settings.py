"""Settings: defaults, validation, `.env.example` coverage and one-line configuration errors."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from checkout.payments.limits import PushLimits
from daraja.transport import HttpTransport
from lipa.build.policies import push_limits
from lipa.cli import describe_validation_error
from lipa.settings import MissingSetting, MpesaEnvironment, Settings, require
from storage.database import SqliteDriver

ROOT = Path(__file__).resolve().parents[2]


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_every_setting_is_documented_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    expected = {name.upper() for name in Settings.model_fields}
    assert expected - documented == set(), "add these to .env.example"
    assert documented - expected == set(), "remove these from .env.example or add the setting"


def test_every_variable_in_env_example_has_a_comment_above_it() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            previous = lines[index - 1]
            assert previous.startswith("#") or re.match(r"^[A-Z][A-Z0-9_]*=", previous), line


def test_defaults_run_on_sqlite_and_the_simulator() -> None:
    s = settings()
    assert s.database_url == "sqlite+aiosqlite:///./lipa.db"
    assert s.business_name == "Wildwash"
    assert (s.host, s.port) == ("127.0.0.1", 8080)
    assert s.mpesa_environment is MpesaEnvironment.SIMULATOR
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_USER_IDS", "1, 2,3")
    monkeypatch.setenv("MPESA_PASSKEY", "pk-secret")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "sw")
    s = settings()
    assert s.staff_user_ids == [1, 2, 3]
    assert s.default_language == "sw"
    assert s.mpesa_passkey is not None
    assert "pk-secret" not in repr(s)


def test_production_refuses_a_public_url_that_is_not_https() -> None:
    with pytest.raises(ValidationError, match="https"):
        settings(mpesa_environment="production", public_base_url="http://shop.example")
    assert settings(mpesa_environment="production", public_base_url="https://shop.example")


def test_a_till_needs_its_party_b() -> None:
    with pytest.raises(ValidationError, match="MPESA_PARTY_B"):
        settings(mpesa_transaction_type="CustomerBuyGoodsOnline")


def test_an_unknown_database_driver_is_refused() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        settings(database_url="mysql://x")


def test_postgresql_is_accepted() -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/lipa"
    assert settings(database_url=url).database_url == url


def test_a_missing_or_placeholder_value_names_the_variable() -> None:
    s = settings(mpesa_passkey="change-me")
    with pytest.raises(MissingSetting, match="MPESA_PASSKEY") as caught:
        require(s, "mpesa_passkey", "the Lipa na M-Pesa Online passkey")
    assert "passkey" in str(caught.value)
    with pytest.raises(MissingSetting, match="TELEGRAM_BOT_TOKEN"):
        require(s, "telegram_bot_token", "the bot's token")
    assert require(settings(mpesa_passkey="real"), "mpesa_passkey", "x") == "real"


def test_validation_errors_are_described_in_one_line_per_variable() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(port="abc", default_language="fr")
    line = describe_validation_error(caught.value)
    assert "PORT" in line
    assert "DEFAULT_LANGUAGE" in line
    assert "\n" not in line


def test_a_copy_of_env_example_is_a_valid_configuration(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text())
    s = Settings(_env_file=str(env))  # type: ignore[call-arg]
    assert s.staff_chat_id is None
    assert s.mpesa_confirm_with_query is None
    assert s.confirm_with_query is False
    with pytest.raises(MissingSetting):
        require(s, "telegram_bot_token", "the bot's token")


def test_push_limits_default_to_three_a_number_in_ten_minutes_and_ten_a_sender_an_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert push_limits(settings()) == PushLimits(
        per_phone=3,
        phone_window=timedelta(minutes=10),
        per_sender=10,
        sender_window=timedelta(hours=1),
        cancels_in_a_row=2,
        pause=timedelta(hours=1),
    )
    monkeypatch.setenv("PUSH_LIMIT_PER_PHONE", "5")
    monkeypatch.setenv("PUSH_PAUSE_SECONDS", "1800")
    limits = push_limits(settings())
    assert (limits.per_phone, limits.pause) == (5, timedelta(minutes=30))
    with pytest.raises(ValidationError):
        settings(push_limit_per_sender=0)


def test_the_infrastructure_switches_default_to_the_fast_paths_and_read_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = settings()
    assert defaults.daraja_http_transport == HttpTransport.AIOHTTP
    monkeypatch.setenv("DARAJA_HTTP_TRANSPORT", "httpx")
    assert settings().daraja_http_transport == HttpTransport.HTTPX
    with pytest.raises(ValidationError, match="daraja_http_transport"):
        settings(daraja_http_transport="urllib")


def test_the_sqlite_driver_switch_defaults_to_the_one_trip_driver_and_reads_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert settings().sqlite_driver == SqliteDriver.LIPA
    monkeypatch.setenv("SQLITE_DRIVER", "aiosqlite")
    assert settings().sqlite_driver == SqliteDriver.AIOSQLITE
    with pytest.raises(ValidationError, match="sqlite_driver"):
        settings(sqlite_driver="sqlite3")
