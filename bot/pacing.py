"""Pacing sends within Telegram's flood limits: per chat, per group and for the whole bot.

Telegram answers 429 ("retry after N") to a bot that sends more than about one message a
second to a private chat, 20 a minute to a group, or 30 a second in all. :class:`ChatPacer`
is python-telegram-bot's rate limiter for every Bot API call of this process: it holds each
send back until its chat (and the bot) is inside those limits, remembers a chat's
``retry_after`` when Telegram answers 429 anyway (another process sent to the chat, or
Telegram counted differently) and holds that chat's sends back until then.

A send is never held back longer than its bound (``max_wait``, or the ``rate_limit_args`` of
the call): when the chat is not free by then it fails at once with :class:`RetryAfter`, the
time its chat is free again, without asking Telegram, and the caller decides (the reply
sender hands the message to the outbox; the outbox retries it then).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.notifier import retry_after_seconds

# Telegram's limits, as (messages, seconds) in any window of that length.
PRIVATE_CHAT_LIMIT = (1, 1.0)
GROUP_LIMIT = (20, 60.0)
OVERALL_PER_SECOND = 30
# How long a send may be held back for its chat by default (the outbox's sends).
MAX_WAIT_SECONDS = 5.0
# Methods that put a message into a chat count against its limits; reads (getChat) do not.
_PACED_PREFIXES = ("send", "edit", "copy", "forward")
_UNPACED = frozenset({"sendChatAction"})
# How often to look again when only sends still waiting for Telegram fill the bot's window.
_IN_FLIGHT_POLL_SECONDS = 0.02
# Idle chats are forgotten once this many are remembered.
_PRUNE_AT = 1024

Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


def _window_wait(
    sent: deque[float], limit: tuple[int, float], now: float, in_flight: int = 0
) -> float:
    """Seconds until one more send fits ``limit`` (0 if it fits now), forgetting old sends.

    ``sent`` holds when Telegram answered each recent send (it counted it before that), and
    ``in_flight`` sends not answered yet each hold a place too.
    """
    count, seconds = limit
    while sent and sent[0] <= now - seconds:
        sent.popleft()
    occupied = len(sent) + in_flight
    if occupied < count:
        return 0.0
    expiring = occupied - count  # the oldest sends that must leave the window first
    if expiring >= len(sent):
        return _IN_FLIGHT_POLL_SECONDS  # only sends still waiting for Telegram hold it
    return sent[expiring] + seconds - now


@dataclass(slots=True)
class _Chat:
    """What the pacer knows of one chat: its recent sends and Telegram's last 429."""

    sent: deque[float] = field(default_factory=deque)
    flooded_until: float = 0.0
    # One send at a time per chat, held until Telegram answered: the next send is timed
    # from that answer, so sends never reach Telegram closer together than the limit.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ChatPacer(BaseRateLimiter[float]):
    """python-telegram-bot rate limiter keeping each chat, and the bot, within Telegram's limits.

    ``rate_limit_args`` of a call (a number of seconds) overrides ``max_wait`` for that call.
    """

    def __init__(
        self,
        *,
        private_chat: tuple[int, float] = PRIVATE_CHAT_LIMIT,
        group: tuple[int, float] = GROUP_LIMIT,
        overall_per_second: int = OVERALL_PER_SECOND,
        max_wait: float = MAX_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._private = private_chat
        self._group = group
        self._overall = (overall_per_second, 1.0)
        self._max_wait = max_wait
        self._clock = clock
        self._chats: dict[int | str, _Chat] = {}
        self._all_sent: deque[float] = deque()
        self._all_in_flight = 0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: float | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send once the chat and the bot are free; raise RetryAfter if not within the bound."""
        chat_id = _chat_of(data)
        if chat_id is None or not _paced(endpoint):
            return await callback(*args, **kwargs)
        max_wait = self._max_wait if rate_limit_args is None else float(rate_limit_args)
        deadline = self._clock() + max_wait
        chat = self._chat(chat_id)
        try:
            async with asyncio.timeout(max_wait):
                await chat.lock.acquire()
        except TimeoutError:
            # Other sends to this chat are queued ahead: it is not free within the bound.
            seconds = max(self._free_in(chat, chat_id), 1.0)
            raise RetryAfter(timedelta(seconds=seconds)) from None
        try:
            await self._wait_for_turn(chat, chat_id, deadline)
            # Counted from Telegram's answer: Telegram counted the send before it answered,
            # so the next one cannot reach it sooner than the limit allows.
            self._all_in_flight += 1
            counted = True
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                counted = False  # refused sends do not count against the limits
                chat.flooded_until = self._clock() + retry_after_seconds(error)
                raise
            finally:
                # Any other failure may still have been counted by Telegram: count it.
                self._all_in_flight -= 1
                if counted:
                    now = self._clock()
                    chat.sent.append(now)
                    self._all_sent.append(now)
        finally:
            chat.lock.release()

    async def _wait_for_turn(self, chat: _Chat, chat_id: int | str, deadline: float) -> None:
        """Sleep until the chat, then the bot, may send; RetryAfter if that passes ``deadline``."""
        wait = self._free_in(chat, chat_id)
        now = self._clock()
        if now + wait > deadline:
            raise RetryAfter(timedelta(seconds=wait))
        if wait > 0:
            await asyncio.sleep(wait)
        while True:
            now = self._clock()
            wait = _window_wait(self._all_sent, self._overall, now, self._all_in_flight)
            if wait <= 0:
                return
            if now + wait > deadline:
                raise RetryAfter(timedelta(seconds=wait))
            await asyncio.sleep(wait)

    def _free_in(self, chat: _Chat, chat_id: int | str) -> float:
        """Seconds until the chat may receive one more message."""
        now = self._clock()
        limit = self._group if _is_group(chat_id) else self._private
        return max(_window_wait(chat.sent, limit, now), chat.flooded_until - now, 0.0)

    def _chat(self, chat_id: int | str) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= _PRUNE_AT:
                self._forget_idle()
            chat = self._chats[chat_id] = _Chat()
        return chat

    def _forget_idle(self) -> None:
        """Drop chats nobody is sending to whose limits no longer hold anything back."""
        for chat_id, chat in list(self._chats.items()):
            if not chat.lock.locked() and self._free_in(chat, chat_id) == 0.0:
                with contextlib.suppress(KeyError):
                    del self._chats[chat_id]


def _chat_of(data: dict[str, Any]) -> int | str | None:
    """The request's chat: an id (negative for groups) or a channel's ``@name``."""
    chat_id = data.get("chat_id")
    if chat_id is None:
        return None
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)


def _is_group(chat_id: int | str) -> bool:
    return isinstance(chat_id, str) or chat_id < 0


def _paced(endpoint: str) -> bool:
    return endpoint.startswith(_PACED_PREFIXES) and endpoint not in _UNPACED
