"""Where updates go: the ``getUpdates`` queue and its long polls, and the webhook's settings
(``setWebhook``, ``deleteWebhook``, ``getWebhookInfo``).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import deque
from typing import Any, Final

from lipa_testing.telegram_api.bot_account import _BotAccount
from lipa_testing.telegram_api.params import _ApiError, _Described, _Params
from lipa_testing.telegram_api.records import JSONDict, WebhookConfig

_SECRET_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")


class _Updates(_BotAccount):
    """Polling for updates, and setting and reading the webhook."""

    async def _get_updates(self, params: _Params) -> Any:
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset")
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = min(max(params.get_float("timeout") or 0.0, 0.0), self.max_poll_timeout)
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(map(str, allowed)) or None

        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()  # an older pending poll ends with 409, as on Telegram
        self._confirm(offset)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take(limit)
            if batch or self._closing or self._down is not None:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            event = self._updates_event
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                return self._take(limit)
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            if self.webhook is not None:
                return []

    def _confirm(self, offset: int | None) -> None:
        if not offset:
            return
        if offset > 0:
            while self._updates and self._updates[0][0] < offset:
                self._updates.popleft()
        else:
            while len(self._updates) > -offset:
                self._updates.popleft()

    def _is_allowed(self, update: JSONDict) -> bool:
        if self._allowed_updates is None:
            return True
        kind = next((k for k in update if k != "update_id"), "")
        return kind in self._allowed_updates

    def _take(self, limit: int) -> list[JSONDict]:
        if self._allowed_updates is not None:
            kept = [item for item in self._updates if self._is_allowed(item[1])]
            self._updates = deque(kept)
        return [update for _, update in itertools.islice(self._updates, limit)]

    async def _set_webhook(self, params: _Params) -> Any:
        url = params.get_str("url") or ""
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise _ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get_str("secret_token") or None
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get_json("allowed_updates")
        self.webhook = WebhookConfig(
            url=url,
            secret_token=secret,
            max_connections=params.get_int("max_connections") or 40,
            allowed_updates=tuple(map(str, allowed)) if isinstance(allowed, list) else None,
            ip_address=params.get_str("ip_address"),
        )
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(map(str, allowed)) or None
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._last_webhook_error = None
        self._wake_pollers()
        return _Described(True, "Webhook was set")

    async def _delete_webhook(self, params: _Params) -> Any:
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        if self.webhook is None:
            return _Described(True, "Webhook is already deleted")
        self.webhook = None
        return _Described(True, "Webhook was deleted")

    async def _get_webhook_info(self, params: _Params) -> Any:
        info: JSONDict = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.ip_address:
                info["ip_address"] = self.webhook.ip_address
            if self.webhook.allowed_updates is not None:
                info["allowed_updates"] = list(self.webhook.allowed_updates)
            if self._last_webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._last_webhook_error
        return info
