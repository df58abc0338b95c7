"""What the outbox needs from the outside world: its repository, the channels' senders, and a
unit of work holding the outbox (storage and the channel adapters implement them)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from checkout.domain.records import Channel, OutboxMessage


class OutboxRepository(Protocol):
    """Messages to deliver, written with their cause and delivered by a sender."""

    async def add(
        self,
        *,
        channel: Channel,
        chat_key: str,
        payload: dict[str, Any],
        now: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        """Queue a message; a second one with the same ``dedupe_key`` is ignored."""
        ...

    async def claim_due(
        self, *, now: datetime, limit: int, lease_seconds: float
    ) -> Sequence[OutboxMessage]:
        """Claim up to ``limit`` due messages for ``lease_seconds``; no other sender takes them.

        A message waits while an older one of its chat is undelivered and not yet due (held
        for a retry, or claimed by another sender), so each chat's messages keep their order.
        """
        ...

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        """Record a delivered message."""
        ...

    async def mark_all_sent(self, message_ids: Sequence[int], *, now: datetime) -> None:
        """Record several delivered messages at once."""
        ...

    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        """Record a failed attempt and when to try again."""
        ...

    async def give_up(self, message_id: int, *, now: datetime, error: str) -> None:
        """Stop delivering a message that can never be delivered (e.g. the chat is gone)."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When the earliest undelivered message is due, if any."""
        ...


class OutboxDelivery(Protocol):
    """A sender in this process that a commit queuing outbox messages hands them to.

    The commit claims the messages it wrote for the sender's lease (as its own claim would)
    and hands them over once committed: no claim round trip, and the message leaves at once.
    Should this process die first, the lease runs out and any sender retries them.
    """

    def lease_until(self) -> datetime | None:
        """Until when to claim new messages for this sender; None while it is not running."""

    def take(self, messages: Sequence[OutboxMessage]) -> None:
        """Deliver these claimed messages now."""

    def waiting(self, chats: Collection[tuple[Channel, str]]) -> None:
        """Messages the commit could not claim were queued for these chats."""


class DeliveryFailed(Exception):
    """A message could not be delivered now.

    ``retry_after`` is when to try again (seconds), or None when the message can never be
    delivered (the chat is gone, the bot was blocked) and retrying is pointless.
    """

    def __init__(self, detail: str, *, retry_after: float | None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class MessageSender(Protocol):
    """Delivers one outbox message on its channel; raises :class:`DeliveryFailed`."""

    async def send(self, channel: Channel, chat_key: str, payload: dict[str, Any]) -> None:
        """Deliver ``payload`` (see :func:`checkout.conversation.model.reply_to_payload`)."""
        ...


class OutboxUnitOfWork(Protocol):
    """One database transaction, as the outbox sender needs it: the outbox and the commit."""

    @property
    def outbox(self) -> OutboxRepository:
        """The outbox repository of this unit."""
        ...

    async def commit(self) -> None:
        """Commit everything written in this unit."""
        ...

    async def rollback(self) -> None:
        """Discard everything written in this unit."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


OutboxUnitOfWorkFactory = Callable[[], OutboxUnitOfWork]
