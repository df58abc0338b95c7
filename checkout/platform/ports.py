"""What the platform's order desk needs from storage: listing, changing and cancelling orders,
and reading plans.

An order may change (amount, description) or be cancelled only while no money moved on it:
nothing paid, no M-Pesa prompt waiting for its answer, no Buy-Now-Pay-Later plan. Storage
checks those conditions in the very statement that changes the order, so a payment starting
at the same moment cannot slip between the check and the change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from checkout.bnpl.records import Plan
from checkout.domain.records import Order, OrderStatus, Payment
from checkout.payments.ports import OrderBookRepository
from checkout.refunds.ports import RefundUnitOfWork


class Blocker(StrEnum):
    """Why an order can no longer change or be cancelled; the API's refusal ``code``."""

    ORDER_PAID = "order_paid"  # something was paid on it (part or all)
    ORDER_REFUNDED = "order_refunded"  # money was paid and went back: it is closed
    ORDER_CANCELLED = "order_cancelled"  # it was cancelled (only for changes)
    PAYMENT_IN_FLIGHT = "payment_in_flight"  # an M-Pesa prompt awaits its answer
    PLAN_EXISTS = "plan_exists"  # a Buy-Now-Pay-Later plan was made for it


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """An order with its row id and times (what the platform lists and pages by)."""

    id: int
    order: Order
    created_at: datetime
    updated_at: datetime

    @property
    def cancelled_at(self) -> datetime | None:
        """When it was cancelled: a cancelled order never changes again after that."""
        return self.updated_at if self.order.status is OrderStatus.CANCELLED else None


@dataclass(frozen=True, slots=True)
class OrderCursor:
    """Where a page of orders ended: the last order's creation time and id."""

    created_at: datetime
    order_id: int


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders to list: of one status (None: any), created in ``[since, before)``."""

    status: OrderStatus | None = None
    since: datetime | None = None
    before: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of orders, oldest created first, and where the next page starts (None: last)."""

    orders: tuple[ListedOrder, ...]
    next_cursor: OrderCursor | None


class PlatformOrderBook(OrderBookRepository, Protocol):
    """The order book with what the platform's desk adds."""

    async def listed(self, reference: str) -> ListedOrder | None:
        """The order with this reference and its times, or None."""
        ...

    async def order_page(
        self, chosen: OrderFilter, *, after: OrderCursor | None, limit: int
    ) -> OrderPage:
        """Orders ``chosen`` selects, past ``after``, by creation time and id."""
        ...

    async def payments_for_orders(self, references: Sequence[str]) -> Sequence[Payment]:
        """Every payment made against these orders, oldest first."""
        ...

    async def change_terms(
        self, reference: str, *, amount_due: int, description: str | None, now: datetime
    ) -> Order | None:
        """Set the amount and description of an open order no money moved on; None (and no
        change) when the order is missing or money moved (see :meth:`blocker`)."""
        ...

    async def cancel(self, reference: str, *, now: datetime) -> Order | None:
        """Cancel an open order no money moved on; None (and no change) otherwise."""
        ...

    async def blocker(self, reference: str) -> Blocker | None:
        """Why this order cannot change now, or None if nothing stops it."""
        ...


class PlatformPlans(Protocol):
    """The Buy-Now-Pay-Later plans, read by the platform."""

    async def get(self, plan_id: int) -> Plan | None:
        """The plan with this id, or None."""
        ...

    async def for_order(self, order_reference: str) -> Sequence[Plan]:
        """Every plan made for this order (any status), oldest first."""
        ...


class PlatformUnitOfWork(RefundUnitOfWork, Protocol):
    """The unit of work the platform's desk runs in."""

    @property
    def order_book(self) -> PlatformOrderBook:
        """The order book of this unit."""
        ...

    @property
    def plans(self) -> PlatformPlans:
        """The plans of this unit."""
        ...


PlatformUnitOfWorkFactory = Callable[[], PlatformUnitOfWork]

# An order as its payment page reads it: the order, its payments (oldest first), its open plan.
OrderSnapshot = tuple[Order, Sequence[Payment], Plan | None]


class OrderReads(Protocol):
    """How the payment page reads an order: through the units of work
    (``web.payment_page.PoolOrderReads``) or, on SQLite, in the event loop's own thread
    (``storage.inline_reads.InlineOrderReads``)."""

    async def __call__(self, reference: str, *, with_plan: bool) -> OrderSnapshot | None:
        """The order with this reference, its payments, and (``with_plan``, and the order
        has payments: a plan's deposit is one) its open plan; None if there is no such order."""
        ...
