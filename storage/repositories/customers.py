"""Customers per channel and chat."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, Update, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.domain.records import Channel, Customer, Language, person_name
from storage.models import ConversationRow, CustomerRow
from storage.repositories.conversations import remember_preloaded, stored_from

# Built once and on the table (SQLAlchemy Core): every update a customer sends runs these; a
# reused statement keeps its cache key, and Core skips the ORM's per-statement work (and its
# insert path, which copies the statement on every call).
_CUSTOMERS = cast(Table, CustomerRow.__table__)
_CONVERSATIONS = cast(Table, ConversationRow.__table__)
# The customer with their conversation, if any: every update needs both, in one statement.
_WITH_PHONE = (
    select(_CUSTOMERS)
    .where(
        _CUSTOMERS.c.channel == bindparam("b_channel"), _CUSTOMERS.c.phone == bindparam("b_phone")
    )
    .order_by(_CUSTOMERS.c.id)
)
# The phones of several (a settling batch's USSD callers) that have a customer on a channel.
_PHONES_PRESENT = (
    select(_CUSTOMERS.c.phone)
    .where(
        _CUSTOMERS.c.channel == bindparam("b_channel"),
        _CUSTOMERS.c.phone.in_(bindparam("b_phones", expanding=True)),
    )
    .distinct()
)
_BY_CHAT = (
    select(
        _CUSTOMERS,
        _CONVERSATIONS.c.state.label("conversation_state"),
        _CONVERSATIONS.c.version.label("conversation_version"),
        _CONVERSATIONS.c.updated_at.label("conversation_updated_at"),
    )
    .select_from(
        _CUSTOMERS.outerjoin(
            _CONVERSATIONS,
            and_(
                _CONVERSATIONS.c.channel == _CUSTOMERS.c.channel,
                _CONVERSATIONS.c.chat_key == _CUSTOMERS.c.chat_key,
            ),
        )
    )
    .where(
        _CUSTOMERS.c.channel == bindparam("channel"),
        _CUSTOMERS.c.chat_key == bindparam("chat_key"),
    )
)
_NEW = {
    name: dialect.insert(_CUSTOMERS)
    .values(
        channel=bindparam("b_channel"),
        chat_key=bindparam("b_chat_key"),
        telegram_user_id=bindparam("b_telegram_user_id"),
        phone=bindparam("b_phone"),
        name=bindparam("b_name"),
        language=bindparam("b_language"),
        created_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
    )
    .on_conflict_do_nothing(index_elements=["channel", "chat_key"])
    .returning(_CUSTOMERS.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


@functools.cache
def _set_statement(names: tuple[str, ...]) -> Update:
    """An UPDATE of ``names`` (and ``updated_at``) for one customer, built once per set."""
    return (
        update(_CUSTOMERS)
        .where(_CUSTOMERS.c.id == bindparam("b_id"))
        .values(updated_at=bindparam("b_now"), **{name: bindparam(f"b_{name}") for name in names})
    )


def to_customer(row: CustomerRow | Row[Any]) -> Customer:
    """The checkout record for a customer row (an ORM object or a Core row)."""
    return Customer(
        id=row.id,
        channel=Channel(row.channel),
        chat_key=row.chat_key,
        language="sw" if row.language == "sw" else "en",
        phone=row.phone,
        telegram_user_id=row.telegram_user_id,
        name=row.name,
    )


class SqlCustomerRepository:
    """Customers in the ``customers`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # What :meth:`preload_phones` found absent; forgotten whenever a customer is written.
        self._without_phone: set[tuple[Channel, str]] = set()

    async def preload_phones(self, channel: Channel, phones: Collection[str]) -> None:
        """Learn in one lookup which of these phones no customer on ``channel`` has."""
        if not phones:
            return
        wanted = sorted(set(phones))
        found = await self._session.scalars(
            _PHONES_PRESENT, {"b_channel": channel.value, "b_phones": wanted}
        )
        present = set(found)
        self._without_phone |= {(channel, phone) for phone in wanted if phone not in present}

    async def get_or_create(
        self,
        channel: Channel,
        chat_key: str,
        *,
        language: Language,
        now: datetime,
        telegram_user_id: int | None = None,
        phone: str | None = None,
        name: str | None = None,
    ) -> Customer:
        """The customer of this chat, created on first contact (safe under concurrency).

        The insert skips a customer another request created a moment ago (one statement, no
        savepoint); that customer is then read. ``name`` (cleaned by ``person_name``) is
        stored on creation and replaces a different stored name: people rename themselves.
        """
        name = person_name(name)
        found = await self._find(channel, chat_key)
        if found is not None:
            # The conversation came with it: the conversation repository's load takes it.
            remember_preloaded(
                self._session,
                channel,
                chat_key,
                stored_from(
                    found.conversation_state,
                    found.conversation_version,
                    found.conversation_updated_at,
                ),
            )
            customer = to_customer(found)
            if name is not None and customer.name != name:
                await self._set(customer.id, now, name=name)
                customer = replace(customer, name=name)
            return customer
        self._without_phone.clear()
        created_id = await self._session.scalar(
            _NEW[self._session.get_bind().dialect.name],
            {
                "b_channel": channel.value,
                "b_chat_key": chat_key,
                "b_telegram_user_id": telegram_user_id,
                "b_phone": phone,
                "b_name": name,
                "b_language": language,
                "b_now": now,
            },
        )
        if created_id is not None:
            return Customer(
                id=created_id,
                channel=channel,
                chat_key=chat_key,
                language=language,
                phone=phone,
                telegram_user_id=telegram_user_id,
                name=name,
            )
        again = await self._find(channel, chat_key)
        if again is None:
            raise LookupError(f"customer {channel.value}:{chat_key} neither created nor found")
        return to_customer(again)

    async def set_language(self, customer_id: int, language: Language, *, now: datetime) -> None:
        """Remember the customer's language."""
        await self._set(customer_id, now, language=language)

    async def set_phone(self, customer_id: int, phone: str, *, now: datetime) -> None:
        """Remember the customer's paying phone."""
        await self._set(customer_id, now, phone=phone)

    async def set_name(self, customer_id: int, name: str, *, now: datetime) -> None:
        """Remember the name Telegram or M-Pesa gave (cleaned; nothing left: no change)."""
        cleaned = person_name(name)
        if cleaned is not None:
            await self._set(customer_id, now, name=cleaned)

    async def find(self, channel: Channel, chat_key: str) -> Customer | None:
        """The customer of this chat, or None (nothing is created)."""
        found = await self._find(channel, chat_key)
        return to_customer(found) if found is not None else None

    async def names(self, customer_ids: Collection[int]) -> Mapping[int, str]:
        """The stored names of these customers (those without one left out)."""
        if not customer_ids:
            return {}
        rows = await self._session.execute(
            select(_CUSTOMERS.c.id, _CUSTOMERS.c.name).where(
                _CUSTOMERS.c.id.in_(sorted(set(customer_ids))), _CUSTOMERS.c.name.is_not(None)
            )
        )
        return {row.id: row.name for row in rows}

    async def with_phone(self, channel: Channel, phone: str) -> Sequence[Customer]:
        """The customers on ``channel`` whose remembered phone is ``phone``, oldest first."""
        if (channel, phone) in self._without_phone:  # :meth:`preload_phones` found none
            return []
        # A Core statement built once: every settled USSD payment asks (for its Telegram
        # copies), and the ORM's per-statement work cost more than the lookup itself.
        rows = await self._session.execute(
            _WITH_PHONE, {"b_channel": channel.value, "b_phone": phone}
        )
        return [to_customer(row) for row in rows]

    async def _find(self, channel: Channel, chat_key: str) -> Row[Any] | None:
        found = await self._session.execute(
            _BY_CHAT, {"channel": channel.value, "chat_key": chat_key}
        )
        return found.first()

    async def _set(self, customer_id: int, now: datetime, **values: str) -> None:
        self._without_phone.clear()
        parameters: dict[str, Any] = {f"b_{name}": value for name, value in values.items()}
        await self._session.execute(
            _set_statement(tuple(sorted(values))),
            {"b_id": customer_id, "b_now": now, **parameters},
        )
