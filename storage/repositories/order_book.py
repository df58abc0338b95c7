"""The order book: orders created by staff and the platform, their payments, settled pages;
listing, changing and cancelling orders for the platform."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, and_, bindparam, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.bnpl.records import PlanStatus
from checkout.domain.records import Order, OrderStatus, Payment, PaymentStatus
from checkout.domain.summaries import PaymentCursor, PaymentPage
from checkout.platform.ports import Blocker, ListedOrder, OrderCursor, OrderFilter, OrderPage
from storage.models import OrderRow, PlanRow
from storage.repositories.orders import ORDER_FIELDS, to_labelled_order, to_order
from storage.repositories.payments import (
    ORDERS,
    PAYMENTS,
    PAYMENTS_WITH_REFERENCE,
    to_payment,
    to_payments,
)

_PAYMENT = PAYMENTS.c
_ORDER = ORDERS.c
_PLANS = cast(Table, PlanRow.__table__)
# Money moved on an order once one of its payments is paid (or paid another amount than
# asked), and may move while one is pending: its prompt can still be answered.
_MONEY_MOVED = (PaymentStatus.PAID.value, PaymentStatus.MISMATCHED.value)


# An order's page in one statement: each of its payments' columns beside the order's (named
# ``order_<column>``), oldest payment first; an order without payments is one row whose
# payment columns are all NULL. Built once, so its cache key is computed once.
_ORDER_WITH_PAYMENTS = (
    select(*PAYMENTS.c, *(ORDERS.c[name].label(f"order_{name}") for name in ORDER_FIELDS))
    .select_from(ORDERS.outerjoin(PAYMENTS, _PAYMENT.order_id == _ORDER.id))
    .where(_ORDER.reference == bindparam("reference"))
    .order_by(_PAYMENT.id)
)


def _payments_of_order(*statuses: str) -> ColumnElement[bool]:
    return exists().where(_PAYMENT.order_id == _ORDER.id, _PAYMENT.status.in_(statuses))


def _live_plan() -> ColumnElement[bool]:
    # A plan dropped before its deposit took no money; any other plan has or will.
    return exists().where(
        _PLANS.c.order_id == _ORDER.id, _PLANS.c.status != PlanStatus.CANCELLED.value
    )


def _untouched() -> ColumnElement[bool]:
    """An open order no money moved on: nothing paid, no prompt in flight, no plan."""
    return and_(
        _ORDER.status == OrderStatus.OPEN.value,
        _ORDER.amount_paid == 0,
        ~_payments_of_order(PaymentStatus.PENDING.value, *_MONEY_MOVED),
        ~_live_plan(),
    )


def _listed(row: Row[Any]) -> ListedOrder:
    return ListedOrder(
        id=row.id, order=to_order(row), created_at=row.created_at, updated_at=row.updated_at
    )


class SqlOrderBookRepository:
    """Implements ``checkout.payments.ports.OrderBookRepository`` on the orders and payments
    tables."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create_if_absent(
        self,
        reference: str,
        amount_due: int,
        *,
        description: str | None,
        customer_phone: str | None,
        now: datetime,
    ) -> Order | None:
        """Create an open, known order; None (and no change) if the reference is taken.

        One INSERT ... ON CONFLICT DO NOTHING: two requests racing for one reference cannot
        both create it, and neither fails.
        """
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        created = await self._session.scalar(
            insert(OrderRow)
            .values(
                reference=reference,
                amount_due=amount_due,
                amount_paid=0,
                status=OrderStatus.OPEN.value,
                known=True,
                description=description,
                customer_phone=customer_phone,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["reference"])
            .returning(OrderRow)
        )
        return to_order(created) if created is not None else None

    async def payments_for_order(self, reference: str) -> Sequence[Payment]:
        """Every payment made against this order, oldest first."""
        rows = await self._session.execute(
            PAYMENTS_WITH_REFERENCE.where(ORDERS.c.reference == reference).order_by(_PAYMENT.id)
        )
        return to_payments(rows)

    async def order_with_payments(self, reference: str) -> tuple[Order, Sequence[Payment]] | None:
        """The order with this reference and every payment made against it (oldest first),
        read together in one statement; None if there is no such order."""
        rows = (await self._session.execute(_ORDER_WITH_PAYMENTS, {"reference": reference})).all()
        if not rows:
            return None
        order = to_labelled_order(rows[0])
        payments = [to_payment(row, order.reference) for row in rows if row.id is not None]
        return order, payments

    async def settled_page(
        self, *, since: datetime, after: PaymentCursor | None, limit: int
    ) -> PaymentPage:
        """Payments settled at or after ``since`` (past ``after``), by settle time and id."""
        statement = PAYMENTS_WITH_REFERENCE.where(
            _PAYMENT.settled_at.is_not(None), _PAYMENT.settled_at >= since
        )
        if after is not None:
            statement = statement.where(
                or_(
                    _PAYMENT.settled_at > after.settled_at,
                    and_(
                        _PAYMENT.settled_at == after.settled_at,
                        _PAYMENT.id > after.payment_id,
                    ),
                )
            )
        rows = await self._session.execute(
            statement.order_by(_PAYMENT.settled_at, _PAYMENT.id).limit(limit + 1)
        )
        payments = to_payments(rows)
        page = tuple(payments[:limit])
        cursor = None
        if len(payments) > limit:
            last = page[-1]
            assert last.settled_at is not None  # selected for being settled
            cursor = PaymentCursor(settled_at=last.settled_at, payment_id=last.id)
        return PaymentPage(payments=page, next_cursor=cursor)

    async def listed(self, reference: str) -> ListedOrder | None:
        """The order with this reference and its times, or None."""
        row = (
            await self._session.execute(select(ORDERS).where(_ORDER.reference == reference))
        ).first()
        return _listed(row) if row is not None else None

    async def order_page(
        self, chosen: OrderFilter, *, after: OrderCursor | None, limit: int
    ) -> OrderPage:
        """Orders ``chosen`` selects, past ``after``, by creation time and id."""
        statement = select(ORDERS)
        if chosen.status is not None:
            statement = statement.where(_ORDER.status == chosen.status.value)
        if chosen.since is not None:
            statement = statement.where(_ORDER.created_at >= chosen.since)
        if chosen.before is not None:
            statement = statement.where(_ORDER.created_at < chosen.before)
        if after is not None:
            statement = statement.where(
                or_(
                    _ORDER.created_at > after.created_at,
                    and_(_ORDER.created_at == after.created_at, _ORDER.id > after.order_id),
                )
            )
        rows = await self._session.execute(
            statement.order_by(_ORDER.created_at, _ORDER.id).limit(limit + 1)
        )
        found = [_listed(row) for row in rows]
        page = tuple(found[:limit])
        cursor = None
        if len(found) > limit:
            cursor = OrderCursor(created_at=page[-1].created_at, order_id=page[-1].id)
        return OrderPage(orders=page, next_cursor=cursor)

    async def payments_for_orders(self, references: Sequence[str]) -> Sequence[Payment]:
        """Every payment made against these orders, oldest first."""
        if not references:
            return []
        rows = await self._session.execute(
            PAYMENTS_WITH_REFERENCE.where(ORDERS.c.reference.in_(list(references))).order_by(
                _PAYMENT.id
            )
        )
        return to_payments(rows)

    async def change_terms(
        self, reference: str, *, amount_due: int, description: str | None, now: datetime
    ) -> Order | None:
        """Set the amount and description of an open order no money moved on; None (and no
        change) when the order is missing or money moved (see :meth:`blocker`).

        One UPDATE whose condition is the check: nothing can start paying the order between
        the check and the change.
        """
        return await self._update_untouched(
            reference, amount_due=amount_due, description=description, updated_at=now
        )

    async def cancel(self, reference: str, *, now: datetime) -> Order | None:
        """Cancel an open order no money moved on; None (and no change) otherwise."""
        return await self._update_untouched(
            reference, status=OrderStatus.CANCELLED.value, updated_at=now
        )

    async def _update_untouched(self, reference: str, **values: object) -> Order | None:
        # Wait for a payment being started on it (which holds its row, see
        # ``SqlOrderRepository.hold``) to commit; the UPDATE, a statement after the wait,
        # then sees that payment (PostgreSQL; SQLite runs one writer at a time anyway).
        await self._session.execute(
            select(_ORDER.id).where(_ORDER.reference == reference).with_for_update()
        )
        row = (
            await self._session.execute(
                update(ORDERS)
                .where(_ORDER.reference == reference, _untouched())
                .values(**values)
                .returning(*ORDERS.c)
            )
        ).first()
        return to_order(row) if row is not None else None

    async def blocker(self, reference: str) -> Blocker | None:
        """Why this order cannot change now, or None if nothing stops it (or it is missing)."""
        row = (
            await self._session.execute(
                select(
                    _ORDER.status,
                    _ORDER.amount_paid,
                    _payments_of_order(PaymentStatus.PENDING.value).label("in_flight"),
                    _payments_of_order(*_MONEY_MOVED).label("moved"),
                    _live_plan().label("plan"),
                ).where(_ORDER.reference == reference)
            )
        ).first()
        if row is None:
            return None
        if row.status == OrderStatus.CANCELLED.value:
            return Blocker.ORDER_CANCELLED
        if row.status == OrderStatus.REFUNDED.value:
            return Blocker.ORDER_REFUNDED
        if row.amount_paid > 0 or row.status != OrderStatus.OPEN.value or row.moved:
            return Blocker.ORDER_PAID
        if row.in_flight:
            return Blocker.PAYMENT_IN_FLIGHT
        if row.plan:
            return Blocker.PLAN_EXISTS
        return None
