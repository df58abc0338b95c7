"""The outbox sender: delivers queued messages through their channel, retrying failures.

Each message is claimed for a lease before it is sent, so several senders (or processes) never
send the same one together, and a sender that dies mid-send lets another retry after the lease.
Messages to one chat go out in order; different chats go out concurrently.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from checkout.domain.records import Channel, OutboxMessage
from checkout.domain.time import Clock
from checkout.outbox.handoff import SenderSlot
from checkout.outbox.ports import DeliveryFailed, MessageSender, OutboxUnitOfWorkFactory
from checkout.runtime.leased_worker import WakeableLoop, drain, seconds_until

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
    # Due messages held back behind an earlier one of their chat still being sent (here, or by
    # another process) are looked at again after this long, not in a busy loop.
    held_back_poll_seconds: float = 0.25
    max_digest_chars: int = 3500  # Telegram allows 4096 characters per message
    # When the sender stops, the sends in flight have this long to finish (and be marked
    # sent) before they are cancelled and left to their lease: a message Telegram already
    # took is then not sent again after the lease.
    stop_grace_seconds: float = 2.0

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the given number of failed attempts."""
        exponent = max(attempts - 1, 0)
        return float(min(self.first_backoff_seconds * 2.0**exponent, self.max_backoff_seconds))


