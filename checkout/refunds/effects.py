"""What a refund's end does, in the transaction that records it.

A completed refund is no longer counted as paid on its order (a fully refunded order becomes
``refunded``, a partly refunded one shows its new balance), goes into the payment's audit
trail, tells the customer in their language on their channel and the staff, and is told to
the listeners (the ``payment.refunded`` event). A failed one is audited and tells the staff,
the requester and the approver why. Finishing is conditional: a second result changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from checkout.domain.records import AuditKind
from checkout.domain.refunds import Refund, RefundFailure, RefundState, RefundView
from checkout.domain.time import Clock
from checkout.refunds.notices import RefundNotices
from checkout.refunds.ports import RefundEnd, RefundListener, RefundUnitOfWork

log = logging.getLogger(__name__)

# Daraja's result codes that say plainly why the money did not go.
_INSUFFICIENT = frozenset({"1", "2"})  # B2C: the account's balance (float) is too low
_ALREADY_REVERSED = frozenset({"R000001"})
_INITIATOR = frozenset({"2001", "8006", "15", "18"})  # initiator / credential refused


def failure_for(code: str, description: str) -> RefundFailure:
    """Why a refund failed, from Daraja's code (its description where codes vary)."""
    words = description.lower()
    if code in _ALREADY_REVERSED or "already reversed" in words or "already been reversed" in words:
        return RefundFailure.ALREADY_REVERSED
    if code in _INSUFFICIENT or "insufficient" in words:
        return RefundFailure.INSUFFICIENT_FLOAT
    if code in _INITIATOR or "initiator" in words or "credential" in words:
        return RefundFailure.INITIATOR
    return RefundFailure.REFUSED


class RefundEffects:
    """Completes and fails refunds, with every consequence in the caller's unit of work."""

    def __init__(
        self,
        *,
        clock: Clock,
        notices: RefundNotices,
        listeners: Sequence[RefundListener] = (),
    ) -> None:
        self._clock = clock
        self._notices = notices
        self._listeners = tuple(listeners)

    async def complete(
        self,
        unit: RefundUnitOfWork,
        refund: Refund,
        *,
        transaction_id: str | None,
        code: str,
        description: str,
    ) -> Refund | None:
        """Record the money as gone back; None (and nothing done) if it was finished already."""
        now = self._clock()
        end = RefundEnd(RefundState.COMPLETED, code, description, transaction_id=transaction_id)
        done = await unit.refunds.finish(refund.id, end, now=now)
        if done is None:
            return None
        order = await unit.refunds.take_back(done.order_reference, done.amount, now=now)
        payment = await unit.payments.get(done.payment_id)
        if payment is None:  # payments are never deleted
            raise LookupError(f"refund {done.id}: no payment {done.payment_id}")
        await _audit(
            unit,
            done,
            AuditKind.REFUND_COMPLETED,
            f"refund #{done.id}: KES {done.amount} back, M-Pesa {done.transaction_id}",
            now=now,
            amount=done.amount,
            method=done.method.value if done.method else None,
            transaction_id=done.transaction_id,
            order_paid=order.amount_paid,
        )
        view = RefundView(done, payment, order)
        await self._notices.completed(unit, view)
        for listener in self._listeners:
            await listener.payment_refunded(unit, done, payment, order)
        log.info("refund %s completed (KES %s)", done.id, done.amount)
        return done

    async def fail(
        self,
        unit: RefundUnitOfWork,
        refund: Refund,
        *,
        failure: RefundFailure,
        code: str = "",
        description: str = "",
    ) -> Refund | None:
        """Record that the money did not go back, and why; None if finished already."""
        now = self._clock()
        end = RefundEnd(RefundState.FAILED, code, description, failure=failure)
        done = await unit.refunds.finish(refund.id, end, now=now)
        if done is None:
            return None
        await _audit(
            unit,
            done,
            AuditKind.REFUND_FAILED,
            f"refund #{done.id} failed: {failure.value} {code} {description}"[:300],
            now=now,
            failure=failure.value,
            code=code,
        )
        view = await _view(unit, done)
        if view is not None:
            await self._notices.failed(unit, view)
        log.warning("refund %s failed: %s (%s)", done.id, failure.value, code)
        return done

    async def unknown(self, unit: RefundUnitOfWork, refund: Refund) -> None:
        """M-Pesa never said what became of it: the staff are told to look (once)."""
        view = await _view(unit, refund)
        if view is not None:
            await self._notices.unknown(unit, view)


async def _audit(
    unit: RefundUnitOfWork,
    refund: Refund,
    kind: AuditKind,
    note: str,
    *,
    now: datetime,
    **details: object,
) -> None:
    """Put the refund's end in its payment's audit trail (``details`` after its number)."""
    await unit.audit.record(
        kind=kind,
        payload={"refund_id": refund.id, **details},
        now=now,
        payment_id=refund.payment_id,
        note=note,
    )


async def _view(unit: RefundUnitOfWork, refund: Refund) -> RefundView | None:
    """The refund with its payment and order (None without the payment)."""
    payment = await unit.payments.get(refund.payment_id)
    if payment is None:
        return None
    return RefundView(refund, payment, await unit.orders.get(refund.order_reference))
