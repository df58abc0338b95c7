"""The platform's settings: event URLs need a signing secret; tokens are long; JSON logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from lipa.settings import Settings
from tests.lipa.test_cli import lipa


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_by_default_there_is_no_api_no_events_and_text_logs() -> None:
    s = settings()
    assert s.api_token_value is None
    assert s.event_webhook_urls == []
    assert s.log_format == "text"


def test_event_urls_come_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_WEBHOOK_URLS", "https://a.example/hook, http://b.example/x")
    monkeypatch.setenv("EVENT_WEBHOOK_SECRET", "event-secret-0123456789")
    assert settings().event_webhook_urls == ["https://a.example/hook", "http://b.example/x"]


@pytest.mark.parametrize("secret", [None, "change-me"])
def test_event_urls_without_a_signing_secret_are_refused(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="EVENT_WEBHOOK_SECRET is required"):
        settings(event_webhook_urls=["https://a.example/hook"], event_webhook_secret=secret)


def test_an_event_url_must_be_http() -> None:
    with pytest.raises(ValidationError, match="http"):
        settings(event_webhook_urls=["ftp://a.example"], event_webhook_secret="s" * 16)


@pytest.mark.parametrize("field", ["api_token", "event_webhook_secret"])
def test_short_tokens_and_secrets_are_refused(field: str) -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        settings(**{field: "short"})


def test_a_placeholder_api_token_leaves_the_api_off() -> None:
    assert settings(api_token="change-me").api_token_value is None
    assert settings(api_token="t" * 16).api_token_value == "t" * 16


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValidationError):
        settings(log_format="xml")


def test_log_format_json_makes_every_line_a_json_object(tmp_path: Path) -> None:
    result = lipa(
        "--log-level",
        "DEBUG",
        "migrate",
        cwd=tmp_path,
        DATABASE_URL="sqlite+aiosqlite:///./x.db",
        LOG_FORMAT="json",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= record.keys()
