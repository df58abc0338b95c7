"""The refunds' reads: lookups, sums and report rows (the writes are in ``refunds``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.domain.records import Payment
from checkout.domain.refunds import Refund, RefundFailure, RefundMethod, RefundState, RefundTotal
from storage.models import OrderRow, PaymentRow, RefundRow
from storage.repositories.payments import to_payment

HOLDING: Final = tuple(state.value for state in RefundState if state.holds_money)
APPROVED: Final = tuple(state.value for state in RefundState if state.approved)
IN_FLIGHT: Final = (RefundState.SENDING.value, RefundState.SENT.value)


def to_refund(row: RefundRow) -> Refund:
    """The checkout record for a refund row."""
    return Refund(
        id=row.id,
        payment_id=row.payment_id,
        order_reference=row.order_reference,
        receipt=row.receipt,
        amount=row.amount,
        reason=row.reason,
        requested_by=row.requested_by,
        state=RefundState(row.state),
        requested_at=row.requested_at,
        method=RefundMethod(row.method) if row.method else None,
        approved_by=row.approved_by,
        decided_at=row.decided_at,
        over_limit=row.over_limit,
        originator_id=row.originator_id,
        conversation_id=row.conversation_id,
        attempts=row.attempts,
        sent_at=row.sent_at,
        finished_at=row.finished_at,
        transaction_id=row.transaction_id,
        result_code=row.result_code,
        result_description=row.result_description,
        failure=RefundFailure(row.failure) if row.failure else None,
        api_reference=row.api_reference,
        status_checks=row.status_checks,
        check_conversation_id=row.check_conversation_id,
    )


class RefundReads:
    """Read-only queries of the ``refunds`` table, on one session."""

    _session: AsyncSession

    async def payment_with_receipt(self, receipt: str) -> Payment | None:
        """The newest payment with this receipt, with its order's reference."""
        row = (
            await self._session.execute(
                select(PaymentRow, OrderRow.reference)
                .join(OrderRow, OrderRow.id == PaymentRow.order_id)
                .where(PaymentRow.receipt_number == receipt)
                .order_by(PaymentRow.id.desc())
                .limit(1)
            )
        ).first()
        return to_payment(row[0], row[1]) if row else None

    async def get(self, refund_id: int) -> Refund | None:
        """The refund with this id, or None."""
        row = await self._session.scalar(
            select(RefundRow)
            .where(RefundRow.id == refund_id)
            .execution_options(populate_existing=True)
        )
        return to_refund(row) if row else None

    async def by_api_reference(self, reference: str) -> Refund | None:
        """The refund the platform asked for with this reference, or None."""
        row = await self._session.scalar(
            select(RefundRow).where(RefundRow.api_reference == reference)
        )
        return to_refund(row) if row else None

    async def held_for_payment(self, payment_id: int) -> int:
        """The sum of this payment's refunds that may still (or did) go out."""
        total = await self._session.scalar(
            select(func.coalesce(func.sum(RefundRow.amount), 0)).where(
                RefundRow.payment_id == payment_id, RefundRow.state.in_(HOLDING)
            )
        )
        return int(total or 0)

    async def approved_since(self, since: datetime) -> int:
        """The sum of refunds approved at or after ``since`` that went (or may still go) out.

        A failed one does not count: no money left, and it may be asked for again.
        """
        total = await self._session.scalar(
            select(func.coalesce(func.sum(RefundRow.amount), 0)).where(
                RefundRow.decided_at >= since, RefundRow.state.in_(APPROVED)
            )
        )
        return int(total or 0)

    async def in_flight(
        self, *, originator_id: str | None, conversation_id: str | None, receipt: str | None
    ) -> Refund | None:
        """The refund in flight a result names (its ids, a status ask's id, else the receipt)."""
        matches = []
        if originator_id:
            matches.append(RefundRow.originator_id == originator_id)
        if conversation_id:
            matches.append(RefundRow.conversation_id == conversation_id)
            matches.append(RefundRow.check_conversation_id == conversation_id)
        row = None
        if matches:
            row = await self._session.scalar(
                select(RefundRow)
                .where(or_(*matches), RefundRow.state.in_(IN_FLIGHT))
                .order_by(RefundRow.id.desc())
                .limit(1)
                .execution_options(populate_existing=True)
            )
        if row is None and receipt:
            # A result can beat the call's own answer to us: a reversal names its receipt.
            row = await self._session.scalar(
                select(RefundRow)
                .where(
                    RefundRow.receipt == receipt,
                    RefundRow.method == RefundMethod.REVERSAL.value,
                    RefundRow.state.in_(IN_FLIGHT),
                )
                .order_by(RefundRow.id.desc())
                .limit(1)
                .execution_options(populate_existing=True)
            )
        return to_refund(row) if row else None

    async def next_due_at(self) -> datetime | None:
        """The earliest of: an approved refund (now), a lease running out, a status check."""
        approved = await self._session.scalar(
            select(func.min(RefundRow.decided_at)).where(
                RefundRow.state == RefundState.APPROVED.value
            )
        )
        lease: datetime | None = await self._session.scalar(
            select(func.min(RefundRow.claimed_until)).where(
                RefundRow.state == RefundState.SENDING.value
            )
        )
        check: datetime | None = await self._session.scalar(
            select(func.min(RefundRow.next_check_at)).where(
                RefundRow.state == RefundState.SENT.value
            )
        )
        due = [value for value in (approved, lease, check) if value is not None]
        return min(due) if due else None

    async def completed_totals(self, *, start: datetime, end: datetime) -> RefundTotal:
        """How many refunds completed in ``[start, end)`` and their sum."""
        row = (
            await self._session.execute(
                select(func.count(), func.coalesce(func.sum(RefundRow.amount), 0)).where(
                    RefundRow.state == RefundState.COMPLETED.value,
                    RefundRow.finished_at >= start,
                    RefundRow.finished_at < end,
                )
            )
        ).one()
        return RefundTotal(count=int(row[0]), amount=int(row[1]))

    async def completed_between(self, *, start: datetime, end: datetime) -> Sequence[Refund]:
        """Refunds completed in ``[start, end)``, oldest first."""
        rows = await self._session.scalars(
            select(RefundRow)
            .where(
                RefundRow.state == RefundState.COMPLETED.value,
                RefundRow.finished_at >= start,
                RefundRow.finished_at < end,
            )
            .order_by(RefundRow.finished_at, RefundRow.id)
        )
        return [to_refund(row) for row in rows]

    async def for_payments(self, payment_ids: Sequence[int]) -> Sequence[Refund]:
        """Every refund of these payments, oldest first."""
        if not payment_ids:
            return []
        rows = await self._session.scalars(
            select(RefundRow)
            .where(RefundRow.payment_id.in_(list(payment_ids)))
            .order_by(RefundRow.id)
        )
        return [to_refund(row) for row in rows]
