"""A recording request object: the Bot API answered in-process, for tests of ``bot/``.

:class:`RecordingRequest` is a ``telegram.request.BaseRequest`` (python-telegram-bot's own
tests test their ``Bot`` the same way): a ``Bot`` built on it records every call and gets
canned answers, with no server and no socket. It knows what a test of one component needs
(messages sent, and Telegram's refusals: 429, a blocked bot, Telegram down) and records what
it is sent as the full fake does (:class:`lipa_testing.telegram_api.SentMessage`), so the same
assertions read either. End-to-end tests and benchmarks keep the full fake Bot API
(:mod:`lipa_testing.telegram_api`), which keeps Telegram's limits, chats and updates.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from typing import Any, Literal

from telegram import Bot
from telegram._utils.defaultvalue import DefaultValue
from telegram.request import BaseRequest, RequestData

from lipa_testing.telegram_api import DEFAULT_TOKEN, OUTGOING_METHODS, SentMessage

BOT_USER = {
    "id": int(DEFAULT_TOKEN.split(":")[0]),
    "is_bot": True,
    "first_name": "Lipa",
    "username": "lipa_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

Timeout = float | DefaultValue[float] | DefaultValue[None] | None


class RecordingRequest(BaseRequest):
    """Records each Bot API call and answers it: a message for a send, ``True`` otherwise.

    Refusals are scripted with the full fake's calls: :meth:`flood_next`, :meth:`block_bot`,
    :meth:`go_down`.
    """

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (method, parameters), in order
        self.sent: list[SentMessage] = []
        self._floods: deque[int] = deque()  # retry_after of each next send to refuse
        self._blocked: set[int] = set()
        self._down = False
        self._message_ids = itertools.count(1)

    def bot(self) -> Bot:
        """A bot whose every request (updates too) is answered here."""
        return Bot(self.token, request=self, get_updates_request=self)

    # What tests script (named as on the full fake).

    def flood_next(self, n: int = 1, retry_after: int = 5) -> None:
        """Answer the next ``n`` sends 429 "Too Many Requests: retry after N"."""
        self._floods.extend([retry_after] * n)

    def block_bot(self, user_id: int) -> None:
        """The user blocks the bot: sends to their chat get 403 "bot was blocked by the user"."""
        self._blocked.add(user_id)

    async def go_down(self, mode: Literal["502"] = "502") -> None:
        """Telegram answers every request 502 Bad Gateway."""
        self._down = True

    # What tests read.

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        """Messages sent in ``chat_id``, in order."""
        return [message for message in self.sent if message.chat_id == chat_id]

    async def wait_for_message_to(self, chat_id: int, contains: str = "") -> SentMessage:
        """The first message sent in ``chat_id`` containing ``contains`` (sent already: the
        call that sent it has returned)."""
        return next(m for m in self.sent_to(chat_id) if contains in (m.text or m.caption or ""))

    # The request object.

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = None,
        write_timeout: Timeout = None,
        connect_timeout: Timeout = None,
        pool_timeout: Timeout = None,
    ) -> tuple[int, bytes]:
        """Record the call and answer it as Telegram would."""
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        self.calls.append((api_method, params))
        if self._down:
            return 502, b"Bad Gateway"
        if api_method == "getMe":
            return _ok(BOT_USER)
        if api_method not in OUTGOING_METHODS:
            return _ok(True)
        chat_id = int(params.get("chat_id", 0))
        if self._floods:
            retry_after = self._floods.popleft()
            return _error(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        if chat_id in self._blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        return _ok(self._record(api_method, chat_id, params))

    def _record(self, api_method: str, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._message_ids)
        text, caption = params.get("text"), params.get("caption")
        markup = params.get("reply_markup")
        self.sent.append(
            SentMessage(
                method=api_method,
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                caption=caption,
                # The markup is the full fake's to parse; here what was sent is what is read.
                plain_text=text if text is not None else caption,
                parse_mode=params.get("parse_mode"),
                reply_markup=markup if isinstance(markup, dict) else None,
                file=None,
                filename=None,
                mime_type=None,
                file_ref=None,
                received_at=time.monotonic(),
                params=params,
            )
        )
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
        }
        if text is not None:
            message["text"] = text
        if caption is not None:
            message["caption"] = caption
        return message


def _ok(result: object) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}).encode()


def _error(status: int, description: str, *, retry_after: int | None = None) -> tuple[int, bytes]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, json.dumps(body).encode()
