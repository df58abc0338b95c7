"""Customers per channel and chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.records import Channel, Customer, Language
from storage.models import CustomerRow


def to_customer(row: CustomerRow) -> Customer:
    """The checkout record for a customer row."""
    return Customer(
        id=row.id,
        channel=Channel(row.channel),
        chat_key=row.chat_key,
        language="sw" if row.language == "sw" else "en",
        phone=row.phone,
        telegram_user_id=row.telegram_user_id,
    )


class SqlCustomerRepository:
    """Customers in the ``customers`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_or_create(
        self,
        channel: Channel,
        chat_key: str,
        *,
        language: Language,
        now: datetime,
        telegram_user_id: int | None = None,
        phone: str | None = None,
    ) -> Customer:
        """The customer of this chat, created on first contact (safe under concurrency)."""
        found = await self._find(channel, chat_key)
        if found is not None:
            return to_customer(found)
        try:
            async with self._session.begin_nested():
                row = CustomerRow(
                    channel=channel.value,
                    chat_key=chat_key,
                    telegram_user_id=telegram_user_id,
                    phone=phone,
                    language=language,
                    created_at=now,
                    updated_at=now,
                )
                self._session.add(row)
            return to_customer(row)
        except IntegrityError:
            # Another request created the same customer a moment ago.
            again = await self._find(channel, chat_key)
            if again is None:
                raise
            return to_customer(again)

    async def set_language(self, customer_id: int, language: Language, *, now: datetime) -> None:
        """Remember the customer's language."""
        await self._set(customer_id, now, language=language)

    async def set_phone(self, customer_id: int, phone: str, *, now: datetime) -> None:
        """Remember the customer's paying phone."""
        await self._set(customer_id, now, phone=phone)

    async def with_phone(self, channel: Channel, phone: str) -> Sequence[Customer]:
        """The customers on ``channel`` whose remembered phone is ``phone``, oldest first."""
        rows = await self._session.scalars(
            select(CustomerRow)
            .where(CustomerRow.channel == channel.value, CustomerRow.phone == phone)
            .order_by(CustomerRow.id)
        )
        return [to_customer(row) for row in rows]

    async def _find(self, channel: Channel, chat_key: str) -> CustomerRow | None:
        return await self._session.scalar(
            select(CustomerRow).where(
                CustomerRow.channel == channel.value, CustomerRow.chat_key == chat_key
            )
        )

    async def _set(self, customer_id: int, now: datetime, **values: str) -> None:
        await self._session.execute(
            update(CustomerRow)
            .where(CustomerRow.id == customer_id)
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
