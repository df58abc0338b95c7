"""Conversation state per channel and chat, with a version for optimistic concurrency."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.conversation.model import ConversationState
from checkout.conversation.ports import StoredConversation
from checkout.domain.records import Channel
from storage.models import ConversationRow

# Built once and on the table (SQLAlchemy Core): every update a customer sends loads and
# saves the conversation; a reused statement keeps its cache key, and Core skips the ORM's
# per-statement work (and its insert path, which copies the statement on every call).
_CONVERSATIONS = cast(Table, ConversationRow.__table__)
_LOAD = select(_CONVERSATIONS.c.state, _CONVERSATIONS.c.version, _CONVERSATIONS.c.updated_at).where(
    _CONVERSATIONS.c.channel == bindparam("channel"),
    _CONVERSATIONS.c.chat_key == bindparam("chat_key"),
)
_STATE = bindparam("b_state", type_=_CONVERSATIONS.c.state.type)
_SAVE = (
    update(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.channel == bindparam("b_channel"),
        _CONVERSATIONS.c.chat_key == bindparam("b_chat_key"),
        _CONVERSATIONS.c.version == bindparam("b_expected"),
    )
    .values(state=_STATE, version=bindparam("b_version"), updated_at=bindparam("b_now"))
)
_NEW = {
    name: dialect.insert(_CONVERSATIONS)
    .values(
        channel=bindparam("b_channel"),
        chat_key=bindparam("b_chat_key"),
        state=_STATE,
        version=1,
        updated_at=bindparam("b_now"),
    )
    .on_conflict_do_nothing(index_elements=["channel", "chat_key"])
    .returning(_CONVERSATIONS.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


# ``Session.info`` key under which a conversation read together with its customer waits
# for :meth:`SqlConversationRepository.load` (one statement instead of two per update).
_PRELOADED = "lipa_preloaded_conversations"


def remember_preloaded(
    session: AsyncSession,
    channel: Channel,
    chat_key: str,
    stored: StoredConversation | None,
) -> None:
    """Keep a conversation read along with another row, for this session's next ``load``."""
    session.info.setdefault(_PRELOADED, {})[(channel, chat_key)] = stored


def stored_from(state: Any, version: int | None, updated_at: Any) -> StoredConversation | None:
    """The stored conversation from its columns (None when there is no row)."""
    if version is None:
        return None
    return StoredConversation(
        state=ConversationState.from_json(state, updated_at=updated_at), version=version
    )


class SqlConversationRepository:
    """Conversations in the ``conversations`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, channel: Channel, chat_key: str) -> StoredConversation | None:
        """The stored conversation, or None for a new chat.

        A conversation read with its customer in this unit (see :func:`remember_preloaded`)
        is taken from there, once.
        """
        preloaded = self._session.info.get(_PRELOADED)
        if preloaded and (channel, chat_key) in preloaded:
            stored: StoredConversation | None = preloaded.pop((channel, chat_key))
            return stored
        row = (
            await self._session.execute(_LOAD, {"channel": channel.value, "chat_key": chat_key})
        ).first()
        if row is None:
            return None
        return stored_from(row.state, row.version, row.updated_at)

    async def save(
        self,
        channel: Channel,
        chat_key: str,
        state: ConversationState,
        *,
        expected_version: int | None,
        now: datetime,
    ) -> bool:
        """Store ``state`` if nobody changed it since it was read at ``expected_version``.

        A new chat (``expected_version`` None) is inserted; if another request inserted it
        first, the insert skips ours (one statement, no savepoint) and we report the conflict.
        """
        preloaded = self._session.info.get(_PRELOADED)
        if preloaded:
            preloaded.pop((channel, chat_key), None)  # stale once this is written
        parameters = {
            "b_channel": channel.value,
            "b_chat_key": chat_key,
            "b_state": state.to_json(),
            "b_now": now,
        }
        if expected_version is None:
            created = await self._session.scalar(
                _NEW[self._session.get_bind().dialect.name], parameters
            )
            return created is not None
        result = await self._session.execute(
            _SAVE, {**parameters, "b_expected": expected_version, "b_version": expected_version + 1}
        )
        return bool(getattr(result, "rowcount", 0) == 1)