class OutboxSender:
    """Delivers the outbox through one :class:`MessageSender` per channel.

    Given a ``slot`` (the one the process's units of work hand their commits' messages to),
    the sender takes its place there as it is built.
    """

    def __init__(
        self,
        units: OutboxUnitOfWorkFactory,
        senders: Mapping[Channel, MessageSender],
        *,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        slot: SenderSlot | None = None,
    ) -> None:
        self._units = units
        self._senders = dict(senders)
        self._clock = clock
        self._policy = policy or DeliveryPolicy()
        self._loop = WakeableLoop(
            "outbox", idle_poll_seconds=self._policy.idle_poll_seconds, logger=log
        )
        self._limit = asyncio.Semaphore(self._policy.concurrency)
        self._marks = _SentMarks(units, clock)
        self._flight: _Flight | None = None
        if slot is not None:
            slot.take_place(self)

    def wake(self) -> None:
        """Ask the running loop to look at the outbox now (called after a commit queues work)."""
        self._loop.wake()

    def lease_until(self) -> datetime | None:
        """Until when a commit should claim the messages it queues for this sender.

        None unless :meth:`run_forever` is running with room in its flight: a sender that is
        not delivering must not have messages claimed for it (they would wait for the lease to
        run out), nor one with ``batch_size`` chats in flight (in a burst, a message claimed
        now could still be waiting for Telegram's limits when its lease ends, and be claimed
        and sent again); those messages are claimed by the sender when it has room.
        """
        if self._flight is None or self._flight.chats >= self._flight.capacity:
            return None
        return self._clock() + timedelta(seconds=self._policy.lease_seconds)

    def take(self, messages: Sequence[OutboxMessage]) -> None:
        """Deliver messages a commit claimed for this sender, each chat's in a task of its own.

        The claim left out any chat with an earlier message still undelivered, so these go
        out in order. If the sender stopped meanwhile, they are retried after their lease.
        """
        flight = self._flight
        if flight is None:
            return
        for chat, queued in _by_chat(messages).items():
            flight.start(self._deliver_chat(queued), chat, len(queued))

    def waiting(self, chats: Collection[tuple[Channel, str]]) -> None:
        """Messages no commit could claim were queued for these chats: claim them soon.

        A chat whose earlier message this sender is delivering now is claimed again the
        moment that delivery ends (an outbox pass before then would find it held back);
        any other chat wakes the sender at once.
        """
        flight = self._flight
        if flight is None or not flight.follow_up(chats):
            self.wake()

    async def run_once(self) -> int:
        """Claim and deliver every message due now; return how many were delivered."""
        delivered = await drain(
            self._claim_batch, self._deliver, batch_size=self._policy.batch_size
        )
        return sum(delivered)

    async def run_forever(self) -> None:
        """Deliver until cancelled, sleeping until woken or until the next message is due.

        Each chat's messages are sent by a task of their own and the next claim does not wait
        for them, so a chat that is slow to take its messages (a staff group held to
        Telegram's 20 a minute) never holds up the customers' receipts. Claims are whole
        batches (so digests stay as large as they can be), made only while fewer than
        ``batch_size`` chats are being delivered: none waits here long enough for its lease
        to run out, and a chat with a pile of messages (the staff group's digests) does not
        fill the flight.
        """
        flight = _Flight(self._loop.event, capacity=self._policy.batch_size)
        self._flight = flight

        async def one_pass() -> float:
            claimed, due = await self._dispatch(flight)
            timeout = seconds_until(due, self._clock(), at_most=self._policy.idle_poll_seconds)
            if claimed == 0 and timeout == 0:
                # What is due waits behind a message still being sent: not a busy loop.
                timeout = self._policy.held_back_poll_seconds
            return timeout

        try:
            await self._loop.run_forever(one_pass)
        finally:
            self._flight = None  # no more hand-overs: commits leave new messages unclaimed
            await flight.cancel(grace_seconds=self._policy.stop_grace_seconds)

    async def _dispatch(self, flight: _Flight) -> tuple[int, datetime | None]:
        """Claim what is due (while the flight has room) and start sending it, per chat.

        Returns how many messages were claimed, and when the next undelivered one is due as
        the last claim saw it (read in the claim's own transaction).
        """
        claimed = 0
        while True:
            if flight.chats >= flight.capacity:
                # A chat that finishes wakes the loop; until then the lease is the next due.
                return claimed, self._clock() + timedelta(seconds=self._policy.lease_seconds)
            batch, due = await self._claim()
            claimed += len(batch)
            for chat, messages in _by_chat(batch).items():
                flight.start(self._deliver_chat(messages), chat, len(messages))
            if len(batch) < self._policy.batch_size:
                return claimed, due

    async def _claim(self) -> tuple[Sequence[OutboxMessage], datetime | None]:
        """Claim a batch of due messages; also when the next undelivered one is due, as the
        claim's own transaction sees it (no second transaction to learn it)."""
        async with self._units() as unit:
            batch = await unit.outbox.claim_due(
                now=self._clock(),
                limit=self._policy.batch_size,
                lease_seconds=self._policy.lease_seconds,
            )
            due = await unit.outbox.next_due_at()
            await unit.commit()
        return batch, due

    async def _claim_batch(self) -> Sequence[OutboxMessage]:
        batch, _due = await self._claim()
        return batch

    async def _deliver(self, batch: Sequence[OutboxMessage]) -> list[int]:
        """Deliver a batch, each chat's messages in order; how many went out per chat."""
        chats = _by_chat(batch).values()
        return await asyncio.gather(*(self._deliver_chat(messages) for messages in chats))

    async def _deliver_chat(self, messages: list[OutboxMessage]) -> int:
        delivered = 0
        async with self._limit:
            parcels = digest_parcels(messages, self._policy.max_digest_chars)
            for index, parcel in enumerate(parcels):
                sent, retry_at = await self._deliver_parcel(parcel)
                delivered += sent
                if retry_at is not None:
                    # Keep the chat's order: later messages wait until this one's retry.
                    later = [message for rest in parcels[index + 1 :] for message in rest]
                    await self._postpone(parcel[1:] + later, retry_at)
                    break
        return delivered

    async def _deliver_parcel(self, parcel: list[OutboxMessage]) -> tuple[int, datetime | None]:
        """Send one message or one digest: how many went out, and when a retry is due."""
        first = parcel[0]
        sender = self._senders.get(first.channel)
        if sender is None:
            detail = f"no sender for {first.channel}"
            return 0, await self._record_failures(parcel, detail, None)
        payload = first.payload if len(parcel) == 1 else digest_payload(parcel)
        try:
            await sender.send(first.channel, first.chat_key, payload)
        except DeliveryFailed as failure:
            return 0, await self._record_failures(parcel, failure.detail, failure.retry_after)
        except Exception as error:  # an unexpected bug in a sender: retry, never lose
            log.exception("sender crashed on outbox message %s", first.id)
            return 0, await self._record_failures(parcel, type(error).__name__, 0.0)
        await self._marks.record(parcel)
        return len(parcel), None

    async def _record_failures(
        self, parcel: list[OutboxMessage], detail: str, retry_after: float | None
    ) -> datetime | None:
        """Record a failed send of a parcel; its first message sets the retry time."""
        at = await self._record_failure(parcel[0], detail, retry_after)
        if at is None:
            for message in parcel[1:]:
                await self._record_failure(message, detail, retry_after)
        return at

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
            # Later messages of the chat are not claimed before this one is sent (the outbox
            # keeps each chat in order), so they come due together and can form one digest.
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


def _by_chat(batch: Sequence[OutboxMessage]) -> dict[tuple[Channel, str], list[OutboxMessage]]:
    """The batch's messages per chat, each chat's in the batch's (oldest first) order."""
    chats: dict[tuple[Channel, str], list[OutboxMessage]] = defaultdict(list)
    for message in batch:
        chats[(message.channel, message.chat_key)].append(message)
    return chats


