"""One turn at a time per WhatsApp chat, for the replies to a message and the outbox.

As in Telegram: a payment's "Paid" message, settled by a fast callback, must not overtake
the "enter your PIN" reply to the very press that started the payment. Per process.
"""

from __future__ import annotations

import asyncio
import weakref


class ChatTurns:
    """The lock whose holder has a chat's turn, per wa_id; idle chats' locks are dropped."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def of(self, wa_id: str) -> asyncio.Lock:
        """The chat's lock."""
        lock = self._locks.get(wa_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[wa_id] = lock
        return lock
