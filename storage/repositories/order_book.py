"""The order book: orders created by staff and the platform, their payments, settled pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.domain.records import Order, OrderStatus, Payment
from checkout.domain.summaries import PaymentCursor, PaymentPage
from storage.models import OrderRow
from storage.repositories.orders import to_order
from storage.repositories.payments import ORDERS, PAYMENTS, PAYMENTS_WITH_REFERENCE, to_payments

_PAYMENT = PAYMENTS.c


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
