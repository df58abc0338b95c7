"""Ways out: the offers of the other way to pay, a customer's open orders, and "Not mine".

Implements ``checkout.payments.other_way.OtherWayRepository`` and
``checkout.conversation.open_orders.OpenOrderRepository`` on the ``paybill_offers`` and
``order_declines`` tables (with the orders and payments they point at).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.domain.records import Channel, Order, OrderStatus, Payment
from checkout.payments.other_way import ToldToPay
from storage.models import OrderDeclineRow, PaybillOfferRow
from storage.repositories.orders import to_order
from storage.repositories.payments import ORDERS, PAYMENTS

_OFFERS = cast(Table, PaybillOfferRow.__table__)
_DECLINES = cast(Table, OrderDeclineRow.__table__)
_OPEN = (OrderStatus.OPEN.value, OrderStatus.PARTLY_PAID.value)


def _owing() -> ColumnElement[bool]:
    return and_(ORDERS.c.status.in_(_OPEN), ORDERS.c.amount_due > ORDERS.c.amount_paid)


class SqlWaysOutRepository:
    """The offers of the other way to pay and the orders declined, in one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        if self._session.get_bind().dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def record_offer(self, payment: Payment, *, amount: int, now: datetime) -> None:
        """Record the offer made after ``payment`` (once per payment)."""
        order_id = select(ORDERS.c.id).where(ORDERS.c.reference == payment.order_reference)
        statement = (
            self._insert(_OFFERS)
            .values(
                payment_id=payment.id,
                order_id=order_id.scalar_subquery(),
                channel=payment.channel.value,
                chat_key=payment.chat_key,
                phone=payment.phone,
                amount=amount,
                offered_at=now,
            )
            .on_conflict_do_nothing(index_elements=["payment_id"])
        )
        await self._session.execute(statement)

    def _latest_offers(self) -> Select[Any]:
        """Each owing order's latest offer: its order columns, phone and time."""
        latest = (
            select(_OFFERS.c.order_id, func.max(_OFFERS.c.id).label("offer_id"))
            .group_by(_OFFERS.c.order_id)
            .subquery()
        )
        return (
            select(ORDERS, _OFFERS.c.phone, _OFFERS.c.offered_at)
            .join(latest, latest.c.order_id == ORDERS.c.id)
            .join(_OFFERS, _OFFERS.c.id == latest.c.offer_id)
            .where(_owing())
        )

    async def told_to_pay(self, *, limit: int) -> Sequence[ToldToPay]:
        """Owing orders whose customer was told to pay by paybill, latest told first."""
        statement = self._latest_offers()
        rows = await self._session.execute(
            statement.order_by(_OFFERS.c.offered_at.desc(), _OFFERS.c.id.desc()).limit(limit)
        )
        return [ToldToPay(to_order(row), row.phone, row.offered_at) for row in rows]

    async def count_told_to_pay(self) -> int:
        """How many owing orders have had their customer told to pay by paybill."""
        inner = self._latest_offers().subquery()
        count = await self._session.scalar(select(func.count()).select_from(inner))
        return int(count or 0)

    async def open_orders(
        self, channel: Channel, chat_key: str, phone: str | None, *, limit: int
    ) -> Sequence[Order]:
        """Orders still owing that are this chat's: paid from it, or made for its ``phone``.

        Orders the chat declined are left out; the most recently changed come first.
        """
        paid_from_here = exists().where(
            PAYMENTS.c.order_id == ORDERS.c.id,
            PAYMENTS.c.channel == channel.value,
            PAYMENTS.c.chat_key == chat_key,
        )
        declined = exists().where(
            _DECLINES.c.order_id == ORDERS.c.id,
            _DECLINES.c.channel == channel.value,
            _DECLINES.c.chat_key == chat_key,
        )
        mine = (
            paid_from_here
            if phone is None
            else or_(paid_from_here, ORDERS.c.customer_phone == phone)
        )
        rows = await self._session.execute(
            select(ORDERS)
            .where(_owing(), mine, ~declined)
            .order_by(ORDERS.c.updated_at.desc(), ORDERS.c.id.desc())
            .limit(limit)
        )
        return [to_order(row) for row in rows]

    async def decline(
        self, reference: str, channel: Channel, chat_key: str, *, now: datetime
    ) -> bool:
        """Record that this chat said "Not mine" of the order; False if it had already."""
        order_id = select(ORDERS.c.id).where(ORDERS.c.reference == reference)
        statement = (
            self._insert(_DECLINES)
            .values(
                order_id=order_id.scalar_subquery(),
                channel=channel.value,
                chat_key=chat_key,
                declined_at=now,
            )
            .on_conflict_do_nothing(index_elements=["order_id", "channel", "chat_key"])
        )
        result = await self._session.execute(statement)
        return bool(getattr(result, "rowcount", 0) == 1)
