"""A local fake of the Telegram Bot API, for tests and benchmarks.

`FakeTelegram` is a small aiohttp server that python-telegram-bot (PTB) talks to when its
``base_url`` points at it. Requests arrive as ``POST {base}/bot<TOKEN>/<method>`` with a JSON,
``application/x-www-form-urlencoded`` or ``multipart/form-data`` body (PTB's ``HTTPXRequest``
sends form data whose values are JSON-encoded strings, and multipart when it uploads files); query
string parameters are accepted too, like on the real server. Method names are case-insensitive.

Answers follow the Bot API: ``{"ok": true, "result": ...}`` with realistic objects, and
``{"ok": false, "error_code": ..., "description": ..., "parameters": {"retry_after": N}}`` for
errors. What the bot sends is recorded (`FakeTelegram.sent`), updates from "users" are injected
with helpers (``user_sends_text`` and friends) and delivered by ``getUpdates`` or POSTed to the
webhook, and faults (5xx, 429 flood control, outages, Telegram's rate limits) can be injected.

The server does no per-request sleeping: apart from ``getUpdates`` long polling (capped by
``max_poll_timeout``) every request is answered as soon as it is parsed, so benchmarks can push
thousands of requests per second through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import json
import math
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Literal, Self

from aiohttp import ClientError, ClientSession, ClientTimeout, web

__all__ = [
    "CONFIGURED_SECRET",
    "DEFAULT_TOKEN",
    "OUTGOING_METHODS",
    "RATE_LIMITED_METHODS",
    "AnsweredCallbackQuery",
    "ChatActionRecord",
    "FakeTelegram",
    "InjectedUpdate",
    "RateLimits",
    "SentMessage",
    "WebhookConfig",
    "WebhookDelivery",
]

JSONDict = dict[str, Any]

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

_SEND_METHODS: Final = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
_TOKEN_RE: Final = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{20,80}")
_SECRET_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_IN_TEXT: Final = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_MAX_TEXT: Final = 4096
_MAX_CAPTION: Final = 1024
_MAX_CALLBACK_DATA: Final = 64
_UPLOAD_LIMIT: Final = 50 * 1024 * 1024
_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_BUTTON_ACTIONS: Final = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_JSON_PARAMS: Final = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
        "commands",
        "scope",
    }
)
_STATUS_TEXT: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a content and reply markup of the current message"
)
_QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class _Configured(enum.Enum):
    SECRET = enum.auto()


CONFIGURED_SECRET: Final = _Configured.SECRET
"""Sentinel for `FakeTelegram.deliver_to_webhook`: send the secret given to ``setWebhook``."""


# --------------------------------------------------------------------------------------------
# Records and configuration


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


@dataclass(frozen=True, slots=True)
class _UploadedFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    mime_type: str | None


@dataclass(slots=True)
class _Fault:
    status: int
    description: str | None
    retry_after: int | None
    methods: frozenset[str] | None
    remaining: int | None
    until: float | None


@dataclass(slots=True)
class _Waiter:
    check: Callable[[], tuple[bool, Any]]
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _UserProfile:
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None


@dataclass(frozen=True, slots=True)
class _Described:
    """A method result that also carries the top-level ``description`` field."""

    result: Any
    description: str


class _ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


# --------------------------------------------------------------------------------------------
# Parameters


class _Params:
    """Request parameters from JSON (typed values) or form data (strings, JSON-encoded)."""

    __slots__ = ("files", "raw")

    def __init__(self, raw: dict[str, Any], files: dict[str, web.FileField]) -> None:
        self.raw = raw
        self.files = files

    def present(self, name: str) -> bool:
        value = self.raw.get(name)
        return value is not None and value != ""

    def get_str(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def get_int(self, name: str) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            raise _ApiError(400, f"Bad Request: invalid {name} specified") from None

    def get_float(self, name: str) -> float | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _ApiError(400, f"Bad Request: invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in {"true", "1", "yes"}

    def get_json(self, name: str) -> Any:
        value = self.raw.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(400, f"Bad Request: can't parse {name} JSON object") from None

    def decoded(self) -> dict[str, Any]:
        """All parameters, with the JSON-valued ones decoded (for records)."""
        out: dict[str, Any] = {}
        for key, value in self.raw.items():
            if key in _JSON_PARAMS and isinstance(value, str):
                try:
                    out[key] = json.loads(value)
                except ValueError:
                    out[key] = value
            else:
                out[key] = value
        return out


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_error(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: can't parse entities: {detail}")


# --------------------------------------------------------------------------------------------
# Formatting: enough of Telegram's HTML, MarkdownV2 and Markdown parsers to reject what the real
# server rejects in common cases (unescaped reserved characters, unsupported or unbalanced tags,
# unclosed entities) and to compute the text a user sees.

_HTML_TAG: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*?)?)\s*(/?)>")
_HTML_ENTITY: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6}));")
_HTML_NAMED: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TAGS: Final = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
        "tg-time",
    }
)
_MDV2_RESERVED: Final = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES: Final = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}


def _html_to_plain(text: str) -> str:
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "<":
            match = _HTML_TAG.match(text, i)
            offset = _byte_offset(text, i)
            if match is None:
                raise _parse_error(f'Unsupported start tag "" at byte offset {offset}')
            closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
            if closing:
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "no end tag"
                    raise _parse_error(
                        f"Unmatched end tag at byte offset {offset}, expected {expected}, "
                        f'found "</{name}>"'
                    )
                stack.pop()
            else:
                if name not in _HTML_TAGS:
                    raise _parse_error(f'Unsupported start tag "{name}" at byte offset {offset}')
                if name == "span" and "tg-spoiler" not in attrs:
                    raise _parse_error('Tag "span" must have class "tg-spoiler"')
                stack.append((name, offset))
            i = match.end()
        elif char == "&":
            entity = _HTML_ENTITY.match(text, i)
            if entity is None:
                out.append("&")
                i += 1
                continue
            named, dec, hexa = entity.groups()
            if named:
                out.append(_HTML_NAMED[named])
            else:
                code = int(dec) if dec else int(hexa, 16)
                out.append(chr(code) if 0 < code <= 0x10FFFF else "\ufffd")
            i = entity.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out)


def _find_unescaped(text: str, needle: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(needle, i):
            return i
        i += 1
    return -1


def _unescape_md(text: str) -> str:
    return re.sub(r"\\([\x01-\x7e])", r"\1", text)


def _markdown_v2_to_plain(text: str) -> str:
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        offset = _byte_offset(text, i)
        if char == "\\":
            if nxt and 1 <= ord(nxt) <= 126:
                out.append(nxt)
                i += 2
            else:
                out.append(char)
                i += 1
            continue
        if text.startswith("```", i):
            end = _find_unescaped(text, "```", i + 3)
            if end < 0:
                raise _parse_error(f"Can't find end of Pre entity at byte offset {offset}")
            body = text[i + 3 : end]
            first, sep, rest = body.partition("\n")
            if sep and first and re.fullmatch(r"[\w+#.-]+", first):
                body = rest
            out.append(_unescape_md(body))
            i = end + 3
            continue
        if char == "`":
            end = _find_unescaped(text, "`", i + 1)
            if end < 0:
                raise _parse_error(f"Can't find end of Code entity at byte offset {offset}")
            out.append(_unescape_md(text[i + 1 : end]))
            i = end + 1
            continue
        marker: str
        if char == "|" and nxt == "|":
            marker = "||"
        elif char == "_" and nxt == "_":
            marker = "__"
        elif char in "*_~":
            marker = char
        elif char == "[" or (char == "!" and nxt == "["):
            stack.append(("[", offset))
            i += 1 if char == "[" else 2
            continue
        elif char == "]" and stack and stack[-1][0] == "[":
            if nxt != "(":
                raise _parse_error(f"Can't find end of a URL at byte offset {offset}")
            close = _find_unescaped(text, ")", i + 2)
            if close < 0:
                raise _parse_error(f"Can't find end of a URL at byte offset {offset}")
            stack.pop()
            i = close + 1
            continue
        elif char == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1
            continue
        elif char in _MDV2_RESERVED:
            raise _parse_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.append(char)
            i += 1
            continue
        if stack and stack[-1][0] == marker:
            stack.pop()
        elif any(open_marker == marker for open_marker, _ in stack):
            name, at = stack[-1]
            raise _parse_error(f"Can't find end of {_MDV2_NAMES[name]} entity at byte offset {at}")
        else:
            stack.append((marker, offset))
        i += len(marker)
    if stack:
        name, at = stack[-1]
        raise _parse_error(f"Can't find end of {_MDV2_NAMES[name]} entity at byte offset {at}")
    return "".join(out)


def _markdown_to_plain(text: str) -> str:
    """Telegram's legacy ``Markdown``: ``*bold*``, ``_italic_``, code, ``[text](url)``."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            i += 2
            continue
        if char in "*_`" or char == "[":
            closer = "```" if text.startswith("```", i) else ("]" if char == "[" else char)
            end = text.find(closer, i + len(closer) if closer != "]" else i + 1)
            if end < 0:
                raise _parse_error(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            if char == "[":
                out.append(text[i + 1 : end])
                if text.startswith("(", end + 1):
                    close = text.find(")", end + 2)
                    if close < 0:
                        raise _parse_error(
                            "Can't find end of the entity starting at byte offset "
                            f"{_byte_offset(text, i)}"
                        )
                    i = close + 1
                else:
                    i = end + 1
                continue
            out.append(text[i + len(closer) : end])
            i = end + len(closer)
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _to_plain(text: str, parse_mode: str | None) -> str:
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        return _html_to_plain(text)
    if mode == "markdownv2":
        return _markdown_v2_to_plain(text)
    if mode == "markdown":
        return _markdown_to_plain(text)
    raise _ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return None


def _window_wait(window: deque[float], limit: tuple[int, float], now: float) -> float:
    count, seconds = limit
    while window and window[0] <= now - seconds:
        window.popleft()
    if len(window) < count:
        return 0.0
    return window[len(window) - count] + seconds - now


# --------------------------------------------------------------------------------------------
# The fake


class FakeTelegram:
    """A fake Telegram Bot API server for one bot.

    Use it as ``async with FakeTelegram() as fake:`` or call `start` and `stop`. Point PTB at
    `base_url` (and `base_file_url`). Only ``token`` is accepted: another well-formed token gets
    401 Unauthorized, a malformed one 404 Not Found, as on Telegram.

    Recording: `sent` (messages sent and edited, in arrival order), `answered_callback_queries`,
    `chat_actions`, `webhook_deliveries`; counters `requests_by_method`, `responses_by_status`,
    `too_many_requests` (every 429 given) and `rate_limited` (enforced 429s per chat).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "lipa_test_bot",
        bot_first_name: str = "Lipa Test",
        max_poll_timeout: float = 1.0,
        webhook_timeout: float = 10.0,
        strict_chats: bool = False,
        first_update_id: int = 100_000_001,
    ) -> None:
        """Configure the fake; nothing listens until `start`.

        ``max_poll_timeout`` caps the ``timeout`` of ``getUpdates`` long polls (seconds).
        ``webhook_timeout`` bounds each POST to the webhook. With ``strict_chats`` a send to a
        chat no injected update came from is answered 400 "chat not found", as Telegram does
        for users who never started the bot.
        """
        bot_id, sep, _ = token.partition(":")
        if not sep or not bot_id.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.bot_id = int(bot_id)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.max_poll_timeout = max_poll_timeout
        self.webhook_timeout = webhook_timeout
        self.strict_chats = strict_chats

        self.sent: list[SentMessage] = []
        self.answered_callback_queries: list[AnsweredCallbackQuery] = []
        self.chat_actions: list[ChatActionRecord] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_reply_methods: list[str] = []  # methods run from webhooks' answers
        self.requests_by_method: Counter[str] = Counter()
        self.responses_by_status: Counter[int] = Counter()
        self.rate_limited: Counter[int] = Counter()
        self.too_many_requests = 0
        self.webhook: WebhookConfig | None = None
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}

        self._host = "127.0.0.1"
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: ClientSession | None = None
        self._down: Literal["502", "refuse"] | None = None
        self._closing = False

        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(4_310_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._updates: deque[tuple[int, JSONDict]] = deque()
        self._updates_event = asyncio.Event()
        self._poll_generation = 0
        self._allowed_updates: frozenset[str] | None = None
        self._last_webhook_error: tuple[int, str] | None = None

        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._chat_messages: dict[int, list[int]] = {}
        self._reply_keyboards: dict[int, JSONDict] = {}
        self._users: dict[int, _UserProfile] = {}
        self._known_chats: set[int] = set()
        self._blocked: set[int] = set()
        self._open_queries: set[str] = set()
        self._files: dict[str, _UploadedFile] = {}
        self._files_by_path: dict[str, _UploadedFile] = {}

        self._faults: list[_Fault] = []
        self._rate_limits: RateLimits | None = None
        self._chat_windows: dict[int, deque[float]] = {}
        self._global_window: deque[float] = deque()
        self._waiters: list[_Waiter] = []

        self._handlers: dict[str, tuple[str, Callable[[_Params], Awaitable[Any]]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getFile": self._get_file,
                "close": self._close,
                "logOut": self._log_out,
            }.items()
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (port 0 picks a free one; see `port`)."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already started")
        app = web.Application(client_max_size=_UPLOAD_LIMIT)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner, self._site, self._host = runner, site, host
        self._port = int(runner.addresses[0][1])
        self._session = ClientSession(timeout=ClientTimeout(total=self.webhook_timeout))
        self._updates_event = asyncio.Event()
        self._closing = False

    async def stop(self) -> None:
        """Stop listening, end pending long polls and fail pending waiters. Idempotent."""
        self._closing = True
        self._wake_pollers()
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(RuntimeError("FakeTelegram stopped"))
        self._waiters.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the fake listens on."""
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB's ``base_url``: ``http://HOST:PORT/bot`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's ``base_file_url``: ``http://HOST:PORT/file/bot``."""
        return f"{self.url}/file/bot"

    @property
    def api_url(self) -> str:
        """The API root with the token, for raw HTTP clients: ``http://HOST:PORT/bot<TOKEN>``."""
        return f"{self.base_url}{self.token}"

    def bot_user(self) -> JSONDict:
        """The bot's ``User`` object as ``getMe`` returns it."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _bot_sender(self) -> JSONDict:
        """The bot as the ``from`` of its messages (fewer fields than ``getMe``)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def reset(self) -> None:
        """Forget everything but the configuration: records, counters, faults, rate limits,
        queued updates, messages, users, files, commands and the webhook. Ids keep increasing.
        """
        self.sent.clear()
        self.commands.clear()
        self._allowed_updates = None
        self._last_webhook_error = None
        self._users.clear()
        self._known_chats.clear()
        self._files.clear()
        self._files_by_path.clear()
        self.answered_callback_queries.clear()
        self.chat_actions.clear()
        self.webhook_deliveries.clear()
        self.webhook_reply_methods.clear()
        self.reset_counters()
        self.clear_faults()
        self._rate_limits = None
        self.webhook = None
        self._updates.clear()
        self._messages.clear()
        self._chat_messages.clear()
        self._reply_keyboards.clear()
        self._open_queries.clear()
        self._blocked.clear()

    def reset_counters(self) -> None:
        """Zero `requests_by_method`, `responses_by_status`, `too_many_requests`, `rate_limited`."""
        self.requests_by_method.clear()
        self.responses_by_status.clear()
        self.rate_limited.clear()
        self.too_many_requests = 0
        self._chat_windows.clear()
        self._global_window.clear()

    # ---------------------------------------------------------------- recording helpers

    def sent_to(self, chat_id: int, *, include_edits: bool = True) -> list[SentMessage]:
        """Messages sent (and, unless ``include_edits`` is false, edited) in ``chat_id``."""
        return [m for m in self.sent if m.chat_id == chat_id and (include_edits or not m.is_edit)]

    def texts_to(self, chat_id: int) -> list[str]:
        """What the user of ``chat_id`` read, message by message (edits included)."""
        return [m.body for m in self.sent_to(chat_id)]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current state of a message (as ``Message`` JSON), after any edits."""
        return self._messages.get((chat_id, message_id))

    def reply_keyboard(self, chat_id: int) -> JSONDict | None:
        """The reply keyboard the user of ``chat_id`` currently sees, or ``None``."""
        return self._reply_keyboards.get(chat_id)

    @property
    def pending_update_count(self) -> int:
        """Updates waiting in the ``getUpdates`` queue (not yet confirmed)."""
        return len(self._updates)

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the helper's documented interface
        *,
        start: int = 0,
    ) -> SentMessage:
        """Return the first record in ``sent[start:]`` satisfying ``predicate``, waiting for it.

        Woken by each new record (no polling). Raises `TimeoutError` listing what was sent.
        """
        position = start

        def check() -> tuple[bool, Any]:
            nonlocal position
            while position < len(self.sent):
                record = self.sent[position]
                position += 1
                if predicate(record):
                    return True, record
            return False, None

        try:
            result: SentMessage = await self._wait(check, timeout)
        except TimeoutError:
            recent = "; ".join(
                f"{m.method}→{m.chat_id}: {m.body[:60]!r}" for m in self.sent[start:][-8:]
            )
            raise TimeoutError(
                f"no sent message matched within {timeout}s; recent: {recent or 'none'}"
            ) from None
        return result

    async def wait_for_message_to(
        self,
        chat_id: int,
        contains: str = "",
        timeout: float = 5.0,  # noqa: ASYNC109 - like wait_for
        *,
        start: int = 0,
    ) -> SentMessage:
        """Wait for a message to ``chat_id`` whose visible text contains ``contains``."""
        return await self.wait_for(
            lambda m: m.chat_id == chat_id and contains in m.body, timeout, start=start
        )

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - like wait_for
    ) -> None:
        """Wait until ``condition()`` holds; it is re-checked on every recorded event."""
        await self._wait(lambda: (condition(), None), timeout)

    async def _wait(
        self,
        check: Callable[[], tuple[bool, Any]],
        timeout: float,  # noqa: ASYNC109 - applied with asyncio.timeout below
    ) -> Any:
        done, value = check()
        if done:
            return value
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(check, future)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _notify(self) -> None:
        if not self._waiters:
            return
        for waiter in list(self._waiters):
            if waiter.future.done():
                continue
            try:
                done, value = waiter.check()
            except Exception as exc:  # a failing predicate fails its waiter, not the server
                waiter.future.set_exception(exc)
                continue
            if done:
                waiter.future.set_result(value)

    # ---------------------------------------------------------------- fault injection

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

    # ---------------------------------------------------------------- HTTP handling

    def _respond(self, status: int, payload: JSONDict) -> web.Response:
        self.responses_by_status[status] += 1
        if status == 429:
            self.too_many_requests += 1
        return web.Response(
            status=status,
            body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
            content_type="application/json",
        )

    def _error(self, error: _ApiError) -> web.Response:
        payload: JSONDict = {
            "ok": False,
            "error_code": error.code,
            "description": error.description,
        }
        if error.retry_after is not None:
            payload["parameters"] = {"retry_after": error.retry_after}
        return self._respond(error.code, payload)

    def _token_error(self, token: str) -> _ApiError | None:
        if token == self.token:
            return None
        if _TOKEN_RE.fullmatch(token):
            return _ApiError(401, "Unauthorized")
        return _ApiError(404, "Not Found")

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return self._error(_ApiError(404, "Not Found"))

    async def _handle_api(self, request: web.Request) -> web.Response:
        if self._down == "502":
            return self._error(_ApiError(502, "Bad Gateway"))
        token_error = self._token_error(request.match_info["token"])
        if token_error is not None:
            return self._error(token_error)
        entry = self._handlers.get(request.match_info["method"].lower())
        if entry is None:
            self.requests_by_method[request.match_info["method"]] += 1
            return self._error(_ApiError(404, "Not Found"))
        name, handler = entry
        self.requests_by_method[name] += 1
        if self._faults:
            fault = self._injected_fault(name)
            if fault is not None:
                return self._error(fault)
        try:
            params = await self._read_params(request)
            result = await handler(params)
        except _ApiError as error:
            return self._error(error)
        if isinstance(result, _Described):
            return self._respond(
                200, {"ok": True, "result": result.result, "description": result.description}
            )
        return self._respond(200, {"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> _Params:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, web.FileField] = {}
        if request.body_exists:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _ApiError(400, "Bad Request: can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise _ApiError(400, "Bad Request: JSON request body must be an object")
                raw.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = value
                    else:
                        raw[key] = value
        return _Params(raw, files)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if self._down == "502":
            return self._error(_ApiError(502, "Bad Gateway"))
        if request.match_info["token"] != self.token:
            return self._error(_ApiError(404, "Not Found"))
        uploaded = self._files_by_path.get(request.match_info["path"])
        if uploaded is None:
            return self._error(_ApiError(404, "Not Found"))
        return web.Response(
            body=uploaded.data, content_type=uploaded.mime_type or "application/octet-stream"
        )

    # ---------------------------------------------------------------- objects

    def _user_object(self, user_id: int) -> JSONDict:
        profile = self._users.get(user_id) or _UserProfile("Amina", None, None, "en")
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": profile.first_name}
        if profile.last_name:
            user["last_name"] = profile.last_name
        if profile.username:
            user["username"] = profile.username
        if profile.language_code:
            user["language_code"] = profile.language_code
        return user

    def _chat_object(self, chat_id: int) -> JSONDict:
        if chat_id < 0:
            kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
            return {"id": chat_id, "title": f"Test group {-chat_id}", "type": kind}
        profile = self._users.get(chat_id)
        chat: JSONDict = {
            "id": chat_id,
            "first_name": profile.first_name if profile else "Amina",
            "type": "private",
        }
        if profile and profile.last_name:
            chat["last_name"] = profile.last_name
        if profile and profile.username:
            chat["username"] = profile.username
        return chat

    def _store_message(self, message: JSONDict) -> None:
        chat_id = int(message["chat"]["id"])
        message_id = int(message["message_id"])
        self._messages[(chat_id, message_id)] = message
        self._chat_messages.setdefault(chat_id, []).append(message_id)

    def _new_file_ids(self, kind: str) -> tuple[str, str]:
        n = next(self._file_ids)
        return f"{kind}-{self.bot_id}-{n:08d}-fake", f"U{n:08d}"

    # ---------------------------------------------------------------- methods

    async def _get_me(self, params: _Params) -> Any:
        return self.bot_user()

    async def _close(self, params: _Params) -> Any:
        return True

    async def _log_out(self, params: _Params) -> Any:
        return True

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

    def _wake_pollers(self) -> None:
        self._updates_event.set()
        self._updates_event = asyncio.Event()

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

    def _chat_id(self, params: _Params) -> int:
        raw = params.get_str("chat_id")
        if not raw:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except ValueError:
            raise _ApiError(400, "Bad Request: chat not found") from None
        if self.strict_chats and chat_id not in self._known_chats:
            raise _ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _reply_markup(self, params: _Params, *, inline_only: bool = False) -> JSONDict | None:
        markup = params.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _ApiError(400, "Bad Request: can't parse inline keyboard markup")
            for button in (b for row in rows for b in row):
                if not isinstance(button, dict) or not button.get("text"):
                    raise _ApiError(400, "Bad Request: can't parse inline keyboard button")
                actions = _INLINE_BUTTON_ACTIONS.intersection(button)
                if len(actions) != 1:
                    raise _ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: Text buttons are "
                        "unallowed in the inline keyboard",
                    )
                if "callback_data" in button:
                    data = str(button["callback_data"]).encode()
                    if not 1 <= len(data) <= _MAX_CALLBACK_DATA:
                        raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "url" in button and not str(button["url"]).startswith(
                    ("http://", "https://", "tg://")
                ):
                    raise _ApiError(400, "Bad Request: BUTTON_URL_INVALID")
            return markup
        if inline_only:
            raise _ApiError(400, "Bad Request: inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
            for button in (b for row in rows for b in row):
                text = button if isinstance(button, str) else (button or {}).get("text")
                if not text:
                    raise _ApiError(400, "Bad Request: keyboard button text is empty")
            return markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return markup
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")

    def _apply_reply_keyboard(self, chat_id: int, markup: JSONDict | None) -> None:
        if markup is None:
            return
        if "keyboard" in markup:
            self._reply_keyboards[chat_id] = markup
        elif markup.get("remove_keyboard"):
            self._reply_keyboards.pop(chat_id, None)

    def _formatted(
        self, text: str | None, parse_mode: str | None, *, limit: int, what: str
    ) -> str | None:
        if text is None:
            return None
        plain = _to_plain(text, parse_mode)
        if _utf16_len(plain) > limit:
            raise _ApiError(400, f"Bad Request: message {what} is too long")
        return plain

    def _bot_message(self, chat_id: int, content: JSONDict, markup: JSONDict | None) -> JSONDict:
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": self._bot_sender(),
            "chat": self._chat_object(chat_id),
            "date": int(time.time()),
            **content,
        }
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes inline keyboards only
        self._store_message(message)
        return message

    def _record(
        self,
        method: str,
        chat_id: int,
        message_id: int,
        params: _Params,
        *,
        text: str | None = None,
        caption: str | None = None,
        plain: str | None = None,
        markup: JSONDict | None = None,
        file: bytes | None = None,
        filename: str | None = None,
        mime_type: str | None = None,
        file_ref: str | None = None,
    ) -> None:
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                caption=caption,
                plain_text=plain,
                parse_mode=params.get_str("parse_mode"),
                reply_markup=markup,
                file=file,
                filename=filename,
                mime_type=mime_type,
                file_ref=file_ref,
                received_at=time.monotonic(),
                params=params.decoded(),
            )
        )
        self._notify()

    async def _send_message(self, params: _Params) -> Any:
        chat_id = self._chat_id(params)
        text = params.get_str("text")
        if not text or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        plain = self._formatted(text, params.get_str("parse_mode"), limit=_MAX_TEXT, what="text")
        if not plain or not plain.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        markup = self._reply_markup(params)
        self._check_rate_limits("sendMessage", chat_id)
        message = self._bot_message(chat_id, {"text": plain}, markup)
        self._apply_reply_keyboard(chat_id, markup)
        self._record(
            "sendMessage", chat_id, message["message_id"], params, text=text, plain=plain,
            markup=markup,
        )  # fmt: skip
        return message

    async def _upload(
        self, params: _Params, field_name: str
    ) -> tuple[bytes | None, str | None, str | None, str | None]:
        """Return (bytes, filename, mime type, file_ref) of the file sent as ``field_name``."""
        upload = params.files.get(field_name)
        ref = params.get_str(field_name)
        if upload is None and ref and ref.startswith("attach://"):
            upload = params.files.get(ref.removeprefix("attach://"))
        if upload is not None:
            return upload.file.read(), upload.filename, upload.content_type, None
        if not ref:
            raise _ApiError(400, f"Bad Request: there is no {field_name} in the request")
        known = self._files.get(ref)
        if known is not None:
            return known.data, None, known.mime_type, ref
        if not ref.startswith(("http://", "https://")):
            raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return None, None, None, ref

    def _store_file(
        self,
        data: bytes | None,
        kind: str,
        mime: str | None,
        filename: str | None,
        ref: str | None,
    ) -> _UploadedFile:
        """Store an upload (a resent ``file_id`` keeps its identity, as on Telegram)."""
        if ref is not None and ref in self._files:
            return self._files[ref]
        file_id, unique = self._new_file_ids(kind)
        extension = "jpg" if kind == "photo" else "bin"
        if kind != "photo" and filename and "." in filename:
            extension = filename.rsplit(".", 1)[1]
        stored = _UploadedFile(
            file_id, unique, data or b"", f"{kind}s/file_{unique}.{extension}", mime
        )
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _caption(self, params: _Params) -> tuple[str | None, str | None]:
        caption = params.get_str("caption") or None
        plain = self._formatted(
            caption, params.get_str("parse_mode"), limit=_MAX_CAPTION, what="caption"
        )
        return caption, plain

    async def _send_photo(self, params: _Params) -> Any:
        chat_id = self._chat_id(params)
        data, filename, mime, ref = await self._upload(params, "photo")
        caption, plain = self._caption(params)
        markup = self._reply_markup(params)
        self._check_rate_limits("sendPhoto", chat_id)
        stored = self._store_file(data, "photo", mime or "image/jpeg", filename, ref)
        width, height = _png_size(data or b"") or (800, 600)
        content: JSONDict = {
            "photo": [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(stored.data),
                }
            ]
        }
        if plain is not None:
            content["caption"] = plain
        message = self._bot_message(chat_id, content, markup)
        self._apply_reply_keyboard(chat_id, markup)
        self._record(
            "sendPhoto", chat_id, message["message_id"], params, caption=caption, plain=plain,
            markup=markup, file=data, filename=filename, mime_type=mime, file_ref=ref,
        )  # fmt: skip
        return message

    async def _send_document(self, params: _Params) -> Any:
        chat_id = self._chat_id(params)
        data, filename, mime, ref = await self._upload(params, "document")
        caption, plain = self._caption(params)
        markup = self._reply_markup(params)
        self._check_rate_limits("sendDocument", chat_id)
        stored = self._store_file(
            data, "document", mime or "application/octet-stream", filename, ref
        )
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "mime_type": stored.mime_type,
        }
        if filename:
            document["file_name"] = filename
        content: JSONDict = {"document": document}
        if plain is not None:
            content["caption"] = plain
        message = self._bot_message(chat_id, content, markup)
        self._apply_reply_keyboard(chat_id, markup)
        self._record(
            "sendDocument", chat_id, message["message_id"], params, caption=caption, plain=plain,
            markup=markup, file=data, filename=filename, mime_type=mime, file_ref=ref,
        )  # fmt: skip
        return message

    def _editable(self, params: _Params) -> tuple[int, int, JSONDict] | None:
        """The message an edit targets; ``None`` for inline messages (``inline_message_id``)."""
        if params.present("inline_message_id"):
            return None
        chat_id = self._chat_id(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return chat_id, message_id, message

    async def _edit_message_text(self, params: _Params) -> Any:
        text = params.get_str("text")
        if not text or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        plain = self._formatted(text, params.get_str("parse_mode"), limit=_MAX_TEXT, what="text")
        markup = self._reply_markup(params, inline_only=True)
        target = self._editable(params)
        if target is None:
            return True
        chat_id, message_id, message = target
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        if message["text"] == plain and message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        updated = self._edited(chat_id, message_id, {**message, "text": plain}, markup)
        self._record(
            "editMessageText", chat_id, message_id, params, text=text, plain=plain, markup=markup
        )
        return updated

    def _edited(
        self, chat_id: int, message_id: int, message: dict[str, Any], markup: Any
    ) -> dict[str, Any]:
        """Store ``message`` as edited now, carrying ``markup`` (None: no keyboard)."""
        updated = {**message, "edit_date": int(time.time())}
        if markup is None:
            updated.pop("reply_markup", None)
        else:
            updated["reply_markup"] = markup
        self._messages[(chat_id, message_id)] = updated
        return updated

    async def _edit_message_reply_markup(self, params: _Params) -> Any:
        markup = self._reply_markup(params, inline_only=True)
        target = self._editable(params)
        if target is None:
            return True
        chat_id, message_id, message = target
        if message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        updated = self._edited(chat_id, message_id, message, markup)
        self._record(
            "editMessageReplyMarkup", chat_id, message_id, params,
            plain=updated.get("text") or updated.get("caption"), markup=markup,
        )  # fmt: skip
        return updated

    async def _answer_callback_query(self, params: _Params) -> Any:
        query_id = params.get_str("callback_query_id")
        if not query_id or query_id not in self._open_queries:
            raise _ApiError(400, _QUERY_INVALID)
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        self.answered_callback_queries.append(
            AnsweredCallbackQuery(
                callback_query_id=query_id,
                text=text,
                show_alert=params.get_bool("show_alert"),
                url=params.get_str("url"),
                cache_time=params.get_int("cache_time") or 0,
                received_at=time.monotonic(),
            )
        )
        self._notify()
        return True

    async def _send_chat_action(self, params: _Params) -> Any:
        chat_id = self._chat_id(params)
        action = params.get_str("action")
        if action not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append(ChatActionRecord(chat_id, action, time.monotonic()))
        self._notify()
        return True

    @staticmethod
    def _commands_key(params: _Params) -> tuple[str, str]:
        scope = params.get_json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get_str("language_code") or ""

    async def _set_my_commands(self, params: _Params) -> Any:
        commands = params.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: command description is empty")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, params: _Params) -> Any:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: _Params) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _get_file(self, params: _Params) -> Any:
        stored = self._files.get(params.get_str("file_id") or "")
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ---------------------------------------------------------------- injecting updates

    def _remember_user(
        self,
        user_id: int,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> JSONDict:
        known = self._users.get(user_id)
        profile = _UserProfile(
            first_name=first_name or (known.first_name if known else "Amina"),
            last_name=last_name if last_name is not None else (known.last_name if known else None),
            username=username if username is not None else (known.username if known else None),
            language_code=language_code
            if language_code is not None
            else (known.language_code if known else "en"),
        )
        self._users[user_id] = profile
        return self._user_object(user_id)

    def _user_message(self, user: JSONDict, chat_id: int | None, content: JSONDict) -> JSONDict:
        chat = chat_id if chat_id is not None else int(user["id"])
        self._known_chats.add(chat)
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": self._chat_object(chat),
            "date": int(time.time()),
            **content,
        }
        self._store_message(message)
        return message

    async def inject(self, update: Mapping[str, Any]) -> InjectedUpdate:
        """Assign the next ``update_id`` to ``update`` and deliver it.

        Polling mode: queue it for ``getUpdates`` and wake a pending long poll. Webhook mode:
        POST it to the webhook (with the secret header if one was set) and report the status;
        a failed delivery is recorded (``getWebhookInfo.last_error_message``) but not retried
        nor queued: re-post it with `deliver_to_webhook` to model Telegram's retries. Updates
        of types outside ``allowed_updates`` are dropped, as Telegram does.
        """
        update_id = next(self._update_ids)
        full: JSONDict = {"update_id": update_id, **update}
        if self.webhook is not None:
            if not self._is_allowed(full):
                return InjectedUpdate(update_id, full)
            delivery = await self._post_to_webhook(full, self.webhook.secret_token)
            return InjectedUpdate(update_id, full, delivery.status, delivery.error)
        self._updates.append((update_id, full))
        self._wake_pollers()
        return InjectedUpdate(update_id, full)

    async def user_sends_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> InjectedUpdate:
        """The user sends ``text`` (in their private chat unless ``chat_id`` is given).

        ``/commands`` in the text get ``bot_command`` entities, as Telegram adds them. The
        user's profile (names, username, language) is remembered for later updates.
        """
        user = self._remember_user(user_id, first_name, last_name, username, language_code)
        content: JSONDict = {"text": text}
        entities = [
            {
                "type": "bot_command",
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group()),
            }
            for match in _BOT_COMMAND_IN_TEXT.finditer(text)
        ]
        if entities:
            content["entities"] = entities
        chat = chat_id if chat_id is not None else user_id
        keyboard = self._reply_keyboards.get(chat)
        if keyboard is not None and keyboard.get("one_time_keyboard"):
            texts = {
                b if isinstance(b, str) else b.get("text") for r in keyboard["keyboard"] for b in r
            }
            if text in texts:  # the user pressed one of its buttons: Telegram hides it
                self._reply_keyboards.pop(chat, None)
        return await self.inject({"message": self._user_message(user, chat_id, content)})

    async def user_sends_command(
        self,
        user_id: int,
        command: str,
        payload: str | None = None,
        *,
        chat_id: int | None = None,
        mention_bot: bool = False,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> InjectedUpdate:
        """The user sends ``/command [payload]``, e.g. ``("start", "pay_WW-1042")`` for a deep
        link. ``mention_bot`` writes ``/command@bot_username`` as in groups.
        """
        text = "/" + command.removeprefix("/")
        if mention_bot:
            text += f"@{self.bot_username}"
        if payload:
            text += f" {payload}"
        return await self.user_sends_text(
            user_id,
            text,
            chat_id=chat_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )

    async def user_shares_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        contact_user_id: int | None = None,
        omit_contact_user_id: bool = False,
        chat_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> InjectedUpdate:
        """The user shares a contact, as a ``request_contact`` button does.

        ``contact.user_id`` is ``contact_user_id`` (default: the sender, i.e. their own number);
        ``omit_contact_user_id`` leaves it out, as for a contact not on Telegram. The number is
        passed through unchanged (Telegram clients send it with or without ``+``). A one-time
        reply keyboard is hidden afterwards.
        """
        user = self._remember_user(user_id, first_name, last_name, None, None)
        contact: JSONDict = {"phone_number": phone_number, "first_name": user["first_name"]}
        if "last_name" in user:
            contact["last_name"] = user["last_name"]
        if not omit_contact_user_id:
            contact["user_id"] = contact_user_id if contact_user_id is not None else user_id
        chat = chat_id if chat_id is not None else user_id
        keyboard = self._reply_keyboards.get(chat)
        if keyboard is not None and keyboard.get("one_time_keyboard"):
            self._reply_keyboards.pop(chat, None)
        return await self.inject(
            {"message": self._user_message(user, chat_id, {"contact": contact})}
        )

    async def user_presses_button(
        self,
        user_id: int,
        callback_data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        first_name: str | None = None,
    ) -> InjectedUpdate:
        """The user presses an inline button: a ``callback_query`` carrying its message.

        Without ``message_id`` the latest bot message in the chat offering a button with this
        ``callback_data`` is used, and `LookupError` is raised when there is none (the bot did
        not offer it). With ``message_id`` that message is used even if its keyboard has no such
        button (a stale or forged press); an unknown id gets a minimal bot message.
        """
        user = self._remember_user(user_id, first_name, None, None, None)
        chat = chat_id if chat_id is not None else user_id
        message: JSONDict | None
        if message_id is None:
            message = self._find_button_message(chat, callback_data)
            if message is None:
                raise LookupError(
                    f"no bot message in chat {chat} offers a button with "
                    f"callback_data={callback_data!r}"
                )
        else:
            message = self._messages.get((chat, message_id))
            if message is None:
                message = {
                    "message_id": message_id,
                    "from": self._bot_sender(),
                    "chat": self._chat_object(chat),
                    "date": int(time.time()),
                    "text": "…",
                }
                self._store_message(message)
        query_id = str(next(self._callback_ids))
        self._open_queries.add(query_id)
        query: JSONDict = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(-((chat * 2_654_435_761) % 10**19)),
            "data": callback_data,
        }
        return await self.inject({"callback_query": query})

    def _find_button_message(self, chat_id: int, callback_data: str) -> JSONDict | None:
        for message_id in reversed(self._chat_messages.get(chat_id, [])):
            message = self._messages.get((chat_id, message_id))
            if message is None or message.get("from", {}).get("id") != self.bot_id:
                continue
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            if any(b.get("callback_data") == callback_data for row in rows for b in row):
                return message
        return None

    # ---------------------------------------------------------------- webhook delivery

    async def deliver_to_webhook(
        self,
        update: Mapping[str, Any] | InjectedUpdate,
        *,
        secret_token: str | _Configured | None = CONFIGURED_SECRET,
        url: str | None = None,
    ) -> int | None:
        """POST ``update`` as is to the webhook (or ``url``) and return the HTTP status.

        ``secret_token``: the configured secret by default, another string to send a wrong one,
        ``None`` to send no header. Returns ``None`` if the POST could not connect or timed out.
        Re-posting an injected update models Telegram's retries of the same ``update_id``.
        """
        target = url or (self.webhook.url if self.webhook else None)
        if target is None:
            raise RuntimeError("no webhook is set and no url was given")
        if secret_token is CONFIGURED_SECRET:
            secret = self.webhook.secret_token if self.webhook else None
        else:
            secret = secret_token
        body = update.update if isinstance(update, InjectedUpdate) else dict(update)
        delivery = await self._post_to_webhook(body, secret, target)
        return delivery.status

    async def _post_to_webhook(
        self, update: JSONDict, secret: str | None, url: str | None = None
    ) -> WebhookDelivery:
        if self._session is None:
            raise RuntimeError("FakeTelegram is not started")
        target = url or (self.webhook.url if self.webhook else "")
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = json.dumps(update, ensure_ascii=False).encode()
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        reply: Any = None
        try:
            async with self._session.post(target, data=body, headers=headers) as response:
                status = response.status
                answer = await response.read()
                if 200 <= status <= 299 and response.content_type == "application/json":
                    with contextlib.suppress(ValueError):
                        reply = json.loads(answer)
        except (ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        if error is not None:
            self._last_webhook_error = (int(time.time()), f"Connection failed: {error}")
        elif status is not None and not 200 <= status <= 299:
            self._last_webhook_error = (
                int(time.time()),
                f"Wrong response from the webhook: {status} {_STATUS_TEXT.get(status, '')}".strip(),
            )
        delivery = WebhookDelivery(
            update_id=int(update.get("update_id", 0)),
            url=target,
            secret_sent=secret,
            status=status,
            error=error,
            duration=time.monotonic() - started,
        )
        self.webhook_deliveries.append(delivery)
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            await self._run_webhook_reply(reply)
        self._notify()
        return delivery

    async def _run_webhook_reply(self, reply: dict[str, Any]) -> None:
        """Run the Bot API method a webhook named in its answer, as Telegram does.

        Like Telegram, nobody learns whether it worked: a failure is only counted.
        """
        params = {key: value for key, value in reply.items() if key != "method"}
        entry = self._handlers.get(str(reply["method"]).lower())
        if entry is None:
            return
        name, handler = entry
        self.requests_by_method[name] += 1
        self.webhook_reply_methods.append(name)
        with contextlib.suppress(_ApiError):
            await handler(_Params(params, {}))
