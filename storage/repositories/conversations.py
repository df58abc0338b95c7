"""Conversation state per channel and chat, with a version for optimistic concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.conversation import ConversationState
from checkout.ports import StoredConversation
from checkout.records import Channel
from storage.models import ConversationRow


class SqlConversationRepository:
    """Conversations in the ``conversations`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, channel: Channel, chat_key: str) -> StoredConversation | None:
        """The stored conversation, or None for a new chat."""
        row = (
            await self._session.execute(
                select(
                    ConversationRow.state, ConversationRow.version, ConversationRow.updated_at
                ).where(
                    ConversationRow.channel == channel.value,
                    ConversationRow.chat_key == chat_key,
                )
            )
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
        first, the unique constraint refuses ours and we report the conflict.
        """
        if expected_version is None:
            try:
                async with self._session.begin_nested():
                    self._session.add(
                        ConversationRow(
                            channel=channel.value,
                            chat_key=chat_key,
                            state=state.to_json(),
                            version=1,
                            updated_at=now,
                        )
                    )
            except IntegrityError:
                return False
            return True
        result = await self._session.execute(
            update(ConversationRow)
            .where(
                ConversationRow.channel == channel.value,
                ConversationRow.chat_key == chat_key,
                ConversationRow.version == expected_version,
            )
            .values(state=state.to_json(), version=expected_version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)
