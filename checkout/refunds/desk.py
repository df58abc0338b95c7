"""Asking for a refund and approving it: the four-eyes rules, in one transaction each.

A request names a paid payment by its M-Pesa receipt; it is stored (``requested``), written to
the payment's audit trail and put to the staff chat with Approve / Reject. Another staff user
must approve: the requester's own press is refused, ``REFUND_APPROVERS`` may narrow who may,
requests expire after 24 hours, and approvals are capped per Nairobi day
(``REFUND_DAILY_LIMIT``) unless an owner approves. Every check of a sum runs under the refunds
lock, and every state change is conditional, so of two presses (or processes) only one counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from checkout.domain.records import AuditKind, PaymentStatus
from checkout.domain.refunds import (
    Refund,
    RefundOutcome,
    RefundState,
    RefundView,
)
from checkout.domain.time import NAIROBI, Clock
from checkout.refunds.notices import RefundNotices
from checkout.refunds.ports import NewRefund, RefundUnitOfWork, RefundUnitOfWorkFactory
from checkout.refunds.rules import RefundRules, staff_actor

log = logging.getLogger(__name__)

MAX_REASON = 200  # the refunds.reason column


# What a press moves a refund to, and how its audit trail names it.
_DECISIONS: dict[RefundOutcome, tuple[RefundState, AuditKind]] = {
    RefundOutcome.APPROVED: (RefundState.APPROVED, AuditKind.REFUND_APPROVED),
    RefundOutcome.REJECTED: (RefundState.REJECTED, AuditKind.REFUND_REJECTED),
    RefundOutcome.EXPIRED: (RefundState.EXPIRED, AuditKind.REFUND_EXPIRED),
}


@dataclass(frozen=True, slots=True)
class RefundAnswer:
    """What a request or a press did, with the refund as it is now (None when refused early).

    ``left``: what is left to refund of the payment (TOO_MUCH, BAD_AMOUNT) or of today's limit
    (OVER_LIMIT).
    """

    outcome: RefundOutcome
    view: RefundView | None = None
    left: int = 0

    @property
    def refund(self) -> Refund | None:
        """The refund, if there is one."""
        return self.view.refund if self.view is not None else None


def clean_reason(reason: str | None) -> str | None:
    """A reason on one line, at most :data:`MAX_REASON` characters, control characters dropped."""
    if reason is None:
        return None
    text = " ".join("".join(c for c in reason if c.isprintable()).split())
    return text[:MAX_REASON] or None


class RefundDesk:
    """Takes refund requests and the staff's approvals and rejections."""

    def __init__(
        self,
        units: RefundUnitOfWorkFactory,
        *,
        clock: Clock,
        rules: RefundRules,
        notices: RefundNotices,
        on_approved: Callable[[], None] | None = None,
    ) -> None:
        """``on_approved`` wakes the sender once an approval is committed."""
        self._units = units
        self._clock = clock
        self._rules = rules
        self._notices = notices
        self._on_approved = on_approved

    @property
    def rules(self) -> RefundRules:
        """The rules requests and approvals keep."""
        return self._rules

    async def request(
        self,
        receipt: str,
        *,
        amount: int | None,
        reason: str | None,
        by: str,
        api_reference: str | None = None,
    ) -> RefundAnswer:
        """Ask for a refund of ``amount`` (None: all that is left) of the payment ``receipt``."""
        receipt = receipt.strip().upper()
        now = self._clock()
        async with self._units() as unit:
            await unit.refunds.lock()
            if api_reference is not None:
                earlier = await unit.refunds.by_api_reference(api_reference)
                if earlier is not None:
                    same = earlier.receipt == receipt and (
                        amount is None or amount == earlier.amount
                    )
                    outcome = RefundOutcome.SAME if same else RefundOutcome.REFERENCE_TAKEN
                    return RefundAnswer(outcome, await self._view(unit, earlier))
            payment = await unit.refunds.payment_with_receipt(receipt)
            if payment is None:
                return RefundAnswer(RefundOutcome.NO_PAYMENT)
            if payment.status is not PaymentStatus.PAID:
                return RefundAnswer(RefundOutcome.NOT_PAID, left=0)
            paid_at = payment.transaction_date or payment.settled_at or payment.created_at
            if now - paid_at > self._rules.max_age:
                return RefundAnswer(RefundOutcome.TOO_OLD)
            left = payment.amount - await unit.refunds.held_for_payment(payment.id)
            if amount is not None and amount < 1:
                return RefundAnswer(RefundOutcome.BAD_AMOUNT, left=max(left, 0))
            wanted = left if amount is None else amount
            if left <= 0 or wanted > left:
                return RefundAnswer(RefundOutcome.TOO_MUCH, left=max(left, 0))
            refund = await unit.refunds.add(
                NewRefund(
                    payment_id=payment.id,
                    order_reference=payment.order_reference,
                    receipt=receipt,
                    amount=wanted,
                    reason=clean_reason(reason),
                    requested_by=by,
                    api_reference=api_reference,
                ),
                now=now,
            )
            view = await self._view(unit, refund)
            await self._audit(unit, AuditKind.REFUND_REQUESTED, refund, now)
            await self._notices.requested(unit, view)
            await unit.commit()
        log.info("refund %s of payment %s asked (KES %s)", refund.id, payment.id, wanted)
        return RefundAnswer(RefundOutcome.REQUESTED, view)

    async def approve(self, refund_id: int, *, user_id: int) -> RefundAnswer:
        """A staff user's Approve: the second pair of eyes, within the daily limit."""
        now = self._clock()
        approver = staff_actor(user_id)
        async with self._units() as unit:
            await unit.refunds.lock()
            refund = await self._pressable(unit, refund_id, now)
            if isinstance(refund, RefundAnswer):
                return refund
            if refund.requested_by == approver:
                return RefundAnswer(RefundOutcome.OWN_REQUEST, await self._view(unit, refund))
            if not self._rules.may_approve(user_id):
                return RefundAnswer(RefundOutcome.NOT_APPROVER, await self._view(unit, refund))
            used = await unit.refunds.approved_since(self._day_start(now))
            left = max(self._rules.daily_limit - used, 0)
            over = refund.amount > left
            if over and user_id not in self._rules.owners:
                return RefundAnswer(
                    RefundOutcome.OVER_LIMIT, await self._view(unit, refund), left=left
                )
            answer = await self._decide(
                unit, refund, RefundOutcome.APPROVED, now, approver, over_limit=over
            )
        if answer.outcome is RefundOutcome.APPROVED:
            log.info("refund %s approved", refund_id)
            if self._on_approved is not None:
                self._on_approved()
        return answer

    async def reject(self, refund_id: int, *, user_id: int) -> RefundAnswer:
        """A staff user's Reject (the requester may withdraw their own request so)."""
        now = self._clock()
        by = staff_actor(user_id)
        async with self._units() as unit:
            refund = await self._pressable(unit, refund_id, now)
            if isinstance(refund, RefundAnswer):
                return refund
            return await self._decide(unit, refund, RefundOutcome.REJECTED, now, by)

    async def get(self, refund_id: int) -> RefundView | None:
        """A refund with its payment and order, or None."""
        async with self._units() as unit:
            refund = await unit.refunds.get(refund_id)
            return None if refund is None else await self._view(unit, refund)

    async def expire_old(self) -> int:
        """Expire requests nobody approved in time, telling the staff; how many expired."""
        now = self._clock()
        async with self._units() as unit:
            expired = await unit.refunds.expire_older(
                requested_before=now - self._rules.expiry, now=now
            )
            for refund in expired:
                await self._audit(unit, AuditKind.REFUND_EXPIRED, refund, now)
                await self._notices.decided(
                    unit, RefundOutcome.EXPIRED, await self._view(unit, refund)
                )
            await unit.commit()
        return len(expired)

    async def _pressable(
        self, unit: RefundUnitOfWork, refund_id: int, now: datetime
    ) -> Refund | RefundAnswer:
        """The refund a press may decide, or the answer to a press that can change nothing
        (no such refund, decided already, or expired now)."""
        refund = await unit.refunds.get(refund_id)
        if refund is None:
            return RefundAnswer(RefundOutcome.NO_REFUND)
        if refund.state is not RefundState.REQUESTED:
            return RefundAnswer(RefundOutcome.DECIDED, await self._view(unit, refund))
        if now - refund.requested_at <= self._rules.expiry:
            return refund
        # Expired by this press: said so even when another one got there first.
        answer = await self._decide(unit, refund, RefundOutcome.EXPIRED, now, None)
        return RefundAnswer(RefundOutcome.EXPIRED, answer.view)

    async def _decide(
        self,
        unit: RefundUnitOfWork,
        refund: Refund,
        outcome: RefundOutcome,
        now: datetime,
        by: str | None,
        *,
        over_limit: bool = False,
    ) -> RefundAnswer:
        """Record a press's ``outcome`` (approved, rejected, or expired with no one ``by``),
        audit it, tell the staff and commit; DECIDED (nothing done) when another press decided
        the refund since it was read."""
        state, kind = _DECISIONS[outcome]
        decided = await unit.refunds.decide(
            refund.id, state=state, by=by, now=now, over_limit=over_limit
        )
        if decided is None:
            return RefundAnswer(RefundOutcome.DECIDED, await self._view(unit, refund))
        view = await self._view(unit, decided)
        await self._audit(unit, kind, decided, now, by)
        await self._notices.decided(unit, outcome, view)
        await unit.commit()
        return RefundAnswer(outcome, view)

    @staticmethod
    async def _view(unit: RefundUnitOfWork, refund: Refund) -> RefundView:
        payment = await unit.payments.get(refund.payment_id)
        if payment is None:  # payments are never deleted
            raise LookupError(f"refund {refund.id}: no payment {refund.payment_id}")
        order = await unit.orders.get(refund.order_reference)
        return RefundView(refund, payment, order)

    @staticmethod
    def _day_start(now: datetime) -> datetime:
        """Midnight in Nairobi at the start of ``now``'s day."""
        return datetime.combine(now.astimezone(NAIROBI).date(), time(0), tzinfo=NAIROBI)

    @staticmethod
    async def _audit(
        unit: RefundUnitOfWork,
        kind: AuditKind,
        refund: Refund,
        now: datetime,
        by: str | None = None,
    ) -> None:
        await unit.audit.record(
            kind=kind,
            payload={
                "refund_id": refund.id,
                "amount": refund.amount,
                "state": refund.state.value,
                "by": by or refund.requested_by,
            },
            now=now,
            payment_id=refund.payment_id,
            note=f"refund #{refund.id}: KES {refund.amount}",
        )
