"""A customer's open orders (``/orders``) and "Not mine".

An order is the customer's when it was paid (or tried) from their chat, or when the business
made it for their phone number; it is open while something is left to pay. Each is listed
with what is left and, unless it is on a plan (paid through ``/plans``) or its prompts are
paused after two cancellations (:func:`checkout.payments.other_way.cancel_hold_until`), a
"Pay" button. An order the business made that nothing was paid on can be declined with
"Not mine": it is recorded for that chat, no longer listed to it, and the staff are told in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol, runtime_checkable

from checkout.bnpl.ports import with_plans
from checkout.conversation.model import DeclineOrder, OrdersEffect
from checkout.domain.outcomes import NotMine
from checkout.domain.records import Channel, Customer, Order, StaffChat
from checkout.domain.time import Clock
from checkout.payments.limits import sender_of
from checkout.payments.other_way import cancel_hold_until
from checkout.payments.staff_alerts import StaffAlerts
from checkout.payments.unit import UnitOfWork

LIST_LIMIT: Final = 10  # a WhatsApp list holds 10 rows
# Channels whose chat is keyed by the customer's own number.
_KEYED_BY_PHONE: Final = frozenset({Channel.USSD, Channel.WHATSAPP})


class OpenOrderRepository(Protocol):
    """The orders a chat still owes on, and the ones it declined."""

    async def open_orders(
        self, channel: Channel, chat_key: str, phone: str | None, *, limit: int
    ) -> Sequence[Order]:
        """Orders still owing paid from this chat or made for ``phone``, not declined by it."""
        ...

    async def decline(
        self, reference: str, channel: Channel, chat_key: str, *, now: datetime
    ) -> bool:
        """Record that this chat said "Not mine" of the order; False if it had already."""
        ...


@runtime_checkable
class OpenOrdersUnitOfWork(UnitOfWork, Protocol):
    """The unit of work with the open orders."""

    @property
    def ways_out(self) -> OpenOrderRepository:
        """The open orders of this unit."""
        ...


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An order as ``/orders`` shows it."""

    order: Order
    on_plan: bool
    held_until: datetime | None

    @property
    def payable(self) -> bool:
        """Whether "Pay" is offered: not on a plan, prompts not paused."""
        return not self.on_plan and self.held_until is None

    @property
    def declinable(self) -> bool:
        """Whether "Not mine" is offered: the business made it and nothing was paid."""
        return self.order.known and self.order.amount_paid == 0 and not self.on_plan


@dataclass(frozen=True, slots=True)
class OrdersListed:
    """``/orders``: the customer's open orders, newest first (none: an empty tuple)."""

    orders: tuple[OpenOrder, ...]


@dataclass(frozen=True, slots=True)
class OrderDeclined:
    """A "Not mine" press for ``reference``: ``accepted`` (recorded now or before), or refused
    because the order is not one the customer may decline (paid on, on a plan, not theirs)."""

    reference: str
    accepted: bool


# What the open orders' service did, for :mod:`checkout.conversation.orders_view` to say.
OrdersOutcome = OrdersListed | OrderDeclined


class OpenOrders:
    """Lists a customer's open orders and records "Not mine"."""

    def __init__(
        self,
        units: Callable[[], UnitOfWork],
        *,
        clock: Clock,
        business_name: str,
        staff: StaffChat | None = None,
    ) -> None:
        self._units = units
        self._clock = clock
        # Named in the answers to "Not mine" (the business made the order).
        self.business_name = business_name
        # The staff are told of a "Not mine" in its transaction (nothing without a staff chat).
        self._alerts = StaffAlerts(staff)

    async def handle(self, customer: Customer, effect: OrdersEffect) -> OrdersOutcome:
        """``/orders`` (the open orders) or a "Not mine" press (whether it was recorded)."""
        if isinstance(effect, DeclineOrder):
            return await self.decline(customer, effect.order_reference)
        return await self.show(customer)

    async def open_for(self, unit: UnitOfWork, customer: Customer) -> list[OpenOrder]:
        """The customer's open orders, newest first, with their plan and pause."""
        phone = customer.phone
        if phone is None and customer.channel in _KEYED_BY_PHONE:
            phone = customer.chat_key
        found = await _with_orders(unit).ways_out.open_orders(
            customer.channel, customer.chat_key, phone, limit=LIST_LIMIT
        )
        now = self._clock()
        listed = []
        for order in found:
            plan = await with_plans(unit).plans.open_for_order(order.reference)
            history = await unit.order_book.payments_for_order(order.reference)
            listed.append(OpenOrder(order, plan is not None, cancel_hold_until(history, now)))
        return listed

    async def show(self, customer: Customer) -> OrdersListed:
        """The customer's open orders, with whether each may be paid or declined."""
        async with self._units() as unit:
            return OrdersListed(tuple(await self.open_for(unit, customer)))

    async def decline(self, customer: Customer, reference: str) -> OrderDeclined:
        """Record "Not mine" for an order the customer may decline, and tell the staff."""
        now = self._clock()
        async with self._units() as unit:
            listed = await self.open_for(unit, customer)
            item = next((i for i in listed if i.order.reference == reference), None)
            if item is None or not item.declinable:
                return OrderDeclined(reference, accepted=False)
            if await _with_orders(unit).ways_out.decline(
                reference, customer.channel, customer.chat_key, now=now
            ):
                order = item.order
                declined = NotMine(order.reference, order.balance, sender_of(customer), customer.id)
                await self._alerts.not_mine(unit, declined, now=now)
            await unit.commit()
        return OrderDeclined(reference, accepted=True)


def _with_orders(unit: UnitOfWork) -> OpenOrdersUnitOfWork:
    if not isinstance(unit, OpenOrdersUnitOfWork):
        raise TypeError("this unit of work holds no open orders")
    return unit
