"""The WhatsApp Cloud API fake is as strict as WhatsApp: limits, the window, errors, signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web

from lipa_testing.whatsapp_api import FakeWhatsApp

CUSTOMER = "254712345678"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsApp]:
    async with FakeWhatsApp() as whatsapp:
        yield whatsapp


async def send(fake: FakeWhatsApp, message: dict[str, Any]) -> httpx.Response:
    body = {"messaging_product": "whatsapp", "to": CUSTOMER, **message}
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"{fake.base_url}/{fake.phone_number_id}/messages",
            json=body,
            headers={"Authorization": f"Bearer {fake.access_token}"},
        )


def buttons(*titles: str) -> dict[str, Any]:
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Choose"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b{i}", "title": title}}
                    for i, title in enumerate(titles)
                ]
            },
        },
    }


async def test_a_free_form_message_needs_the_customer_to_have_written_within_24_hours(
    fake: FakeWhatsApp,
) -> None:
    text = {"type": "text", "text": {"body": "Hello"}}
    refused = await send(fake, text)
    assert refused.json()["error"]["code"] == 131047
    fake.customer_wrote_at(CUSTOMER, datetime.now(UTC) - timedelta(hours=23))
    assert (await send(fake, text)).status_code == 200
    fake.customer_wrote_at(CUSTOMER, datetime.now(UTC) - timedelta(hours=25))
    assert (await send(fake, text)).json()["error"]["code"] == 131047
    template = {
        "type": "template",
        "template": {"name": "payment_result", "language": {"code": "sw"}, "components": []},
    }
    assert (await send(fake, template)).status_code == 200
    assert fake.violations == []


@pytest.mark.parametrize(
    "message",
    [
        buttons("One", "Two", "Three", "Four"),
        buttons("A title of twenty-one"),
        {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "Choose"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "same", "title": "One"}},
                        {"type": "reply", "reply": {"id": "same", "title": "Two"}},
                    ]
                },
            },
        },
        {"type": "text", "text": {"body": "x" * 4097}},
        {
            "type": "template",
            "template": {
                "name": "payment_result",
                "language": {"code": "en"},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": "two\nlines"}]}
                ],
            },
        },
        {"type": "template", "template": {"name": "unapproved", "language": {"code": "en"}}},
    ],
)
async def test_a_message_breaking_a_limit_is_refused_and_recorded(
    fake: FakeWhatsApp, message: dict[str, Any]
) -> None:
    fake.customer_wrote_at(CUSTOMER, datetime.now(UTC))
    answer = await send(fake, message)
    assert answer.json()["error"]["code"] == 131009
    assert len(fake.violations) >= 1
    fake.violations.clear()
    assert (await send(fake, buttons("One", "Two", "Three"))).status_code == 200  # a valid one


async def test_errors_on_demand_have_whatsapps_shape(fake: FakeWhatsApp) -> None:
    fake.customer_wrote_at(CUSTOMER, datetime.now(UTC))
    fake.fail_next(130429)
    refused = await send(fake, {"type": "text", "text": {"body": "Hi"}})
    error = refused.json()["error"]
    assert (error["code"], error["type"]) == (130429, "OAuthException")
    assert "fbtrace_id" in error
    assert (await send(fake, {"type": "text", "text": {"body": "Hi"}})).status_code == 200


async def test_webhooks_are_signed_with_the_app_secret_over_the_raw_body(
    fake: FakeWhatsApp, aiohttp_server: Any
) -> None:
    seen: list[tuple[bytes, str]] = []

    async def receive(request: web.Request) -> web.Response:
        seen.append((await request.read(), request.headers.get("X-Hub-Signature-256", "")))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    server = await aiohttp_server(app)
    fake.webhook_url = str(server.make_url("/hook"))
    delivery = await fake.customer_sends_text(CUSTOMER, "PAY WW-1042")
    [(body, signature)] = seen
    expected = hmac.new(fake.app_secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"
    message = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]
    assert (message["from"], message["text"]["body"]) == (CUSTOMER, "PAY WW-1042")
    assert delivery.message_id == message["id"]
