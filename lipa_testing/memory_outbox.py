"""An in-memory outbox unit of work: the outbox ports without a database, for fast tests.

:class:`MemoryOutboxUnits` makes units implementing ``checkout.outbox.ports.OutboxUnitOfWork``
over one shared :class:`MemoryOutbox`. It keeps the database's rules, which the contract
tests (``tests/contracts/``) check against SQLite and PostgreSQL with the same assertions:

- writes are seen by other units only once committed; leaving a unit without committing, or
  rolling back, forgets them;
- one unit writes at a time, as SQLite allows (a unit waits for the store from its first write
  to its commit or rollback), so two senders never claim the same message;
- a message waits while an older one of its chat is undelivered and not yet due, so each
  chat's messages keep their order; a claim holds a message for its lease;
- a second message with the same ``dedupe_key`` is ignored, even once the first was sent.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

from checkout.domain.records import Channel, OutboxMessage

MAX_ERROR_LENGTH = 500  # as the ``outbox.last_error`` column keeps it


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One stored message, as a row of the ``outbox`` table holds it."""

    id: int
    channel: Channel
    chat_key: str
    payload: dict[str, Any]
    dedupe_key: str | None
    next_attempt_at: datetime
    created_at: datetime
    attempts: int = 0
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    last_error: str | None = None

    @property
    def undelivered(self) -> bool:
        return self.sent_at is None and self.failed_at is None

    def message(self) -> OutboxMessage:
        return OutboxMessage(
            id=self.id,
            channel=self.channel,
            chat_key=self.chat_key,
            payload=dict(self.payload),
            attempts=self.attempts,
            dedupe_key=self.dedupe_key,
        )


class MemoryOutbox:
    """The committed messages, by id, and the one-writer-at-a-time lock."""

    def __init__(self) -> None:
        self.entries: dict[int, OutboxEntry] = {}
        self.ids = itertools.count(1)
        self.writer = asyncio.Lock()


def _claimed(entry: OutboxEntry, lease_until: datetime) -> OutboxEntry:
    return replace(entry, next_attempt_at=lease_until, attempts=entry.attempts + 1)


def _has_earlier_undelivered(
    entries: Iterable[OutboxEntry], entry: OutboxEntry, *, unless: Any = None
) -> bool:
    """Whether a message of ``entry``'s chat, queued before it, is undelivered (and ``unless``
    says nothing of it)."""
    return any(
        other.channel is entry.channel
        and other.chat_key == entry.chat_key
        and other.id < entry.id
        and other.undelivered
        and (unless is None or not unless(other))
        for other in entries
    )


