"""Inputs built to break the API get a 400 naming the field, never a 500 (both databases)."""

from __future__ import annotations

import base64

import pytest

from tests.api.conftest import AUTH, Client
from tests.api.test_auth_and_validation import assert_error
from webhook.api import MAX_PAYMENT_ID


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def post_raw(api: Client, raw: bytes) -> tuple[int, object]:
    response = await api.post(
        "/api/orders", headers={**AUTH, "Content-Type": "application/json"}, data=raw
    )
    return response.status, await response.json()


@pytest.mark.parametrize(
    "since",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    ],
)
async def test_a_time_with_no_utc_equivalent_gets_400_naming_since(api: Client, since: str) -> None:
    response = await api.get("/api/payments", params={"since": since}, headers=AUTH)
    assert response.status == 400
    assert_error(await response.json(), "since")


async def test_the_earliest_and_latest_utc_times_are_still_accepted(api: Client) -> None:
    for since in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
        response = await api.get("/api/payments", params={"since": since}, headers=AUTH)
        assert response.status == 200, since
        assert (await response.json())["payments"] == []


@pytest.mark.parametrize(
    "cursor",
    [
        cursor_of(f"2026-11-28T09:00:00+00:00|{MAX_PAYMENT_ID + 1}"),
        cursor_of(f"2026-11-28T09:00:00+00:00|{2**70}"),
        cursor_of("2026-11-28T09:00:00+00:00|-1"),
        cursor_of("0001-01-01T00:00:00+14:00|1"),
    ],
)
async def test_a_cursor_beyond_what_the_databases_hold_gets_400_naming_cursor(
    api: Client, cursor: str
) -> None:
    response = await api.get(
        "/api/payments",
        params={"since": "2026-11-28T00:00:00Z", "cursor": cursor},
        headers=AUTH,
    )
    assert response.status == 400
    assert_error(await response.json(), "cursor")


@pytest.mark.parametrize(
    "description",
    [
        b'"shirts\\u0000"',  # NUL: PostgreSQL cannot store it
        b'"shirts \\ud800"',  # a lone surrogate: not text at all
        b'"\\udfff"',
        b'"bell \\u0007"',
    ],
)
async def test_a_description_that_is_not_plain_text_gets_400_and_nothing_is_stored(
    api: Client, description: bytes
) -> None:
    raw = b'{"amount": 100, "reference": "WW-NUL", "description": ' + description + b"}"
    status, body = await post_raw(api, raw)
    assert status == 400
    assert_error(body, "description")
    response = await api.get("/api/orders/WW-NUL", headers=AUTH)
    assert response.status == 404


async def test_a_key_given_twice_gets_400_naming_it(api: Client) -> None:
    status, body = await post_raw(api, b'{"amount": 100, "amount": 200, "reference": "WW-2X"}')
    assert status == 400
    assert_error(body, "amount")
    response = await api.get("/api/orders/WW-2X", headers=AUTH)
    assert response.status == 404


async def test_a_body_nested_past_the_stack_gets_400(api: Client) -> None:
    status, body = await post_raw(api, b"[" * 60_000)
    assert status == 400
    assert_error(body, None)


async def test_a_paging_parameter_given_twice_gets_400_naming_it(api: Client) -> None:
    response = await api.get(
        "/api/payments?since=2026-11-28T00:00:00Z&limit=5&limit=500", headers=AUTH
    )
    assert response.status == 400
    assert_error(await response.json(), "limit")
