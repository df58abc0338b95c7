"""Parsing the Cloud API's webhook updates into the checkout's events, at the edge.

An update holds ``entry[].changes[].value`` with ``messages[]`` (what customers sent) and
``statuses[]`` (what became of what Lipa sent). Typed words stand for Telegram's commands:
"PAY WW-1042" (the wa.me deep link's text) starts that order's checkout like
``/start pay_WW-1042``, and "status", "history", "help", "plans", "orders", "cancel", "menu" and
"language" (or their Swahili words) are the commands of the same names. A word that is also
an order number (an order called "HELP") is taken as the word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from checkout.conversation.model import ButtonPressed, Command, ContactShared, Event, TextMessage

_PAY = re.compile(r"\s*/?(?:pay|lipa)\s+(\S{1,40})\s*", re.IGNORECASE)
# Typed words → the flow's command names (English and Swahili).
WORDS: Final = {
    "pay": "pay",
    "lipa": "pay",
    "status": "status",
    "hali": "status",
    "history": "history",
    "historia": "history",
    "help": "help",
    "msaada": "help",
    "plans": "plans",
    "mipango": "plans",
    "orders": "orders",
    "oda": "orders",
    "cancel": "cancel",
    "ghairi": "cancel",
    "menu": "start",
    "start": "start",
    "language": "language",
    "lugha": "language",
}


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's message: its id (for de-duplication), who sent it, and the flow's event."""

    message_id: str
    wa_id: str
    sent_at: datetime
    event: Event


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """What became of a message Lipa sent: ``sent``, ``delivered``, ``read`` or ``failed``."""

    message_id: str
    recipient: str
    status: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """Everything one webhook delivery carried."""

    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()


def parse_update(body: Any) -> Update:
    """The messages and statuses in a webhook body; parts that are not understood are skipped."""
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    for value in _values(body):
        for raw in _list(value.get("messages")):
            message = _message(raw)
            if message is not None:
                messages.append(message)
        for raw in _list(value.get("statuses")):
            status = _status(raw)
            if status is not None:
                statuses.append(status)
    return Update(tuple(messages), tuple(statuses))


def event_from_text(text: str) -> Event:
    """What typed text means: a deep link's "PAY <ref>", a command word, or an answer."""
    match = _PAY.fullmatch(text)
    if match is not None:
        return Command("start", f"pay_{match.group(1)}")
    word = text.strip().lstrip("/").lower()
    if word in WORDS:
        return Command(WORDS[word])
    return TextMessage(text)


def _values(body: Any) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = []
    if not isinstance(body, dict):
        return values
    for entry in _list(body.get("entry")):
        for change in _list(entry.get("changes")):
            value = change.get("value")
            if isinstance(value, dict):
                values.append(value)
    return values


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _message(raw: dict[str, Any]) -> InboundMessage | None:
    message_id = raw.get("id")
    sender = raw.get("from")
    if not isinstance(message_id, str) or not isinstance(sender, str) or not sender.isdigit():
        return None
    return InboundMessage(message_id, sender, _time(raw.get("timestamp")), _event(raw, sender))


def _event(raw: dict[str, Any], sender: str) -> Event:
    kind = raw.get("type")
    if kind == "text":
        body = raw.get("text")
        return event_from_text(str(body.get("body", "")) if isinstance(body, dict) else "")
    if kind == "interactive":
        interactive = raw.get("interactive")
        if isinstance(interactive, dict):
            for key in ("button_reply", "list_reply"):
                choice = interactive.get(key)
                if isinstance(choice, dict) and isinstance(choice.get("id"), str):
                    return ButtonPressed(choice["id"])
    if kind == "button":  # a quick-reply button of a template
        button = raw.get("button")
        if isinstance(button, dict) and isinstance(button.get("payload"), str):
            return ButtonPressed(button["payload"])
    if kind == "contacts":
        for contact in _list(raw.get("contacts")):
            for phone in _list(contact.get("phones")):
                number = phone.get("wa_id") or phone.get("phone")
                if isinstance(number, str) and number.strip():
                    # Own when the card's WhatsApp number is the sender's, as Telegram checks.
                    return ContactShared(number, is_own=phone.get("wa_id") == sender)
    # Anything else (a photo, a voice note, a sticker): the current question again.
    return TextMessage("")


def _status(raw: dict[str, Any]) -> StatusUpdate | None:
    message_id = raw.get("id")
    status = raw.get("status")
    recipient = raw.get("recipient_id")
    if not isinstance(message_id, str) or not isinstance(status, str):
        return None
    errors = _list(raw.get("errors"))
    error = None
    if errors:
        first = errors[0]
        error = f"{first.get('code')}: {first.get('title') or first.get('message') or ''}".strip()
    return StatusUpdate(message_id, str(recipient or ""), status, error)


def _time(raw: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)
