"""How often, and how long apart, the client repeats a call that may succeed on a second try."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Up to ``attempts`` tries, waiting ``base_delay * 2**n`` (at most ``max_delay``) between."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 4.0
    sleep: Sleep = asyncio.sleep

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def delay(self, retry_number: int) -> float:
        """Return the wait before retry ``retry_number`` (0 for the first retry)."""
        return float(min(self.max_delay, self.base_delay * 2**retry_number))

    async def wait(self, retry_number: int) -> None:
        """Sleep before retry ``retry_number``."""
        await self.sleep(self.delay(retry_number))
