"""What the conversation service needs from storage: saved conversations, in a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from checkout.conversation.model import ConversationState
from checkout.domain.records import Channel
from checkout.payments.unit import UnitOfWork


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A conversation's state and the version it was read at."""

    state: ConversationState
    version: int


class ConversationRepository(Protocol):
    """Conversation state per channel and chat, with optimistic concurrency."""

    async def load(self, channel: Channel, chat_key: str) -> StoredConversation | None:
        """The stored conversation, or None for a new chat."""
        ...

    async def save(
        self,
        channel: Channel,
        chat_key: str,
        state: ConversationState,
        *,
        expected_version: int | None,
        now: datetime,
    ) -> bool:
        """Store ``state`` if the version is still ``expected_version`` (None: new chat)."""
        ...


class ConversationUnitOfWork(UnitOfWork, Protocol):
    """The unit of work with the saved conversations."""

    @property
    def conversations(self) -> ConversationRepository:
        """The conversation repository of this unit."""
        ...


ConversationUnitOfWorkFactory = Callable[[], ConversationUnitOfWork]
