"""The Cloud API client: one send, WhatsApp's error shapes as typed errors, no token in them."""

from __future__ import annotations

import json

import httpx
import pytest

from lipa_testing.whatsapp_api import ERRORS
from whatsapp.client import (
    CloudApi,
    CloudApiConfig,
    WhatsAppError,
    WhatsAppUnavailable,
    build_whatsapp_http_client,
)
from whatsapp.rendering import text_message

TOKEN = "EAAG-secret-token"


def api(handler: httpx.MockTransport) -> CloudApi:
    http = build_whatsapp_http_client("https://graph.example/v21.0", transport=handler)
    return CloudApi(http, CloudApiConfig(phone_number_id="123", access_token=TOKEN))


async def test_a_send_posts_to_the_numbers_messages_with_the_token_and_returns_the_id() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"messages": [{"id": "wamid.A"}]})

    assert await api(httpx.MockTransport(answer)).send("254712345678", text_message("Hi")) == (
        "wamid.A"
    )
    [request] = seen
    assert request.url == "https://graph.example/v21.0/123/messages"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.content)
    assert body["messaging_product"] == "whatsapp"
    assert body["to"] == "254712345678"
    assert body["text"]["body"] == "Hi"


@pytest.mark.parametrize(
    ("code", "temporary"),
    [(130429, True), (131056, True), (131000, True), (131047, False), (131026, False)],
)
async def test_whatsapps_errors_become_typed_errors_with_their_code(
    code: int, temporary: bool
) -> None:
    status, message, details = ERRORS[code]
    body = {"error": {"message": message, "code": code, "error_data": {"details": details}}}
    client = api(httpx.MockTransport(lambda _request: httpx.Response(status, json=body)))
    with pytest.raises(WhatsAppError) as caught:
        await client.send("254712345678", text_message("Hi"))
    assert caught.value.code == code
    assert caught.value.temporary is temporary
    assert TOKEN not in str(caught.value)


async def test_an_unreachable_api_is_unavailable_without_the_token_in_the_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(WhatsAppUnavailable) as caught:
        await api(httpx.MockTransport(refuse)).send("254712345678", text_message("Hi"))
    assert TOKEN not in str(caught.value)


async def test_an_answer_without_a_message_id_is_an_error() -> None:
    client = api(httpx.MockTransport(lambda _request: httpx.Response(200, text="<html>")))
    with pytest.raises(WhatsAppError):
        await client.send("254712345678", text_message("Hi"))
