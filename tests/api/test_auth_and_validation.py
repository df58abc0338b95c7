"""The API refuses callers without the token and explains every bad field as JSON."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import AUTH, TOKEN, Client


def assert_error(body: Any, field: str | None) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"field", "message"}
    assert body["error"]["field"] == field
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer"},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/orders"), ("GET", "/api/orders/WW-1"), ("GET", "/api/payments")],
)
async def test_a_missing_or_wrong_token_gets_401(
    api: Client, headers: dict[str, str], method: str, path: str
) -> None:
    response = await api.request(method, path, headers=headers, json={"amount": 100})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(await response.json(), None)


async def test_the_right_token_is_accepted_whatever_the_scheme_case(api: Client) -> None:
    response = await api.post(
        "/api/orders", headers={"Authorization": f"bearer {TOKEN}"}, json={"amount": 100}
    )
    assert response.status == 201


async def test_the_openapi_document_needs_no_token(api: Client) -> None:
    response = await api.get("/api/openapi.json")
    assert response.status == 200
    assert (await response.json())["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": "1500"}, "amount"),
        ({"amount": 1500.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 250_001}, "amount"),
        ({"amount": 100, "reference": "WAY-TOO-LONG-REF"}, "reference"),
        ({"amount": 100, "reference": "WW 1042"}, "reference"),
        ({"amount": 100, "reference": "ÄB-1"}, "reference"),
        ({"amount": 100, "reference": 1042}, "reference"),
        ({"amount": 100, "customer_phone": "0712"}, "customer_phone"),
        ({"amount": 100, "customer_phone": "+44 20 7946 0958"}, "customer_phone"),
        ({"amount": 100, "customer_phone": "0202222222"}, "customer_phone"),
        ({"amount": 100, "customer_phone": 712345678}, "customer_phone"),
        ({"amount": 100, "description": "x" * 201}, "description"),
        ({"amount": 100, "description": ["shirts"]}, "description"),
        ({"amount": 100, "colour": "blue"}, "colour"),
    ],
)
async def test_a_bad_field_gets_400_naming_it(api: Client, body: Any, field: str) -> None:
    response = await api.post("/api/orders", headers=AUTH, json=body)
    assert response.status == 400
    assert_error(await response.json(), field)


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
async def test_a_body_that_is_not_a_json_object_gets_400(api: Client, raw: bytes) -> None:
    response = await api.post(
        "/api/orders", headers={**AUTH, "Content-Type": "application/json"}, data=raw
    )
    assert response.status == 400
    assert_error(await response.json(), None)


async def test_a_bad_reference_in_the_path_gets_400(api: Client) -> None:
    response = await api.get("/api/orders/NOT_A-REFERENCE", headers=AUTH)
    assert response.status == 400
    assert_error(await response.json(), "reference")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "since"),
        ("?since=yesterday", "since"),
        ("?since=2026-11-28T09:00:00", "since"),  # no timezone
        ("?since=2026-11-28T09:00:00Z&limit=0", "limit"),
        ("?since=2026-11-28T09:00:00Z&limit=501", "limit"),
        ("?since=2026-11-28T09:00:00Z&limit=ten", "limit"),
        ("?since=2026-11-28T09:00:00Z&cursor=%%%", "cursor"),
        ("?since=2026-11-28T09:00:00Z&cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("?since=2026-11-28T09:00:00Z&page=2", "page"),
    ],
)
async def test_bad_paging_parameters_get_400_naming_them(
    api: Client, query: str, field: str
) -> None:
    response = await api.get(f"/api/payments{query}", headers=AUTH)
    assert response.status == 400
    assert_error(await response.json(), field)
