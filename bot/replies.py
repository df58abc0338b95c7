"""Sending the replies to an update so that none is lost, whatever Telegram's flood limits say.

The replies go out in order, each as one message, paced by the bot's :class:`bot.pacing.
ChatPacer`. A reply Telegram answers 429 is sent again once its ``retry_after`` has passed,
as long as that is within the update's bound (``max_wait``); a reply that cannot go out
within the bound, and every reply after it, is handed to the outbox, which delivers it when
the chat is free again (honouring Telegram's ``retry_after``), in order, exactly as it
delivers payment outcomes. Only a reply Telegram refuses for good (the customer blocked the
bot, a malformed message) is dropped, as the outbox would drop it.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable, Sequence

from telegram import Bot

from bot.notifier import TURN_WAIT_SECONDS, send_reply
from bot.rendering import combine
from checkout.domain.records import Channel
from checkout.domain.replies import Reply, reply_to_payload
from checkout.domain.time import Clock
from checkout.outbox.ports import DeliveryFailed
from checkout.payments.unit import UnitOfWorkFactory

log = logging.getLogger(__name__)

# An update's replies wait at most this long for Telegram, in all. It is shorter than the
# outbox's wait for the chat's turn, so no outbox message overtakes a reply still waiting.
REPLY_WAIT_SECONDS = min(8.0, TURN_WAIT_SECONDS - 2.0)
# Network failures (Telegram unreachable) are tried this many times before the outbox takes over.
NETWORK_ATTEMPTS = 3
_NETWORK_BACKOFF_SECONDS = 0.5


class _Outcome(enum.Enum):
    SENT = "sent"
    REFUSED = "refused"  # Telegram will never take it (blocked, bad request)
    LATER = "later"  # not within the bound: the outbox takes it


class ReplySender:
    """Sends an update's replies to its chat; what cannot go out now goes to the outbox."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        *,
        clock: Clock,
        max_wait: float = REPLY_WAIT_SECONDS,
        network_attempts: int = NETWORK_ATTEMPTS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``units`` write the outbox; ``clock`` stamps its messages (timezone-aware)."""
        self._units = units
        self._clock = clock
        self._max_wait = max_wait
        self._network_attempts = network_attempts
        self._monotonic = monotonic

    async def send(self, bot: Bot, chat_id: int, replies: Sequence[Reply]) -> int:
        """Send the replies in order (a plain reply joined to the next); return how many
        messages went out now. The rest, if any, are in the outbox when this returns."""
        messages = combine(replies)
        deadline = self._monotonic() + self._max_wait
        sent = 0
        for index, reply in enumerate(messages):
            outcome = await self._send_one(bot, chat_id, reply, deadline)
            if outcome is _Outcome.LATER:
                await self._hand_over(chat_id, messages[index:])
                break
            sent += outcome is _Outcome.SENT
        return sent

    async def _send_one(self, bot: Bot, chat_id: int, reply: Reply, deadline: float) -> _Outcome:
        failures = 0
        while True:
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                return _Outcome.LATER
            try:
                # The pacer holds the message back for its chat at most ``remaining``.
                await send_reply(bot, chat_id, reply, max_wait=remaining)
            except DeliveryFailed as failure:
                if failure.retry_after is None:
                    log.warning("reply to chat %s refused by Telegram: %s", chat_id, failure)
                    return _Outcome.REFUSED
                failures += 1
                if failure.retry_after > 0:
                    # A 429: the pacer now holds the chat until Telegram's retry_after, so
                    # sending again waits for it, if it falls within the bound.
                    if failure.retry_after >= deadline - self._monotonic():
                        return _Outcome.LATER
                    continue
                if failures >= self._network_attempts:
                    return _Outcome.LATER
                await asyncio.sleep(min(_NETWORK_BACKOFF_SECONDS * failures, remaining))
                continue
            return _Outcome.SENT

    async def _hand_over(self, chat_id: int, replies: Sequence[Reply]) -> None:
        """Queue the replies in the outbox, in order, for the chat's next free moment."""
        now = self._clock()
        try:
            async with self._units() as unit:
                for reply in replies:
                    await unit.outbox.add(
                        channel=Channel.TELEGRAM,
                        chat_key=str(chat_id),
                        payload=reply_to_payload(reply),
                        now=now,
                    )
                await unit.commit()
        except Exception:
            # The database is away too: nothing more can be done for these replies.
            log.exception(
                "could not hand %d replies to chat %s to the outbox", len(replies), chat_id
            )
            return
        log.info("%d replies to chat %s handed to the outbox", len(replies), chat_id)
