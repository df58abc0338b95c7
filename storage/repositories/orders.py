"""Orders by reference."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Integer, Row, Table, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningUpdate

from checkout.domain.records import Order, OrderStatus
from storage.models import OrderRow
from storage.repositories.write_turn import take_write_turn


def to_order(row: OrderRow | Row[Any]) -> Order:
    """The checkout record for an order row (an ORM object or a Core row)."""
    return Order(
        reference=row.reference,
        amount_due=row.amount_due,
        amount_paid=row.amount_paid,
        status=OrderStatus(row.status),
        known=row.known,
        description=row.description,
        customer_phone=row.customer_phone,
    )


# The columns an Order is made of, for statements that read them beside another table's
# under the names ``order_<column>`` (see :func:`to_labelled_order`).
ORDER_FIELDS = (
    "reference",
    "amount_due",
    "amount_paid",
    "status",
    "known",
    "description",
    "customer_phone",
)


def to_labelled_order(row: Row[Any]) -> Order:
    """The checkout record for a row holding the order's columns as ``order_<column>``."""
    return Order(
        reference=row.order_reference,
        amount_due=row.order_amount_due,
        amount_paid=row.order_amount_paid,
        status=OrderStatus(row.order_status),
        known=row.order_known,
        description=row.order_description,
        customer_phone=row.order_customer_phone,
    )


# Settling statements are Core on the table (no ORM bookkeeping per statement).
_ORDERS = cast(Table, OrderRow.__table__)
# What an UPDATE ... RETURNING gives back to build an Order without reading it again: every
# column of the table, so the Order is whole (an ``order.paid`` event shows its phone).
_ORDER_COLUMNS = tuple(_ORDERS.c)


def _crediting(added: Any) -> ReturningUpdate[Any]:
    """The UPDATE adding ``added`` to orders' amount paid, the status following; every
    column returned (the caller adds which orders)."""
    paid = _ORDERS.c.amount_paid + added
    return (
        update(_ORDERS)
        .values(
            amount_paid=paid,
            status=case(
                (_ORDERS.c.amount_due <= paid, OrderStatus.PAID.value),
                else_=OrderStatus.PARTLY_PAID.value,
            ),
            updated_at=bindparam("b_now"),
        )
        .returning(*_ORDER_COLUMNS)
    )


# Built once: a prepared statement object keeps its cache key, which is costly to compute.
_RECORD_PAID = _crediting(bindparam("b_amount")).where(
    _ORDERS.c.reference == bindparam("b_reference")
)


@functools.lru_cache(maxsize=128)
def _record_paid_many(size: int) -> ReturningUpdate[Any]:
    """:data:`_RECORD_PAID` for ``size`` orders at once, built once per size.

    The amount each order is paid is a CASE on its reference over bound parameters
    ``b_reference_<n>`` and ``b_amount_<n>``, so the statement, its cache key and its compiled
    form are reused: a CASE of the batch's literals was built and keyed anew for every batch.
    """
    references = [
        bindparam(f"b_reference_{n}", type_=_ORDERS.c.reference.type) for n in range(size)
    ]
    added = case(
        *((references[n], bindparam(f"b_amount_{n}", type_=Integer())) for n in range(size)),
        value=_ORDERS.c.reference,
        else_=0,
    )
    return _crediting(added).where(_ORDERS.c.reference.in_(references))


# Every checkout step that names an order reads it by reference.
_BY_REFERENCE = select(_ORDERS).where(_ORDERS.c.reference == bindparam("reference"))


class SqlOrderRepository:
    """Orders in the ``orders`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, reference: str) -> Order | None:
        """The order with this reference, or None."""
        row = (await self._session.execute(_BY_REFERENCE, {"reference": reference})).first()
        return to_order(row) if row else None

    async def hold(self, reference: str) -> Order | None:
        """The order with this reference, its row locked until the transaction ends.

        A payment being started and the platform cancelling or changing the order take
        turns. On PostgreSQL the row is locked (``FOR UPDATE``). On SQLite the whole
        database is: the driver begins a transaction only at its first write, so without a
        write first, what is read here and after (the balance, the pushes already pending)
        could change before this transaction's own insert; two pushes for one order with no
        push limit to hold them (the plan collector's) both went out. So the write lock is
        taken first (:func:`storage.repositories.write_turn.take_write_turn`).
        """
        await take_write_turn(self._session)
        row = (
            await self._session.execute(_BY_REFERENCE.with_for_update(), {"reference": reference})
        ).first()
        return to_order(row) if row else None

    async def create(
        self, reference: str, amount_due: int, *, known: bool, description: str | None = None
    ) -> Order:
        """Create an open order; raises IntegrityError if the reference exists."""
        now = datetime.now(UTC)
        row = OrderRow(
            reference=reference,
            amount_due=amount_due,
            amount_paid=0,
            status=OrderStatus.OPEN.value,
            known=known,
            description=description,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return to_order(row)

    async def raise_amount_due(self, reference: str, amount_due: int) -> Order:
        """Set a larger amount due; the status follows (a paid order becomes partly paid)."""
        await self._session.execute(
            update(OrderRow)
            .where(OrderRow.reference == reference, OrderRow.amount_due < amount_due)
            .values(
                amount_due=amount_due,
                status=case(
                    (OrderRow.amount_paid >= amount_due, OrderStatus.PAID.value),
                    (OrderRow.amount_paid > 0, OrderStatus.PARTLY_PAID.value),
                    else_=OrderStatus.OPEN.value,
                ),
                updated_at=datetime.now(UTC),
            )
            .execution_options(synchronize_session=False)
        )
        return await self._reload(reference)

    async def record_paid(self, reference: str, amount: int) -> Order:
        """Add ``amount`` to what has been paid and update the status, in one statement."""
        row = (
            await self._session.execute(
                _RECORD_PAID,
                {"b_reference": reference, "b_amount": amount, "b_now": datetime.now(UTC)},
            )
        ).first()
        if row is None:
            raise LookupError(f"no order {reference!r}")
        return to_order(row)

    async def record_paid_many(self, amounts: dict[str, int]) -> dict[str, Order]:
        """:meth:`record_paid` for several orders in one statement; the orders after it."""
        if not amounts:
            return {}
        if len(amounts) == 1:  # the usual batch: the prebuilt statement
            [(reference, amount)] = amounts.items()
            return {reference: await self.record_paid(reference, amount)}
        parameters: dict[str, Any] = {"b_now": datetime.now(UTC)}
        for n, (reference, amount) in enumerate(amounts.items()):
            parameters[f"b_reference_{n}"] = reference
            parameters[f"b_amount_{n}"] = amount
        rows = await self._session.execute(_record_paid_many(len(amounts)), parameters)
        return {row.reference: to_order(row) for row in rows}

    async def _reload(self, reference: str) -> Order:
        row = await self._session.scalar(
            select(OrderRow)
            .where(OrderRow.reference == reference)
            .execution_options(populate_existing=True)
        )
        if row is None:
            raise LookupError(f"no order {reference!r}")
        return to_order(row)
