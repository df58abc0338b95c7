"""The Telegram webhook route: checks Telegram's secret header, queues the update, answers 200.

Telegram retries any answer that is not 2xx, so the update is handed over and processed after
the answer, never inside the request. A button press is answered in that same answer:
Telegram runs a Bot API method named in a webhook's 2xx JSON answer, so the customer's
spinner stops at once without a Bot API call of our own (the handlers are told not to answer
it again).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_PATH = "/telegram/webhook"

UpdateSink = Callable[[dict[str, Any]], Awaitable[None]]


class TelegramWebhookHandler:
    """Accepts updates that carry the right secret and passes them to ``sink``."""

    def __init__(self, secret: str, sink: UpdateSink) -> None:
        self._secret = secret.encode()
        self._sink = sink

    async def handle(self, request: web.Request) -> web.Response:
        """Handle one update POST."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, self._secret):
            log.warning("Telegram webhook call without the right secret refused")
            raise web.HTTPUnauthorized()
        try:
            data = json.loads(await request.read())
        except ValueError:
            raise web.HTTPBadRequest(text="not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise web.HTTPBadRequest(text="not an update")
        await self._sink(data)
        query = data.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            return web.json_response(
                {"method": "answerCallbackQuery", "callback_query_id": query["id"]}
            )
        return web.Response(text="ok")
