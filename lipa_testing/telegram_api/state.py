"""What one fake bot holds: its configuration and state, its addresses once started, how it
describes users, chats and itself as Bot API objects, and the wake-ups of pending long polls
and waiters.

`_State` is the bottom of `FakeTelegram`'s layers (see the package's docstring); every method
module above it reads and changes the attributes it sets up.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import ClientSession, web

from lipa_testing.telegram_api.rate_limits import RateLimits
from lipa_testing.telegram_api.records import (
    DEFAULT_TOKEN,
    AnsweredCallbackQuery,
    ChatActionRecord,
    JSONDict,
    SentMessage,
    WebhookConfig,
    WebhookDelivery,
)


@dataclass(frozen=True, slots=True)
class _UploadedFile:
    """A file the bot sent, as ``getFile`` and the download route serve it."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    mime_type: str | None


@dataclass(slots=True)
class _Fault:
    """An injected error: for the next ``remaining`` requests, or until ``until``."""

    status: int
    description: str | None
    retry_after: int | None
    methods: frozenset[str] | None
    remaining: int | None
    until: float | None


@dataclass(slots=True)
class _Waiter:
    """A pending `wait_for`/`wait_until`: ``check`` is re-run on every recorded event."""

    check: Callable[[], tuple[bool, Any]]
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _UserProfile:
    """What the fake remembers of a user, for the ``from`` and ``chat`` of updates."""

    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None


class _State:
    """The fake's configuration and state, and the Bot API objects it builds from them."""

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

    def _wake_pollers(self) -> None:
        self._updates_event.set()
        self._updates_event = asyncio.Event()

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
