"""The outbox sender: delivers queued messages through their channel, retrying failures.

Each message is claimed for a lease before it is sent, so several senders (or processes) never
send the same one together, and a sender that dies mid-send lets another retry after the lease.
Messages to one chat go out in order; different chats go out concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from checkout.ports import Clock, DeliveryFailed, MessageSender, UnitOfWorkFactory
from checkout.records import Channel, OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How the sender claims, retries and gives up."""

    batch_size: int = 100
    lease_seconds: float = 60.0
    max_attempts: int = 25  # with the backoff below: about three hours of trying
    first_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 600.0
    concurrency: int = 20
    idle_poll_seconds: float = 5.0  # also wakes on :meth:`OutboxSender.wake`

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the given number of failed attempts."""
        exponent = max(attempts - 1, 0)
        return float(min(self.first_backoff_seconds * 2.0**exponent, self.max_backoff_seconds))


class OutboxSender:
    """Delivers the outbox through one :class:`MessageSender` per channel."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        senders: Mapping[Channel, MessageSender],
        *,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self._units = units
        self._senders = dict(senders)
        self._clock = clock
        self._policy = policy or DeliveryPolicy()
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(self._policy.concurrency)

    def wake(self) -> None:
        """Ask the running loop to look at the outbox now (called after a commit queues work)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and deliver every message due now; return how many were delivered."""
        delivered = 0
        while True:
            batch = await self._claim()
            if not batch:
                return delivered
            delivered += await self._deliver(batch)
            if len(batch) < self._policy.batch_size:
                return delivered

    async def run_forever(self) -> None:
        """Deliver until cancelled, sleeping until woken or until the next message is due."""
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A database hiccup must not stop delivery for good; try again shortly.
                log.exception("outbox pass failed")
            timeout = await self._seconds_until_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    async def _seconds_until_due(self) -> float:
        try:
            async with self._units() as unit:
                due = await unit.outbox.next_due_at()
        except Exception:
            log.exception("could not read the outbox")
            return self._policy.idle_poll_seconds
        if due is None:
            return self._policy.idle_poll_seconds
        wait = (due - self._clock()).total_seconds()
        return min(max(wait, 0.0), self._policy.idle_poll_seconds)

    async def _claim(self) -> Sequence[OutboxMessage]:
        async with self._units() as unit:
            batch = await unit.outbox.claim_due(
                now=self._clock(),
                limit=self._policy.batch_size,
                lease_seconds=self._policy.lease_seconds,
            )
            await unit.commit()
        return batch

    async def _deliver(self, batch: Sequence[OutboxMessage]) -> int:
        by_chat: dict[tuple[Channel, str], list[OutboxMessage]] = defaultdict(list)
        for message in batch:
            by_chat[(message.channel, message.chat_key)].append(message)
        results = await asyncio.gather(*(self._deliver_chat(msgs) for msgs in by_chat.values()))
        return sum(results)

    async def _deliver_chat(self, messages: list[OutboxMessage]) -> int:
        delivered = 0
        async with self._limit:
            for index, message in enumerate(messages):
                sent, retry_at = await self._deliver_one(message)
                delivered += sent
                if retry_at is not None:
                    # Keep the chat's order: later messages wait until this one's retry.
                    await self._postpone(messages[index + 1 :], retry_at)
                    break
        return delivered

    async def _deliver_one(self, message: OutboxMessage) -> tuple[bool, datetime | None]:
        """Send one message: whether it went out, and when it is retried if it is."""
        sender = self._senders.get(message.channel)
        if sender is None:
            detail = f"no sender for {message.channel}"
            return False, await self._record_failure(message, detail, None)
        try:
            await sender.send(message.channel, message.chat_key, message.payload)
        except DeliveryFailed as failure:
            return False, await self._record_failure(message, failure.detail, failure.retry_after)
        except Exception as error:  # an unexpected bug in a sender: retry, never lose
            log.exception("sender crashed on outbox message %s", message.id)
            return False, await self._record_failure(message, type(error).__name__, 0.0)
        async with self._units() as unit:
            await unit.outbox.mark_sent(message.id, now=self._clock())
            await unit.commit()
        return True, None

    async def _record_failure(
        self, message: OutboxMessage, detail: str, retry_after: float | None
    ) -> datetime | None:
        """Schedule a retry (returning its time), or give up on a hopeless message."""
        now = self._clock()
        async with self._units() as unit:
            if retry_after is None or message.attempts >= self._policy.max_attempts:
                log.error("outbox message %s given up: %s", message.id, detail)
                await unit.outbox.give_up(message.id, now=now, error=detail)
                await unit.commit()
                return None
            # Honour the channel's own retry_after (Telegram's 429) when it gave one.
            wait = retry_after if retry_after > 0 else self._policy.backoff(message.attempts)
            at = now + timedelta(seconds=wait)
            log.info("outbox message %s retries in %.1fs: %s", message.id, wait, detail)
            await unit.outbox.retry_later(message.id, at=at, error=detail)
            await unit.commit()
            return at

    async def _postpone(self, messages: list[OutboxMessage], at: datetime) -> None:
        if not messages:
            return
        async with self._units() as unit:
            for message in messages:
                await unit.outbox.retry_later(message.id, at=at, error="waiting for an earlier one")
            await unit.commit()
