"""Timestamp in Nairobi time whatever the host's timezone, and the STK Password."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from daraja.client import DarajaClient
from daraja.config import DarajaConfig
from daraja.retry import RetryPolicy
from daraja.signing import NAIROBI, nairobi_timestamp, stk_password
from tests.daraja.fakes import CALLBACK_URL, PASSKEY, PUSH_PATH, QUERY_PATH, SHORTCODE, FakeDaraja

pytestmark = pytest.mark.usefixtures("host_timezone")


def test_timestamp_is_nairobi_time_for_a_utc_moment() -> None:
    assert nairobi_timestamp(datetime(2024, 1, 1, 21, 30, 5, tzinfo=UTC)) == "20240102003005"


def test_timestamp_is_nairobi_time_for_any_aware_moment() -> None:
    new_york_evening = datetime(2024, 3, 1, 19, 0, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert nairobi_timestamp(new_york_evening) == "20240302030000"


def test_timestamp_refuses_a_naive_clock() -> None:
    with pytest.raises(ValueError, match="aware"):
        nairobi_timestamp(datetime(2024, 1, 1, 12, 0))  # noqa: DTZ001 (naive on purpose)


def test_password_is_base64_of_shortcode_passkey_timestamp() -> None:
    password = stk_password("174379", "passkey", "20240101120000")
    assert base64.b64decode(password) == b"174379passkey20240101120000"


async def test_push_sends_nairobi_timestamp_and_matching_password(
    fake: FakeDaraja, http: httpx.AsyncClient, config: DarajaConfig, retry: RetryPolicy
) -> None:
    moment = datetime(2024, 6, 30, 22, 15, 0, tzinfo=UTC)
    client = DarajaClient(http, config, retry=retry, now=lambda: moment)
    await client.stk_push("0712345678", 10, "ORDER1", "Laundry", CALLBACK_URL)
    await client.stk_query("ws_CO_1")
    for body in (*fake.bodies(PUSH_PATH), *fake.bodies(QUERY_PATH)):
        assert body["Timestamp"] == "20240701011500"
        assert body["BusinessShortCode"] == SHORTCODE
        expected = f"{SHORTCODE}{PASSKEY}20240701011500".encode()
        assert base64.b64decode(body["Password"]) == expected


async def test_default_clock_gives_nairobi_time_not_host_time(
    fake: FakeDaraja, client: DarajaClient, host_timezone: str
) -> None:
    await client.stk_push("0712345678", 10, "ORDER1", "Laundry", CALLBACK_URL)
    sent = fake.bodies(PUSH_PATH)[0]["Timestamp"]
    stamped = datetime.strptime(sent, "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
    assert abs(stamped - datetime.now(UTC)) < timedelta(seconds=30)
    host_local = datetime.now().strftime("%Y%m%d%H")  # noqa: DTZ005 (the host's zone on purpose)
    assert sent[:10] != host_local  # UTC and New York are both hours away from Nairobi
