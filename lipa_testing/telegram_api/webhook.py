"""Delivering updates to the webhook: POSTing them (with the secret header), recording each
delivery, and running a method a webhook names in its answer.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import ClientError

from lipa_testing.telegram_api.params import _STATUS_TEXT, _ApiError, _Params
from lipa_testing.telegram_api.records import (
    CONFIGURED_SECRET,
    InjectedUpdate,
    JSONDict,
    WebhookDelivery,
    _Configured,
)
from lipa_testing.telegram_api.server import _Server


class _Webhook(_Server):
    """POSTing updates to the webhook."""

    async def deliver_to_webhook(
        self,
        update: Mapping[str, Any] | InjectedUpdate,
        *,
        secret_token: str | _Configured | None = CONFIGURED_SECRET,
        url: str | None = None,
    ) -> int | None:
        """POST ``update`` as is to the webhook (or ``url``) and return the HTTP status.

        ``secret_token``: the configured secret by default, another string to send a wrong one,
        ``None`` to send no header. Returns ``None`` if the POST could not connect or timed out.
        Re-posting an injected update models Telegram's retries of the same ``update_id``.
        """
        target = url or (self.webhook.url if self.webhook else None)
        if target is None:
            raise RuntimeError("no webhook is set and no url was given")
        if secret_token is CONFIGURED_SECRET:
            secret = self.webhook.secret_token if self.webhook else None
        else:
            secret = secret_token
        body = update.update if isinstance(update, InjectedUpdate) else dict(update)
        delivery = await self._post_to_webhook(body, secret, target)
        return delivery.status

    async def _post_to_webhook(
        self, update: JSONDict, secret: str | None, url: str | None = None
    ) -> WebhookDelivery:
        if self._session is None:
            raise RuntimeError("FakeTelegram is not started")
        target = url or (self.webhook.url if self.webhook else "")
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = json.dumps(update, ensure_ascii=False).encode()
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        reply: Any = None
        try:
            async with self._session.post(target, data=body, headers=headers) as response:
                status = response.status
                answer = await response.read()
                if 200 <= status <= 299 and response.content_type == "application/json":
                    with contextlib.suppress(ValueError):
                        reply = json.loads(answer)
        except (ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        if error is not None:
            self._last_webhook_error = (int(time.time()), f"Connection failed: {error}")
        elif status is not None and not 200 <= status <= 299:
            self._last_webhook_error = (
                int(time.time()),
                f"Wrong response from the webhook: {status} {_STATUS_TEXT.get(status, '')}".strip(),
            )
        delivery = WebhookDelivery(
            update_id=int(update.get("update_id", 0)),
            url=target,
            secret_sent=secret,
            status=status,
            error=error,
            duration=time.monotonic() - started,
        )
        self.webhook_deliveries.append(delivery)
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            await self._run_webhook_reply(reply)
        self._notify()
        return delivery

    async def _run_webhook_reply(self, reply: dict[str, Any]) -> None:
        """Run the Bot API method a webhook named in its answer, as Telegram does.

        Like Telegram, nobody learns whether it worked: a failure is only counted.
        """
        params = {key: value for key, value in reply.items() if key != "method"}
        entry = self._handlers.get(str(reply["method"]).lower())
        if entry is None:
            return
        name, handler = entry
        self.requests_by_method[name] += 1
        self.webhook_reply_methods.append(name)
        with contextlib.suppress(_ApiError):
            await handler(_Params(params, {}))
