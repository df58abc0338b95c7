"""Live status: waking the pages that follow an order when one of its payments settles.

Settling a payment queues the customer's message in the outbox, as for every channel; for the
web the message's "chat" is the order reference and delivering it wakes this process's
pages following that order. Pages also re-read the database every half second, so a payment
settled in another process is shown as soon.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from checkout.domain.records import Channel


class PaymentWatch:
    """Pages waiting for news of an order, woken by :meth:`notify`."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}

    def notify(self, reference: str) -> None:
        """Wake every page following ``reference``."""
        for event in self._waiting.get(reference, ()):
            event.set()

    async def wait(self, reference: str, seconds: float) -> None:
        """Return when ``reference`` is notified, or after ``seconds``."""
        event = asyncio.Event()
        waiting = self._waiting.setdefault(reference, set())
        waiting.add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
        finally:
            waiting.discard(event)
            if not waiting:
                self._waiting.pop(reference, None)


class WebNotices:
    """The outbox's sender for the web channel: the page reads the outcome; wake it."""

    def __init__(self, watch: PaymentWatch) -> None:
        self._watch = watch

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Wake the pages of the order ``chat_key`` (the message itself is on the page)."""
        self._watch.notify(chat_key)
