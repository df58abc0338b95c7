"""What the fake records for tests to read, and the constants tests pass to it.

`SentMessage` (a message the bot sent or edited), `AnsweredCallbackQuery`, `ChatActionRecord`,
`WebhookConfig` (the webhook as set), `WebhookDelivery` (one POST to it) and `InjectedUpdate`
(an update a "user" sent), plus the bot token tests use by default, the method sets faults
target and the sentinel for "the secret given to ``setWebhook``".
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

JSONDict = dict[str, Any]
"""A JSON object as the Bot API sends and receives it."""

DEFAULT_TOKEN: Final = "123456789:AAHfakeTOKENforLipaTests-0123456789a"
"""A token in the real format (``<bot id>:<35 characters>``); the bot's user id is 123456789."""

OUTGOING_METHODS: Final[frozenset[str]] = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "sendChatAction",
    }
)
"""Methods by which a bot talks to users: the default target of injected faults."""

RATE_LIMITED_METHODS: Final[frozenset[str]] = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument"}
)
"""Methods that count against the enforced rate limits (see `FakeTelegram.enforce_rate_limits`)."""


class _Configured(enum.Enum):
    SECRET = enum.auto()


CONFIGURED_SECRET: Final = _Configured.SECRET
"""Sentinel for `FakeTelegram.deliver_to_webhook`: send the secret given to ``setWebhook``."""


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One message the bot sent or edited, as the fake received it.

    ``text`` and ``caption`` are exactly what the bot sent (with HTML/Markdown markup, if any);
    ``plain_text`` is the text after parsing the markup, as a user would see it.
    ``reply_markup`` is the parsed JSON object (inline keyboard, reply keyboard, remove or force
    reply). ``file`` holds the uploaded bytes of a photo or document (``None`` when the bot sent a
    ``file_id`` or URL, which is then in ``file_ref``). ``received_at`` is ``time.monotonic()``.
    """

    method: str
    chat_id: int
    message_id: int
    text: str | None
    caption: str | None
    plain_text: str | None
    parse_mode: str | None
    reply_markup: JSONDict | None
    file: bytes | None
    filename: str | None
    mime_type: str | None
    file_ref: str | None
    received_at: float
    params: Mapping[str, Any]

    @property
    def body(self) -> str:
        """The text or caption as the user sees it (markup parsed), or ``""``."""
        return self.plain_text or ""

    @property
    def is_edit(self) -> bool:
        """Whether this record is an edit of an earlier message."""
        return self.method.startswith("edit")

    @property
    def inline_keyboard(self) -> list[list[JSONDict]]:
        """The rows of inline buttons, or ``[]`` when there is no inline keyboard."""
        rows = (self.reply_markup or {}).get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    @property
    def reply_keyboard(self) -> list[list[JSONDict]]:
        """The rows of reply-keyboard buttons (plain strings normalised to ``{"text": ...}``)."""
        rows = (self.reply_markup or {}).get("keyboard")
        if not isinstance(rows, list):
            return []
        return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]

    @property
    def button_texts(self) -> list[str]:
        """Texts of all buttons (inline or reply keyboard), row by row."""
        rows = self.inline_keyboard or self.reply_keyboard
        return [str(b.get("text", "")) for row in rows for b in row]

    @property
    def callback_data(self) -> list[str]:
        """``callback_data`` of all inline buttons that have one, row by row."""
        return [
            str(b["callback_data"])
            for row in self.inline_keyboard
            for b in row
            if "callback_data" in b
        ]

    @property
    def removes_keyboard(self) -> bool:
        """Whether the message carries ``ReplyKeyboardRemove``."""
        return bool((self.reply_markup or {}).get("remove_keyboard"))

    @property
    def requests_contact(self) -> bool:
        """Whether the reply keyboard has a ``request_contact`` button."""
        return any(b.get("request_contact") for row in self.reply_keyboard for b in row)


@dataclass(frozen=True, slots=True)
class AnsweredCallbackQuery:
    """An ``answerCallbackQuery`` call the fake accepted."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    received_at: float


@dataclass(frozen=True, slots=True)
class ChatActionRecord:
    """A ``sendChatAction`` call the fake accepted."""

    chat_id: int
    action: str
    received_at: float


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """The webhook as last set by ``setWebhook``."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: tuple[str, ...] | None
    ip_address: str | None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One POST of an update to the webhook: HTTP status, or ``error`` if it could not connect."""

    update_id: int
    url: str
    secret_sent: str | None
    status: int | None
    error: str | None
    duration: float


@dataclass(frozen=True, slots=True)
class InjectedUpdate:
    """An update injected by a ``user_*`` helper or `FakeTelegram.inject`.

    In polling mode it waits in the ``getUpdates`` queue and ``webhook_status`` is ``None``. With a
    webhook set it was POSTed at once: ``webhook_status`` is the receiver's HTTP status, or
    ``None`` with ``webhook_error`` set when the POST failed to connect or timed out.
    """

    update_id: int
    update: JSONDict
    webhook_status: int | None = None
    webhook_error: str | None = None

    @property
    def message(self) -> JSONDict | None:
        """The update's ``message`` object, if it carries one."""
        msg = self.update.get("message")
        return msg if isinstance(msg, dict) else None

    @property
    def callback_query_id(self) -> str | None:
        """The id of the update's callback query, if it carries one."""
        query = self.update.get("callback_query")
        return str(query["id"]) if isinstance(query, dict) else None
