"""USSD and SMS settings: off until an Africa's Talking key is set, validated, wired."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from checkout.domain.records import Channel
from lipa.app import open_lipa
from lipa.settings import MissingSetting, Settings
from sms import SmsSender


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_sms_and_ussd_are_off_by_default() -> None:
    s = settings()
    assert not s.sms_enabled
    assert s.at_api_base_url == "https://api.africastalking.com"
    assert s.ussd_push_delay_seconds == 2.0
    assert s.ussd_resume_minutes == 10
    assert s.ussd_networks == []


def test_a_placeholder_key_does_not_turn_sms_on() -> None:
    assert not settings(at_api_key="change-me").sms_enabled
    assert settings(at_api_key="atsk_live").sms_enabled


def test_the_api_key_stays_secret() -> None:
    s = settings(at_api_key="atsk_very_secret_value")
    assert "atsk_very_secret_value" not in repr(s)


def test_the_sandbox_url_is_accepted_without_a_trailing_slash() -> None:
    s = settings(at_api_base_url="https://api.sandbox.africastalking.com/")
    assert s.at_api_base_url == "https://api.sandbox.africastalking.com"


@pytest.mark.parametrize(
    "values",
    [
        {"at_api_base_url": "api.africastalking.com"},
        {"ussd_allowed_ips": "not-an-address"},
        {"ussd_push_delay_seconds": -1},
        {"ussd_resume_minutes": -1},
        # Past the conversation's 15 idle minutes the flow starts over: nothing to continue.
        {"ussd_resume_minutes": 16},
    ],
)
def test_bad_values_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        settings(**values)


def test_the_allowlist_takes_comma_separated_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USSD_ALLOWED_IPS", "196.201.214.0/24, 10.1.2.3")
    assert [str(network) for network in settings().ussd_networks] == [
        "196.201.214.0/24",
        "10.1.2.3/32",
    ]


async def test_a_key_without_a_username_stops_with_the_variables_name(tmp_path: Path) -> None:
    s = settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'l.db'}", at_api_key="atsk_x")
    with pytest.raises(MissingSetting, match="AT_USERNAME"):
        async with open_lipa(s):
            pass


async def test_with_a_key_ussd_customers_get_an_sms_sender(tmp_path: Path) -> None:
    s = settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'l.db'}",
        at_api_key="atsk_x",
        at_username="sandbox",
    )
    async with open_lipa(s) as lipa:
        assert isinstance(lipa.senders[Channel.USSD], SmsSender)
