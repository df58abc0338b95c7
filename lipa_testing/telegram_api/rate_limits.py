"""Telegram's rate limits as the fake enforces them: `RateLimits` and its sliding windows."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from lipa_testing.telegram_api.records import RATE_LIMITED_METHODS


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Limits enforced by `FakeTelegram.enforce_rate_limits`, each ``(messages, seconds)``.

    The defaults approximate Telegram's (undocumented) limits: 1 message per second per private
    chat, 20 per minute per group (negative chat id), 30 per second overall. A request over a
    limit is answered 429 with ``retry_after`` = seconds until a slot frees, at least 1.
    """

    per_private_chat: tuple[int, float] = (1, 1.0)
    per_group: tuple[int, float] = (20, 60.0)
    overall: tuple[int, float] = (30, 1.0)
    methods: frozenset[str] = RATE_LIMITED_METHODS


def _window_wait(window: deque[float], limit: tuple[int, float], now: float) -> float:
    """Seconds until ``window`` (send times, oldest first) admits one more under ``limit``.

    Times older than the limit's period are dropped from the window first.
    """
    count, seconds = limit
    while window and window[0] <= now - seconds:
        window.popleft()
    if len(window) < count:
        return 0.0
    return window[len(window) - count] + seconds - now