class MemoryOutboxRepository:
    """The outbox as one unit sees it: committed messages plus its own writes."""

    def __init__(self, unit: MemoryOutboxUnit) -> None:
        self._unit = unit
        self.unclaimed: set[tuple[Channel, str]] = set()
        self._pending: list[dict[str, Any]] = []

    async def add(
        self,
        *,
        channel: Channel,
        chat_key: str,
        payload: dict[str, Any],
        now: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        """Queue a message (written when the unit flushes); a duplicate key is ignored then."""
        self._pending.append(
            {"channel": channel, "chat_key": chat_key, "payload": payload, "now": now,
             "dedupe_key": dedupe_key}
        )  # fmt: skip

    async def flush(self, *, claim_until: datetime | None = None) -> Sequence[OutboxMessage]:
        """Write the queued messages; with ``claim_until``, claim those whose chat has nothing
        earlier undelivered. Returns what was claimed."""
        if not self._pending:
            return []
        pending, self._pending = self._pending, []
        entries = await self._unit.writing()
        keys = {entry.dedupe_key for entry in entries.values() if entry.dedupe_key is not None}
        written: list[OutboxEntry] = []
        for item in pending:
            key = item["dedupe_key"]
            if key is not None and key in keys:
                continue
            if key is not None:
                keys.add(key)
            entry = OutboxEntry(
                id=next(self._unit.store.ids),
                channel=item["channel"],
                chat_key=item["chat_key"],
                payload=dict(item["payload"]),
                dedupe_key=key,
                next_attempt_at=item["now"],
                created_at=item["now"],
            )
            entries[entry.id] = entry
            written.append(entry)
        claimed: list[OutboxMessage] = []
        if claim_until is not None:
            new = {entry.id for entry in written}
            for entry in written:
                if _has_earlier_undelivered(
                    entries.values(), entry, unless=lambda other: other.id in new
                ):
                    continue
                entries[entry.id] = _claimed(entry, claim_until)
                claimed.append(entries[entry.id].message())
        taken = {message.id for message in claimed}
        self.unclaimed.update((e.channel, e.chat_key) for e in written if e.id not in taken)
        return claimed

    def discard(self) -> None:
        """Forget queued messages (the unit rolled back)."""
        self._pending = []
        self.unclaimed = set()

    async def claim_due(
        self, *, now: datetime, limit: int, lease_seconds: float
    ) -> Sequence[OutboxMessage]:
        """Claim up to ``limit`` due messages for ``lease_seconds``, the earliest due first."""
        await self.flush()
        entries = await self._unit.writing()
        before = list(entries.values())
        due = sorted(
            (
                entry
                for entry in before
                if entry.undelivered
                and entry.next_attempt_at <= now
                and not _has_earlier_undelivered(
                    before, entry, unless=lambda other: other.next_attempt_at <= now
                )
            ),
            key=lambda entry: (entry.next_attempt_at, entry.id),
        )[:limit]
        lease_until = now + timedelta(seconds=lease_seconds)
        for entry in due:
            entries[entry.id] = _claimed(entry, lease_until)
        return sorted((entries[e.id].message() for e in due), key=lambda m: m.id)

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        """Record a delivered message."""
        await self.mark_all_sent([message_id], now=now)

    async def mark_all_sent(self, message_ids: Sequence[int], *, now: datetime) -> None:
        """Record several delivered messages."""
        if message_ids:
            await self._update(message_ids, sent_at=now, last_error=None)

    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        """Record a failed attempt and when to try again."""
        await self._update([message_id], next_attempt_at=at, last_error=error[:MAX_ERROR_LENGTH])

    async def give_up(self, message_id: int, *, now: datetime, error: str) -> None:
        """Stop delivering a message that can never be delivered."""
        await self._update([message_id], failed_at=now, last_error=error[:MAX_ERROR_LENGTH])

    async def next_due_at(self) -> datetime | None:
        """When the earliest undelivered message is due, if any."""
        await self.flush()
        due = [e.next_attempt_at for e in self._unit.reading().values() if e.undelivered]
        return min(due, default=None)

    async def _update(self, message_ids: Sequence[int], **values: Any) -> None:
        entries = await self._unit.writing()
        for message_id in message_ids:
            if message_id in entries:
                entries[message_id] = replace(entries[message_id], **values)


class MemoryOutboxUnit:
    """Implements ``checkout.outbox.ports.OutboxUnitOfWork`` on a :class:`MemoryOutbox`."""

    def __init__(self, store: MemoryOutbox) -> None:
        self.store = store
        self._working: dict[int, OutboxEntry] | None = None  # its writes, while it holds the lock
        self._outbox: MemoryOutboxRepository | None = None

    @property
    def outbox(self) -> MemoryOutboxRepository:
        """The outbox repository of this unit."""
        if self._outbox is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._outbox

    def reading(self) -> dict[int, OutboxEntry]:
        """What this unit sees: its own writes, else what is committed."""
        return self._working if self._working is not None else self.store.entries

    async def writing(self) -> dict[int, OutboxEntry]:
        """This unit's writable copy, taken once it is the store's one writer."""
        if self._working is None:
            await self.store.writer.acquire()
            self._working = dict(self.store.entries)
        return self._working

    async def __aenter__(self) -> Self:
        self._outbox = MemoryOutboxRepository(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()
        self._outbox = None

    async def commit(self) -> None:
        """Write the queued messages and make this unit's writes everyone's."""
        await self.outbox.flush()
        if self._working is not None:
            self.store.entries = self._working
        self.outbox.unclaimed = set()
        self._release()

    async def rollback(self) -> None:
        """Discard everything written in this unit."""
        self.outbox.discard()
        self._release()

    def _release(self) -> None:
        if self._working is not None:
            self._working = None
            self.store.writer.release()


class MemoryOutboxUnits:
    """Makes a fresh in-memory unit per use, all on one store (what a test's "database" is)."""

    def __init__(self, store: MemoryOutbox | None = None) -> None:
        self.store = store if store is not None else MemoryOutbox()

    def __call__(self) -> MemoryOutboxUnit:
        return MemoryOutboxUnit(self.store)
