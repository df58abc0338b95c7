"""What the WhatsApp adapter needs from outside: its records, and a word to the staff."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

# Sent-message kinds, as recorded.
KIND_REPLY = "reply"  # an answer in the chat, sent while the customer was writing
KIND_OUTBOX = "outbox"  # an outcome or reminder from the outbox, free-form
KIND_TEMPLATE = "template"  # the same, outside the 24-hour window, as an approved template
KIND_SMS = "sms"  # the same by SMS: no template, or WhatsApp could not deliver it
OUTCOME_KINDS = frozenset({KIND_OUTBOX, KIND_TEMPLATE})


class SentMessage(Protocol):
    """A message Lipa sent on WhatsApp, as recorded."""

    @property
    def message_id(self) -> str: ...

    @property
    def wa_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...


class WhatsAppLedger(Protocol):
    """Received message ids (redeliveries, the 24-hour window) and sent messages' statuses."""

    async def first_delivery(self, message_id: str, wa_id: str, *, at: datetime) -> bool:
        """Record a received message; False when its id was recorded before."""
        ...

    async def last_inbound_at(self, wa_id: str) -> datetime | None:
        """When the customer's latest message was received, if ever."""
        ...

    async def record_sent(
        self, message_id: str, wa_id: str, *, kind: str, text: str, at: datetime
    ) -> None:
        """Record a message that was accepted for delivery."""
        ...

    async def record_status(
        self, message_id: str, status: str, *, at: datetime, error: str | None = None
    ) -> SentMessage | None:
        """Record a reported status; the message when the status is new for it."""
        ...


# Tell the staff once: (text, key); a second call with the same key says nothing new.
StaffAlert = Callable[[str, str], Awaitable[None]]
