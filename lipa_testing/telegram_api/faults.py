"""Faults injected on purpose: error answers, 429 flood control, outages, blocked users, and
Telegram's rate limits enforced per chat and overall.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable
from typing import Literal

from aiohttp import web

from lipa_testing.telegram_api.params import _STATUS_TEXT, _ApiError
from lipa_testing.telegram_api.rate_limits import RateLimits, _window_wait
from lipa_testing.telegram_api.recording import _Recording
from lipa_testing.telegram_api.records import OUTGOING_METHODS
from lipa_testing.telegram_api.state import _Fault


class _Faults(_Recording):
    """Injecting faults, and checking them and the rate limits on each request."""

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        *,
        description: str | None = None,
        retry_after: int | None = None,
        methods: Iterable[str] | None = OUTGOING_METHODS,
    ) -> None:
        """Answer the next ``n`` requests to ``methods`` (``None``: every method) with an error.

        ``description`` defaults to Telegram's wording for ``status``; ``retry_after`` adds
        ``parameters.retry_after`` (PTB then raises ``RetryAfter`` whatever the status).
        """
        self._faults.append(
            _Fault(status, description, retry_after, self._method_set(methods), n, None)
        )

    def fail_for(
        self,
        seconds: float,
        status: int = 500,
        *,
        description: str | None = None,
        retry_after: int | None = None,
        methods: Iterable[str] | None = OUTGOING_METHODS,
    ) -> None:
        """Answer every request to ``methods`` with an error for the next ``seconds``."""
        self._faults.append(
            _Fault(
                status,
                description,
                retry_after,
                self._method_set(methods),
                None,
                time.monotonic() + seconds,
            )
        )

    def flood_next(
        self,
        n: int = 1,
        retry_after: int = 5,
        *,
        methods: Iterable[str] | None = OUTGOING_METHODS,
    ) -> None:
        """Answer the next ``n`` requests 429 "Too Many Requests: retry after N"."""
        self.fail_next(n, 429, retry_after=retry_after, methods=methods)

    def flood_for(
        self,
        seconds: float,
        retry_after: int | None = None,
        *,
        methods: Iterable[str] | None = OUTGOING_METHODS,
    ) -> None:
        """Answer 429 for ``seconds``; ``retry_after`` defaults to the time left, rounded up."""
        self.fail_for(seconds, 429, retry_after=retry_after, methods=methods)

    def clear_faults(self) -> None:
        """Remove every injected fault (not the down mode nor the rate limits)."""
        self._faults.clear()

    def enforce_rate_limits(self, limits: RateLimits | None = None) -> None:
        """Answer 429 when the bot exceeds ``limits`` (defaults: `RateLimits()`).

        Only accepted requests count against the windows. Each enforced 429 increments
        ``rate_limited[chat_id]`` and ``too_many_requests``.
        """
        self._rate_limits = limits if limits is not None else RateLimits()
        self._chat_windows.clear()
        self._global_window.clear()

    def disable_rate_limits(self) -> None:
        """Stop enforcing rate limits."""
        self._rate_limits = None

    def block_bot(self, user_id: int) -> None:
        """The user blocks the bot: sends to their chat get 403 "bot was blocked by the user"."""
        self._blocked.add(user_id)

    def unblock_bot(self, user_id: int) -> None:
        """The user unblocks the bot."""
        self._blocked.discard(user_id)

    @property
    def is_down(self) -> bool:
        """Whether `go_down` is in effect."""
        return self._down is not None

    async def go_down(self, mode: Literal["502", "refuse"] = "502") -> None:
        """Simulate an outage.

        ``"502"``: every request is answered 502 Bad Gateway. ``"refuse"``: stop listening and
        close open keep-alive connections, so clients get connection errors. Undo with
        `come_back`; the port stays the same.
        """
        self._down = mode
        if mode == "refuse" and self._site is not None and self._runner is not None:
            await self._site.stop()
            self._site = None
            server = self._runner.server
            if server is not None:
                for connection in server.connections:
                    connection.force_close()
            self._wake_pollers()

    async def come_back(self) -> None:
        """End the outage started by `go_down` (listening again on the same port if needed)."""
        self._down = None
        if self._site is None and self._runner is not None:
            site = web.TCPSite(self._runner, self._host, self.port)
            await site.start()
            self._site = site

    @staticmethod
    def _method_set(methods: Iterable[str] | None) -> frozenset[str] | None:
        return None if methods is None else frozenset(m.lower() for m in methods)

    def _injected_fault(self, method: str) -> _ApiError | None:
        now = time.monotonic()
        for fault in list(self._faults):
            if fault.until is not None and now >= fault.until:
                self._faults.remove(fault)
                continue
            if fault.methods is not None and method.lower() not in fault.methods:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            retry_after = fault.retry_after
            if retry_after is None and fault.status == 429:
                retry_after = max(1, math.ceil((fault.until or now + 1) - now))
            description = fault.description or _STATUS_TEXT.get(fault.status, "Error")
            if fault.description is None and retry_after is not None and fault.status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            return _ApiError(fault.status, description, retry_after)
        return None

    def _check_rate_limits(self, method: str, chat_id: int) -> None:
        limits = self._rate_limits
        if limits is None or method not in limits.methods:
            return
        now = time.monotonic()
        window = self._chat_windows.setdefault(chat_id, deque())
        per_chat = limits.per_group if chat_id < 0 else limits.per_private_chat
        wait = max(
            _window_wait(window, per_chat, now),
            _window_wait(self._global_window, limits.overall, now),
        )
        if wait > 0:
            self.rate_limited[chat_id] += 1
            retry_after = max(1, math.ceil(wait))
            raise _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        window.append(now)
        self._global_window.append(now)
