"""Payments: one row per STK push, settled exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.ports import NewPayment, Settlement
from checkout.records import Channel, Language, Payment, PaymentStatus
from storage.models import OrderRow, PaymentRow


def _language(value: str) -> Language:
    return "sw" if value == "sw" else "en"


def to_payment(row: PaymentRow, order_reference: str) -> Payment:
    """The checkout record for a payment row."""
    return Payment(
        id=row.id,
        order_reference=order_reference,
        customer_id=row.customer_id,
        channel=Channel(row.channel),
        chat_key=row.chat_key,
        amount=row.amount,
        phone=row.phone,
        status=PaymentStatus(row.status),
        created_at=row.created_at,
        merchant_request_id=row.merchant_request_id,
        checkout_request_id=row.checkout_request_id,
        result_code=row.result_code,
        result_description=row.result_description,
        receipt_number=row.receipt_number,
        settled_at=row.settled_at,
        language=_language(row.language),
        check_attempts=row.check_attempts,
    )


_WITH_REFERENCE = select(PaymentRow, OrderRow.reference).join(
    OrderRow, OrderRow.id == PaymentRow.order_id
)


class SqlPaymentRepository:
    """Payments in the ``payments`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create_pending(self, new: NewPayment, *, now: datetime) -> Payment:
        """Store a pending payment for an existing order, before its push is sent."""
        order_id = await self._session.scalar(
            select(OrderRow.id).where(OrderRow.reference == new.order_reference)
        )
        if order_id is None:
            raise LookupError(f"no order {new.order_reference!r}")
        row = PaymentRow(
            order_id=order_id,
            customer_id=new.customer_id,
            channel=new.channel.value,
            chat_key=new.chat_key,
            language=new.language,
            amount=new.amount,
            phone=new.phone,
            status=PaymentStatus.PENDING.value,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return to_payment(row, new.order_reference)

    async def get(self, payment_id: int) -> Payment | None:
        """The payment with this id, or None."""
        return await self._one(_WITH_REFERENCE.where(PaymentRow.id == payment_id))

    async def by_checkout_request_id(self, checkout_request_id: str) -> Payment | None:
        """The payment Daraja knows by this CheckoutRequestID, or None."""
        return await self._one(
            _WITH_REFERENCE.where(PaymentRow.checkout_request_id == checkout_request_id)
        )

    async def mark_requested(
        self, payment_id: int, *, merchant_request_id: str, checkout_request_id: str
    ) -> None:
        """Record the ids Daraja gave the accepted push."""
        await self._session.execute(
            update(PaymentRow)
            .where(PaymentRow.id == payment_id)
            .values(
                merchant_request_id=merchant_request_id,
                checkout_request_id=checkout_request_id,
            )
            .execution_options(synchronize_session=False)
        )

    async def settle(self, payment_id: int, settlement: Settlement, *, now: datetime) -> bool:
        """Settle a pending payment; False (and no change) if it was already settled.

        The ``status = 'pending'`` condition makes the UPDATE itself the guard, so two
        processes settling the same payment at once cannot both succeed.
        """
        result = await self._session.execute(
            update(PaymentRow)
            .where(
                PaymentRow.id == payment_id,
                PaymentRow.status == PaymentStatus.PENDING.value,
            )
            .values(
                status=settlement.status.value,
                result_code=settlement.result_code,
                result_description=settlement.result_description,
                receipt_number=settlement.receipt_number,
                settled_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def latest_for_chat(self, channel: Channel, chat_key: str) -> Payment | None:
        """The newest payment started from this chat."""
        found = await self.recent_for_chat(channel, chat_key, 1)
        return found[0] if found else None

    async def recent_for_chat(
        self, channel: Channel, chat_key: str, limit: int
    ) -> Sequence[Payment]:
        """The newest payments started from this chat, newest first."""
        rows = await self._session.execute(
            _WITH_REFERENCE.where(
                PaymentRow.channel == channel.value, PaymentRow.chat_key == chat_key
            )
            .order_by(PaymentRow.id.desc())
            .limit(limit)
        )
        return [to_payment(row, reference) for row, reference in rows]

    async def pending_for_order(self, order_reference: str) -> Sequence[Payment]:
        """Payments for this order still waiting for an outcome."""
        rows = await self._session.execute(
            _WITH_REFERENCE.where(
                OrderRow.reference == order_reference,
                PaymentRow.status == PaymentStatus.PENDING.value,
            ).order_by(PaymentRow.id)
        )
        return [to_payment(row, reference) for row, reference in rows]

    async def claim_for_check(
        self, *, now: datetime, created_before: datetime, limit: int, lease_seconds: float
    ) -> Sequence[Payment]:
        """Claim pending payments pushed before ``created_before`` whose check is due.

        Rows locked by another process are skipped (PostgreSQL), and the UPDATE re-checks that
        the check is still due, so each payment is claimed by one process at a time.
        """
        due = (
            PaymentRow.status == PaymentStatus.PENDING.value,
            PaymentRow.created_at <= created_before,
            or_(PaymentRow.next_check_at.is_(None), PaymentRow.next_check_at <= now),
        )
        ids = list(
            await self._session.scalars(
                select(PaymentRow.id)
                .where(*due)
                .order_by(PaymentRow.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        claimed = await self._session.scalars(
            update(PaymentRow)
            .where(PaymentRow.id.in_(ids), *due)
            .values(
                next_check_at=now + timedelta(seconds=lease_seconds),
                check_attempts=PaymentRow.check_attempts + 1,
            )
            .returning(PaymentRow.id)
            .execution_options(synchronize_session=False)
        )
        claimed_ids = sorted(claimed)
        found = await self._session.execute(
            _WITH_REFERENCE.where(PaymentRow.id.in_(claimed_ids))
            .order_by(PaymentRow.id)
            .execution_options(populate_existing=True)
        )
        return [to_payment(row, reference) for row, reference in found]

    async def unrequested(self, *, amount: int, created_after: datetime) -> Sequence[Payment]:
        """Pending payments of ``amount`` whose push got no answer (no CheckoutRequestID)."""
        rows = await self._session.execute(
            _WITH_REFERENCE.where(
                PaymentRow.status == PaymentStatus.PENDING.value,
                PaymentRow.checkout_request_id.is_(None),
                PaymentRow.amount == amount,
                PaymentRow.created_at > created_after,
            ).order_by(PaymentRow.id)
        )
        return [to_payment(row, reference) for row, reference in rows]

    async def schedule_check(self, payment_id: int, *, at: datetime) -> None:
        """Ask about a pending payment again at ``at``."""
        await self._session.execute(
            update(PaymentRow)
            .where(PaymentRow.id == payment_id)
            .values(next_check_at=at)
            .execution_options(synchronize_session=False)
        )

    async def _one(self, statement: object) -> Payment | None:
        result = await self._session.execute(
            statement.execution_options(populate_existing=True)  # type: ignore[attr-defined]
        )
        found = result.first()
        return to_payment(found[0], found[1]) if found else None
