"""Delivering outbox messages to Telegram chats, mapping Telegram's errors to retry decisions."""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.rendering import render
from bot.sending import ChatTurns, send_text
from checkout.domain.records import Channel
from checkout.domain.replies import Reply, reply_from_payload
from checkout.outbox.ports import DeliveryFailed

log = logging.getLogger(__name__)


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's ``retry_after`` in seconds (PTB gives an int or a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns that the int form is deprecated
        value: Any = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


# How long an outbox message waits for an update of its chat to send its replies first.
TURN_WAIT_SECONDS = 10.0


class TelegramSender:
    """Implements ``checkout.outbox.ports.MessageSender`` for the Telegram channel."""

    def __init__(
        self,
        bot: Bot,
        turns: ChatTurns | None = None,
        *,
        turn_wait_seconds: float = TURN_WAIT_SECONDS,
    ) -> None:
        """``turns``: shared with the update handlers, so replies are not overtaken.

        A message waits at most ``turn_wait_seconds`` for its chat's turn.
        """
        self._bot = bot
        self._turns = turns or ChatTurns()
        self._turn_wait = turn_wait_seconds

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Send the payload's messages to the chat; raise DeliveryFailed when Telegram refuses."""
        try:
            chat_id = int(chat_key)
        except ValueError:
            raise DeliveryFailed(
                f"not a Telegram chat id: {chat_key!r}", retry_after=None
            ) from None
        turn = self._turns.of(chat_id)
        try:
            await asyncio.wait_for(turn.acquire(), self._turn_wait)
        except TimeoutError:
            # An update of this chat is taking long (a hanging Daraja push): send anyway,
            # well inside the message's lease, rather than risk it being claimed twice.
            log.info("chat %s busy for %ss; sending without its turn", chat_id, self._turn_wait)
            await self._send_all(chat_id, payload)
            return
        try:
            await self._send_all(chat_id, payload)
        finally:
            turn.release()

    async def _send_all(self, chat_id: int, payload: dict[str, Any]) -> None:
        await send_reply(self._bot, chat_id, reply_from_payload(payload))


async def send_reply(
    bot: Bot, chat_id: int, reply: Reply, *, max_wait: float | None = None
) -> None:
    """Send one reply as its one message; raise DeliveryFailed when Telegram refuses it.

    ``max_wait`` bounds how long the bot's pacer may hold the message back for its chat
    (the pacer's own bound when None); past it the message fails as a 429 would.
    """
    message = render(reply)
    try:
        await send_text(bot, chat_id, message.text, message.markup, max_wait=max_wait)
    except TelegramError as error:
        raise delivery_failure(error) from error


def delivery_failure(error: TelegramError) -> DeliveryFailed:
    """What Telegram's error means for a retry: when to try again, or never (None)."""
    if isinstance(error, RetryAfter):
        return DeliveryFailed("429 from Telegram", retry_after=retry_after_seconds(error))
    if isinstance(error, Forbidden):
        # The customer blocked the bot or left: retrying cannot help.
        return DeliveryFailed(f"forbidden: {error.message}", retry_after=None)
    if isinstance(error, BadRequest):
        return DeliveryFailed(f"bad request: {error.message}", retry_after=None)
    if isinstance(error, NetworkError):  # includes TimedOut
        return DeliveryFailed(f"network: {error.message}", retry_after=0.0)
    return DeliveryFailed(f"telegram: {error.message}", retry_after=0.0)
