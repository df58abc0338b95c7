"""Refunds in the ``refunds`` table; implements ``checkout.refunds.ports.RefundRepository``.

Every change of state is one UPDATE conditional on the state it leaves, so of two presses, two
results or two processes exactly one changes a refund. Claims lock rows with SKIP LOCKED on
PostgreSQL and re-check the state in the UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import case, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.domain.records import Order, OrderStatus
from checkout.domain.refunds import (
    Refund,
    RefundMethod,
    RefundState,
)
from checkout.refunds.ports import NewRefund, RefundEnd
from storage.models import OrderRow, RefundRow
from storage.repositories.orders import to_order
from storage.repositories.refund_reads import IN_FLIGHT, RefundReads, to_refund

# Any constant does: every process takes the same transaction-scoped lock for refund sums.
_LOCK_KEY: Final = 0x4C495041_15
MAX_TEXT: Final = 500


class SqlRefundRepository(RefundReads):
    """Refunds on one session (the unit of work's)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _postgresql(self) -> bool:
        bind = self._session.bind
        return bind is not None and bind.dialect.name == "postgresql"

    async def lock(self) -> None:
        """Hold the refunds lock until the transaction ends (PostgreSQL; SQLite: no-op)."""
        if self._postgresql():
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY}
            )

    async def take_back(self, reference: str, amount: int, *, now: datetime) -> Order:
        """Subtract ``amount`` from what is paid, never below 0; ``refunded`` when 0 is left."""
        # SQLite's two-argument max() is PostgreSQL's greatest().
        largest = func.greatest if self._postgresql() else func.max
        left: Any = largest(OrderRow.amount_paid - amount, 0)
        row = (
            await self._session.execute(
                update(OrderRow)
                .where(OrderRow.reference == reference)
                .values(
                    amount_paid=left,
                    status=case(
                        (left <= 0, OrderStatus.REFUNDED.value),
                        (left >= OrderRow.amount_due, OrderStatus.PAID.value),
                        else_=OrderStatus.PARTLY_PAID.value,
                    ),
                    updated_at=now,
                )
                .returning(*OrderRow.__table__.c)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if row is None:
            raise LookupError(f"no order {reference!r}")
        return to_order(row)

    async def add(self, new: NewRefund, *, now: datetime) -> Refund:
        """Store a request (state ``requested``)."""
        row = RefundRow(
            payment_id=new.payment_id,
            order_reference=new.order_reference,
            receipt=new.receipt,
            amount=new.amount,
            reason=new.reason,
            requested_by=new.requested_by,
            state=RefundState.REQUESTED.value,
            over_limit=False,
            attempts=0,
            status_checks=0,
            api_reference=new.api_reference,
            requested_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return to_refund(row)

    async def decide(
        self,
        refund_id: int,
        *,
        state: RefundState,
        by: str | None,
        now: datetime,
        over_limit: bool = False,
    ) -> Refund | None:
        """Move a requested refund to ``state``; None if it was not requested any more."""
        values: dict[str, Any] = {"state": state.value, "decided_at": now, "updated_at": now}
        if state is RefundState.APPROVED:
            values |= {"approved_by": by, "over_limit": over_limit}
        elif by is not None:
            values["approved_by"] = by  # who rejected it
        row = await self._session.scalar(
            update(RefundRow)
            .where(RefundRow.id == refund_id, RefundRow.state == RefundState.REQUESTED.value)
            .values(**values)
            .returning(RefundRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return to_refund(row) if row else None

    async def expire_older(self, *, requested_before: datetime, now: datetime) -> Sequence[Refund]:
        """Expire every request made before ``requested_before``."""
        rows = await self._session.scalars(
            update(RefundRow)
            .where(
                RefundRow.state == RefundState.REQUESTED.value,
                RefundRow.requested_at < requested_before,
            )
            .values(state=RefundState.EXPIRED.value, decided_at=now, updated_at=now)
            .returning(RefundRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return sorted((to_refund(row) for row in rows), key=lambda refund: refund.id)

    async def claim_approved(
        self, *, now: datetime, lease_seconds: float, limit: int
    ) -> Sequence[Refund]:
        """Claim approved refunds (state ``sending``) for ``lease_seconds``."""
        approved = RefundRow.state == RefundState.APPROVED.value
        ids = list(
            await self._session.scalars(
                select(RefundRow.id)
                .where(approved)
                .order_by(RefundRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        rows = await self._session.scalars(
            update(RefundRow)
            .where(RefundRow.id.in_(ids), approved)
            .values(
                state=RefundState.SENDING.value,
                claimed_until=now + timedelta(seconds=lease_seconds),
                call_started_at=None,
                updated_at=now,
            )
            .returning(RefundRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return sorted((to_refund(row) for row in rows), key=lambda refund: refund.id)

    async def release_unstarted(self, *, now: datetime) -> Sequence[Refund]:
        """Leases that ran out: unstarted ones back to approved, started ones to ``sent``."""
        expired = (
            RefundRow.state == RefundState.SENDING.value,
            RefundRow.claimed_until < now,
        )
        back = await self._session.scalars(
            update(RefundRow)
            .where(*expired, RefundRow.call_started_at.is_(None))
            .values(state=RefundState.APPROVED.value, claimed_until=None, updated_at=now)
            .returning(RefundRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        moved = [to_refund(row) for row in back]
        # The call may have reached Daraja: wait for its result, and ask if none comes.
        unknown = await self._session.scalars(
            update(RefundRow)
            .where(*expired, RefundRow.call_started_at.is_not(None))
            .values(
                state=RefundState.SENT.value,
                claimed_until=None,
                sent_at=func.coalesce(RefundRow.sent_at, now),
                next_check_at=now,
                updated_at=now,
            )
            .returning(RefundRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        moved += [to_refund(row) for row in unknown]
        return sorted(moved, key=lambda refund: refund.id)

    async def start_call(
        self, refund_id: int, *, method: RefundMethod, originator_id: str, now: datetime
    ) -> bool:
        """Record the call about to be made; False if the refund is not held for sending."""
        result = await self._session.execute(
            update(RefundRow)
            .where(
                RefundRow.id == refund_id,
                RefundRow.state == RefundState.SENDING.value,
                RefundRow.claimed_until >= now,
            )
            .values(
                method=method.value,
                originator_id=originator_id,
                conversation_id=None,
                call_started_at=now,
                attempts=RefundRow.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def mark_sent(
        self,
        refund_id: int,
        *,
        originator_id: str | None,
        conversation_id: str | None,
        now: datetime,
        check_at: datetime | None = None,
    ) -> None:
        """``sent``: Daraja took it (or may have); its ids kept, a status check at ``check_at``."""
        values: dict[str, Any] = {
            "state": RefundState.SENT.value,
            "claimed_until": None,
            "sent_at": now,
            "next_check_at": check_at,
            "conversation_id": conversation_id,
            "updated_at": now,
        }
        if originator_id is not None:
            values["originator_id"] = originator_id
        await self._session.execute(
            update(RefundRow)
            .where(RefundRow.id == refund_id, RefundRow.state == RefundState.SENDING.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def requeue(self, refund_id: int, *, now: datetime) -> bool:
        """A reversal Daraja refused after all: back to ``approved``, for a B2C send."""
        result = await self._session.execute(
            update(RefundRow)
            .where(RefundRow.id == refund_id, RefundRow.state.in_(IN_FLIGHT))
            .values(
                state=RefundState.APPROVED.value,
                claimed_until=None,
                next_check_at=None,
                call_started_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def finish(self, refund_id: int, end: RefundEnd, *, now: datetime) -> Refund | None:
        """Complete or fail a refund in flight (or approved); None if it was finished already."""
        row = await self._session.scalar(
            update(RefundRow)
            .where(
                RefundRow.id == refund_id,
                RefundRow.state.in_((*IN_FLIGHT, RefundState.APPROVED.value)),
            )
            .values(
                state=end.state.value,
                finished_at=now,
                claimed_until=None,
                next_check_at=None,
                transaction_id=(end.transaction_id or "")[:32] or None,
                result_code=(end.result_code or "")[:32] or None,
                result_description=(end.description or "")[:MAX_TEXT] or None,
                failure=end.failure.value if end.failure is not None else None,
                updated_at=now,
            )
            .returning(RefundRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return to_refund(row) if row else None

    async def claim_checks(
        self, *, now: datetime, lease_seconds: float, limit: int
    ) -> Sequence[Refund]:
        """Claim sent refunds whose status check is due (the next check moves past the lease)."""
        due = (
            RefundRow.state == RefundState.SENT.value,
            RefundRow.next_check_at.is_not(None),
            RefundRow.next_check_at <= now,
        )
        ids = list(
            await self._session.scalars(
                select(RefundRow.id)
                .where(*due)
                .order_by(RefundRow.next_check_at, RefundRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        rows = await self._session.scalars(
            update(RefundRow)
            .where(RefundRow.id.in_(ids), *due)
            .values(next_check_at=now + timedelta(seconds=lease_seconds), updated_at=now)
            .returning(RefundRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return sorted((to_refund(row) for row in rows), key=lambda refund: refund.id)

    async def schedule_check(
        self,
        refund_id: int,
        *,
        at: datetime | None,
        conversation_id: str | None = None,
        code: str | None = None,
    ) -> None:
        """Ask about a sent refund at ``at`` (None: no more); an ask's id kept, and counted."""
        values: dict[str, Any] = {"next_check_at": at}
        if code is not None:
            values["result_code"] = code[:32]
        if conversation_id is not None:
            values["check_conversation_id"] = conversation_id
            values["status_checks"] = RefundRow.status_checks + 1
        await self._session.execute(
            update(RefundRow)
            .where(RefundRow.id == refund_id, RefundRow.state == RefundState.SENT.value)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
