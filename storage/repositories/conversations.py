"""Conversation state per channel and chat, with a version for optimistic concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.conversation import ConversationState
from checkout.ports import StoredConversation
from checkout.records import Channel
from storage.models import ConversationRow

# Built once: every update a customer sends loads and saves the conversation, and a reused
# statement keeps its cache key instead of computing it again.
_LOAD = select(ConversationRow.state, ConversationRow.version, ConversationRow.updated_at).where(
    ConversationRow.channel == bindparam("channel"),
    ConversationRow.chat_key == bindparam("chat_key"),
)
_STATE = bindparam("b_state", type_=ConversationRow.__table__.c.state.type)
_SAVE = (
    update(ConversationRow)
    .where(
        ConversationRow.channel == bindparam("b_channel"),
        ConversationRow.chat_key == bindparam("b_chat_key"),
        ConversationRow.version == bindparam("b_expected"),
    )
    .values(state=_STATE, version=bindparam("b_version"), updated_at=bindparam("b_now"))
    .execution_options(synchronize_session=False)
)
# On the table, not the mapped class: the ORM's insert path would copy the statement (and
# compute its cache key) on every call.
_NEW = {
    name: dialect.insert(ConversationRow.__table__)
    .values(
        channel=bindparam("b_channel"),
        chat_key=bindparam("b_chat_key"),
        state=_STATE,
        version=1,
        updated_at=bindparam("b_now"),
    )
    .on_conflict_do_nothing(index_elements=["channel", "chat_key"])
    .returning(ConversationRow.__table__.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


class SqlConversationRepository:
    """Conversations in the ``conversations`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, channel: Channel, chat_key: str) -> StoredConversation | None:
        """The stored conversation, or None for a new chat."""
        row = (
            await self._session.execute(_LOAD, {"channel": channel.value, "chat_key": chat_key})
        ).first()
        if row is None:
            return None
        state = ConversationState.from_json(row.state, updated_at=row.updated_at)
        return StoredConversation(state=state, version=row.version)

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
