"""Sending text messages: without building the ``Message`` Telegram answers with, in turns.

``Bot.send_message`` turns every answer into a ``telegram.Message`` (with its chat, sender and
keyboard objects): about 0.2 ms of CPU a send on a small machine, a tenth of a checkout's CPU
over its six or so messages, for an object nothing here reads. The same Bot API method through
``Bot.do_api_request`` goes through the same request layer and rate limiter, raises the same
errors, and returns the answer as it came. PTB warns that the typed method is preferred; that
one warning is silenced for the call's first step alone (see :func:`_preference_unwarned`),
not for the process.
"""

from __future__ import annotations

import asyncio
import types
import warnings
import weakref
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

from telegram import Bot
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

from bot.rendering import Markup

SEND_MESSAGE = "sendMessage"
# PTB asks callers of do_api_request to prefer the typed method; here that is deliberate.
_PREFER_THE_TYPED_METHOD = r"Please use 'Bot\.sendMessage' instead of"

_T = TypeVar("_T")


@types.coroutine
def _preference_unwarned(coroutine: Coroutine[Any, Any, _T]) -> Generator[Any, Any, _T]:
    """Await ``coroutine``, PTB's "please use the typed method" warning ignored in its first step.

    PTB warns at the very start of ``do_api_request``, before its first ``await``: the filter
    is in place for that synchronous step only (no other code runs meanwhile), so no other
    warning is hidden and nothing is left behind. ``warnings.catch_warnings`` around the whole
    ``await`` would not do: other tasks would run under it, and two overlapping sends would
    each restore the filters the other had saved, leaving one in place.
    """
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=_PREFER_THE_TYPED_METHOD, category=PTBUserWarning
            )
            step = coroutine.send(None)
        while True:
            # Hand each step to the event loop and pass back what it answers: the value to
            # resume with, or the exception (a cancellation) it throws in.
            try:
                answer = yield step
            except BaseException as error:
                step = coroutine.throw(error)
            else:
                step = coroutine.send(answer)
    except StopIteration as done:
        result: _T = done.value
        return result


async def send_text(
    bot: Bot,
    chat_id: int | str,
    text: str,
    markup: Markup | None = None,
    *,
    max_wait: float | None = None,
) -> None:
    """Send ``text`` (with ``markup``, if any) to ``chat_id``; Telegram's errors propagate.

    ``max_wait``: how long the bot's rate limiter may hold the message back (see
    ``bot.pacing``); ignored by a bot without one.
    """
    api_kwargs: dict[str, object] = {"chat_id": chat_id, "text": text}
    if markup is not None:
        api_kwargs["reply_markup"] = markup
    limits = {} if max_wait is None else wait_up_to(bot, max_wait)
    await _preference_unwarned(bot.do_api_request(SEND_MESSAGE, api_kwargs=api_kwargs, **limits))


def wait_up_to(bot: Bot, seconds: float) -> dict[str, Any]:
    """Keyword arguments for a ``Bot`` send letting the bot's pacer hold it back ``seconds``.

    Empty for a bot without a rate limiter (it sends at once).
    """
    if isinstance(bot, ExtBot) and bot.rate_limiter is not None:
        return {"rate_limit_args": seconds}
    return {}


class ChatTurns:
    """One turn at a time per Telegram chat, for the replies to an update and the outbox.

    A customer's replies are sent by the update's handler while the outbox sends outcomes:
    a payment's "Paid" message, settled by a fast callback, could otherwise overtake the
    "enter your PIN" reply to the very press that started the payment. The handler holds its
    chat's turn until its replies are sent, and the outbox takes the turn before sending to
    that chat. Turns are per process (an update and the callback handled by two processes
    are not ordered; in practice the PIN prompt is seconds ahead of the callback).
    """

    def __init__(self) -> None:
        # Locks of idle chats are dropped with their last holder.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def of(self, chat_id: int) -> asyncio.Lock:
        """The lock whose holder has this chat's turn."""
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[chat_id] = lock
        return lock