class _Flight:
    """The chats being delivered by :meth:`OutboxSender.run_forever`, one task each."""

    def __init__(self, wake: asyncio.Event, *, capacity: int) -> None:
        self._wake = wake
        self._tasks: dict[asyncio.Task[int], tuple[tuple[Channel, str], int]] = {}
        self._busy: Counter[tuple[Channel, str]] = Counter()
        self._followed: set[tuple[Channel, str]] = set()  # claim again once these are free
        self.capacity = capacity

    @property
    def chats(self) -> int:
        """How many chats are being delivered."""
        return len(self._tasks)

    def start(
        self, delivery: Coroutine[Any, Any, int], chat: tuple[Channel, str], messages: int
    ) -> None:
        """Deliver one chat's messages in a task of its own."""
        task = asyncio.create_task(delivery)
        self._tasks[task] = (chat, messages)
        self._busy[chat] += 1
        task.add_done_callback(self._done)

    def follow_up(self, chats: Collection[tuple[Channel, str]]) -> bool:
        """If every one of these chats is being delivered, wake once one of them is done."""
        if not all(self._busy[chat] for chat in chats):
            return False
        self._followed.update(chats)
        return True

    def _done(self, task: asyncio.Task[int]) -> None:
        full = self.chats >= self.capacity
        chat, claimed = self._tasks.pop(task, (None, 0))
        if chat is not None:
            self._busy[chat] -= 1
            if self._busy[chat] <= 0:
                del self._busy[chat]
                if chat in self._followed:
                    self._followed.discard(chat)
                    self._wake.set()  # its next message may be claimed now
        if full and self.chats < self.capacity:
            self._wake.set()  # the flight has room again: claim the next batch
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("outbox delivery failed", exc_info=error)
        if error is not None or task.result() < claimed:
            self._wake.set()  # a retry was scheduled: learn when it is due

    async def cancel(self, *, grace_seconds: float = 0.0) -> None:
        """Stop every delivery once the grace is over (claimed messages not sent by then are
        retried after their lease)."""
        tasks = list(self._tasks)
        try:
            if tasks and grace_seconds > 0:
                await asyncio.wait(tasks, timeout=grace_seconds)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


class _SentMarks:
    """Records deliveries as sent, the deliveries of concurrent chats in one transaction.

    A delivery waits until its mark has committed (as if it had committed alone), but while
    one transaction is committing, the marks that arrive meanwhile are gathered for the next.
    Each committed transaction is one INFO line: how many messages went out, per channel
    (the channels' senders log each message at DEBUG).
    """

    def __init__(self, units: OutboxUnitOfWorkFactory, clock: Clock) -> None:
        self._units = units
        self._clock = clock
        self._queued: list[tuple[Sequence[OutboxMessage], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, messages: Sequence[OutboxMessage]) -> None:
        """Mark the messages sent; return once that is committed."""
        done = asyncio.get_running_loop().create_future()
        self._queued.append((messages, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await asyncio.shield(done)

    async def _write(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                async with self._units() as unit:
                    sent = [message for messages, _ in batch for message in messages]
                    await unit.outbox.mark_all_sent(
                        [message.id for message in sent], now=self._clock()
                    )
                    await unit.commit()
                _log_sent(sent)
            except BaseException as error:
                for _, done in batch:
                    if done.done():
                        continue
                    if isinstance(error, Exception):
                        done.set_exception(error)
                    else:
                        done.cancel()
                if not isinstance(error, Exception):
                    raise
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


def _log_sent(sent: Sequence[OutboxMessage]) -> None:
    """One INFO line for a committed mark: how many messages went out, per channel."""
    if log.isEnabledFor(logging.INFO):
        channels = Counter(message.channel.value for message in sent)
        counts = ", ".join(f"{channel} {count}" for channel, count in sorted(channels.items()))
        log.info("outbox: %d sent (%s)", len(sent), counts)


def digest_parcels(messages: list[OutboxMessage], max_chars: int) -> list[list[OutboxMessage]]:
    """Split one chat's messages into what to send: digestible neighbours go together.

    Staff notifications are marked ``digest``: when payments settle faster than a group chat
    may receive messages (about 20 a minute), they go out as one message instead of a queue
    that grows without bound. A digest stays under ``max_chars``.
    """
    parcels: list[list[OutboxMessage]] = []
    size = 0
    for message in messages:
        text = _line(message)
        joinable = (
            message.payload.get("digest") is True
            and not message.payload.get("buttons")
            and parcels
            and parcels[-1][0].payload.get("digest") is True
            and not parcels[-1][0].payload.get("buttons")
            and size + len(text) + 1 <= max_chars
        )
        if joinable:
            parcels[-1].append(message)
            size += len(text) + 1
        else:
            parcels.append([message])
            size = len(text)
    return parcels


def digest_payload(parcel: list[OutboxMessage]) -> dict[str, Any]:
    """One message carrying every notice of a digest, oldest first, one line each."""
    return {"text": "\n".join(_line(message) for message in parcel)}


def _line(message: OutboxMessage) -> str:
    # A notice may carry a one-line form for digests; the full text otherwise.
    return str(message.payload.get("line") or message.payload.get("text", ""))
