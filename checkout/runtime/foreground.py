"""Requests someone is waiting on come first; background work gives way to them.

One process answers M-Pesa callbacks, Telegram updates and USSD screens, and also sends the
outbox's messages. Both share one event loop: a burst of callbacks settles a burst of
payments, whose receipts would then be sent by up to ``concurrency`` tasks at once, each a
request to Telegram or the SMS API and a transaction marking it sent. Every acknowledgement
would wait behind that work (measured: p99 from tens to hundreds of milliseconds), and
Daraja retries callbacks it is slow to hear back about.

:class:`Foreground` counts the requests in progress (the web server's middleware enters and
leaves it). While any is in progress, background work takes turns through a small number of
slots (:meth:`Foreground.background_turn`), so it keeps moving, never starved, but never
crowds the loop; with none in progress it runs at its own full concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Final

BUSY_SLOTS: Final = 2  # background tasks allowed to run at once while requests are in progress


class Foreground:
    """How many requests are in progress, and turns for background work meanwhile."""

    def __init__(self, *, busy_slots: int = BUSY_SLOTS) -> None:
        if busy_slots < 1:
            raise ValueError("busy_slots must be at least 1: background work must move")
        self._in_progress = 0
        self._slots = asyncio.Semaphore(busy_slots)

    @property
    def busy(self) -> bool:
        """Whether a request is in progress now."""
        return self._in_progress > 0

    def enter(self) -> None:
        """A request started."""
        self._in_progress += 1

    def leave(self) -> None:
        """A request ended (answered, refused or failed)."""
        self._in_progress -= 1

    @contextlib.asynccontextmanager
    async def background_turn(self) -> AsyncIterator[None]:
        """Hold a slot while requests are in progress; nothing when the server is idle.

        The check is made as the turn starts: work that started on an idle server finishes
        without waiting (a send half done is not interrupted).
        """
        if not self.busy:
            yield
            return
        async with self._slots:
            yield
