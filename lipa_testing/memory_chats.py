"""Customers and saved conversations of the in-memory unit of work (``memory_units``)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from checkout.conversation.model import ConversationState
from checkout.conversation.ports import StoredConversation
from checkout.domain.records import Channel, Customer, Language, person_name
from lipa_testing.memory_tables import ConversationRow

if TYPE_CHECKING:
    from lipa_testing.memory_units import MemoryUnit


class MemoryCustomerRepository:
    """Implements ``checkout.payments.ports.CustomerRepository`` in memory."""

    def __init__(self, unit: MemoryUnit) -> None:
        self._unit = unit

    def _find(self, channel: Channel, chat_key: str) -> Customer | None:
        customers = self._unit.read().customers.values()
        return next((c for c in customers if c.channel is channel and c.chat_key == chat_key), None)

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
        name = person_name(name)
        found = self._find(channel, chat_key)
        if found is None:
            customers = (await self._unit.write()).customers
            found = self._find(channel, chat_key)  # created by the writer before this unit
            if found is None:
                customer = Customer(
                    self._unit.next_id("customers"), channel, chat_key, language, phone
                )
                customer = replace(customer, telegram_user_id=telegram_user_id, name=name)
                customers[customer.id] = customer
                return customer
        if name is not None and found.name != name:
            # People rename themselves: a different name replaces the stored one.
            await self.set_name(found.id, name, now=now)
            found = replace(found, name=name)
        return found

    async def find(self, channel: Channel, chat_key: str) -> Customer | None:
        return self._find(channel, chat_key)

    async def set_name(self, customer_id: int, name: str, *, now: datetime) -> None:
        cleaned = person_name(name)
        customers = (await self._unit.write()).customers
        if cleaned is not None and customer_id in customers:
            customers[customer_id] = replace(customers[customer_id], name=cleaned)

    async def names(self, customer_ids: Collection[int]) -> Mapping[int, str]:
        customers = self._unit.read().customers
        return {
            customer_id: name
            for customer_id in set(customer_ids)
            if customer_id in customers and (name := customers[customer_id].name) is not None
        }

    async def set_language(self, customer_id: int, language: Language, *, now: datetime) -> None:
        customers = (await self._unit.write()).customers
        if customer_id in customers:
            customers[customer_id] = replace(customers[customer_id], language=language)

    async def set_phone(self, customer_id: int, phone: str, *, now: datetime) -> None:
        customers = (await self._unit.write()).customers
        if customer_id in customers:
            customers[customer_id] = replace(customers[customer_id], phone=phone)

    async def with_phone(self, channel: Channel, phone: str) -> Sequence[Customer]:
        customers = self._unit.read().customers.values()
        found = [c for c in customers if c.channel is channel and c.phone == phone]
        return sorted(found, key=lambda c: c.id)

    async def preload_phones(self, channel: Channel, phones: Collection[str]) -> None:
        """Nothing to learn ahead: :meth:`with_phone` reads memory."""


class MemoryConversationRepository:
    """Implements ``checkout.conversation.ports.ConversationRepository`` in memory."""

    def __init__(self, unit: MemoryUnit) -> None:
        self._unit = unit

    async def load(self, channel: Channel, chat_key: str) -> StoredConversation | None:
        row = self._unit.read().conversations.get((channel, chat_key))
        if row is None:
            return None
        return StoredConversation(row.restored(), row.version)

    async def save(
        self,
        channel: Channel,
        chat_key: str,
        state: ConversationState,
        *,
        expected_version: int | None,
        now: datetime,
    ) -> bool:
        conversations = (await self._unit.write()).conversations
        stored = conversations.get((channel, chat_key))
        version = stored.version if stored is not None else None
        if version != expected_version:
            return False
        as_stored = json.loads(json.dumps(state.to_json()))  # as the JSON column gives it back
        conversations[(channel, chat_key)] = ConversationRow(as_stored, (version or 0) + 1, now)
        return True
