"""The platform's order desk: list orders, change or cancel them while no money moved, read
their refunds and Buy-Now-Pay-Later plans.

Changing and cancelling are refused, with the reason (:class:`~checkout.platform.ports.Blocker`),
once money moved: something paid, an M-Pesa prompt waiting for its answer, or a plan. A refusal
changes nothing. Cancelling is idempotent: a cancelled order cancelled again is answered as it
is. Each change queues its event (``order.updated``, ``order.cancelled``) in the transaction
that makes it, so the event goes out once the change is committed and never without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checkout.bnpl.records import Plan
from checkout.domain.records import OrderStatus, Payment
from checkout.domain.refunds import Refund
from checkout.domain.time import Clock
from checkout.platform.events import EventPublisher
from checkout.platform.ports import (
    Blocker,
    ListedOrder,
    OrderCursor,
    OrderFilter,
    PlatformUnitOfWork,
    PlatformUnitOfWorkFactory,
)

MAX_ORDER_PAGE = 500


@dataclass(frozen=True, slots=True)
class OrderChange:
    """A checked change of an order's terms: the new amount and description (None: keep it).

    ``description_given`` tells a description set to nothing from one left as it was.
    """

    amount: int | None = None
    description: str | None = None
    description_given: bool = False


@dataclass(frozen=True, slots=True)
class OrderDetails:
    """An order with its times, payments (oldest first) and the refunds of those payments."""

    listed: ListedOrder
    payments: tuple[Payment, ...]
    refunds: tuple[Refund, ...]


@dataclass(frozen=True, slots=True)
class DetailsPage:
    """A page of orders with their details, and where the next one starts (None: last)."""

    orders: tuple[OrderDetails, ...]
    next_cursor: OrderCursor | None


class OrderMissing(LookupError):
    """No order has this reference."""


class OrderBlocked(Exception):
    """The order cannot change or be cancelled: ``blocker`` says why; nothing changed."""

    def __init__(self, reference: str, blocker: Blocker) -> None:
        super().__init__(f"order {reference}: {blocker.value}")
        self.reference = reference
        self.blocker = blocker


class OrderDesk:
    """What the business's platform does to its orders beyond creating them."""

    def __init__(
        self,
        units: PlatformUnitOfWorkFactory,
        *,
        clock: Clock,
        events: EventPublisher | None = None,
    ) -> None:
        self._units = units
        self._clock = clock
        self._events = events

    async def details(self, reference: str) -> OrderDetails | None:
        """The order, its payments and their refunds, or None."""
        async with self._units() as unit:
            listed = await unit.order_book.listed(reference)
            if listed is None:
                return None
            [found] = await _with_details(unit, (listed,))
        return found

    async def page(
        self, chosen: OrderFilter, *, after: OrderCursor | None = None, limit: int = 100
    ) -> DetailsPage:
        """Orders ``chosen`` selects, oldest created first, a page at a time."""
        if not 1 <= limit <= MAX_ORDER_PAGE:
            raise ValueError(f"limit must be from 1 to {MAX_ORDER_PAGE}")
        async with self._units() as unit:
            page = await unit.order_book.order_page(chosen, after=after, limit=limit)
            orders = await _with_details(unit, page.orders)
        return DetailsPage(orders=tuple(orders), next_cursor=page.next_cursor)

    async def change(self, reference: str, change: OrderChange) -> OrderDetails:
        """Set the order's amount and/or description; raises :class:`OrderMissing` or
        :class:`OrderBlocked` (nothing changed), also when the terms are the same as now."""
        now = self._clock()
        async with self._units() as unit:
            listed = await unit.order_book.listed(reference)
            if listed is None:
                raise OrderMissing(reference)
            order = listed.order
            amount = change.amount if change.amount is not None else order.amount_due
            description = change.description if change.description_given else order.description
            changed = await unit.order_book.change_terms(
                reference, amount_due=amount, description=description, now=now
            )
            if changed is None:
                raise OrderBlocked(reference, await _why(unit, reference))
            # The same terms again (a retried request) are answered without an event.
            if self._events is not None and changed != order:
                await self._events.order_updated(unit, changed, order)
            listed = await unit.order_book.listed(reference)
            assert listed is not None  # changed in this very transaction
            [found] = await _with_details(unit, (listed,))
            await unit.commit()
        return found

    async def cancel(self, reference: str) -> OrderDetails:
        """Cancel the order; raises :class:`OrderMissing` or :class:`OrderBlocked`. A cancelled
        order is answered as it is (cancelling is idempotent)."""
        now = self._clock()
        async with self._units() as unit:
            listed = await unit.order_book.listed(reference)
            if listed is None:
                raise OrderMissing(reference)
            if listed.order.status is not OrderStatus.CANCELLED:
                cancelled = await unit.order_book.cancel(reference, now=now)
                if cancelled is None:
                    raise OrderBlocked(reference, await _why(unit, reference))
                if self._events is not None:
                    await self._events.order_cancelled(unit, cancelled)
                listed = await unit.order_book.listed(reference)
                assert listed is not None  # cancelled in this very transaction
            [found] = await _with_details(unit, (listed,))
            await unit.commit()
        return found

    async def plan(self, plan_id: int) -> Plan | None:
        """The Buy-Now-Pay-Later plan with this id, or None."""
        async with self._units() as unit:
            return await unit.plans.get(plan_id)

    async def plans_for(self, reference: str) -> Sequence[Plan] | None:
        """Every plan made for the order, oldest first; None if there is no such order."""
        async with self._units() as unit:
            if await unit.orders.get(reference) is None:
                return None
            return await unit.plans.for_order(reference)


async def _why(unit: PlatformUnitOfWork, reference: str) -> Blocker:
    # The UPDATE found a reason not to change it; name it. A prompt started and settled in
    # between (no reason left now) still was money moving when the change was tried.
    return await unit.order_book.blocker(reference) or Blocker.PAYMENT_IN_FLIGHT


async def _with_details(
    unit: PlatformUnitOfWork, listed: Sequence[ListedOrder]
) -> list[OrderDetails]:
    """Each order with its payments and their refunds, read in two queries for all of them."""
    payments = await unit.order_book.payments_for_orders([item.order.reference for item in listed])
    refunds = (
        await unit.refunds.for_payments([payment.id for payment in payments]) if payments else []
    )
    by_order: dict[str, list[Payment]] = {}
    for payment in payments:
        by_order.setdefault(payment.order_reference, []).append(payment)
    refunds_by_order: dict[str, list[Refund]] = {}
    for refund in refunds:
        refunds_by_order.setdefault(refund.order_reference, []).append(refund)
    return [
        OrderDetails(
            listed=item,
            payments=tuple(by_order.get(item.order.reference, ())),
            refunds=tuple(refunds_by_order.get(item.order.reference, ())),
        )
        for item in listed
    ]
