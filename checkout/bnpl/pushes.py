"""Pushing for part of a plan: one push at a time per plan, through the payment service.

Every push of a plan, the deposit, an installment on its date or a customer paying ahead, is an
ordinary payment made by :class:`checkout.payments.start.PaymentService`, so callbacks, queries,
reconciliation and the outbox treat it like any other. The payment is linked to its
installments in the transaction that stores it, before the push goes out, so its callback
always finds the plan. The plan is claimed for a lease first, and a plan with a payment still
in flight cannot be claimed: two processes, or a customer and the collector, never push for
the same plan at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from checkout.bnpl.ports import PlanUnitOfWorkFactory, with_plans
from checkout.bnpl.records import Plan, PlanPayment
from checkout.domain.outcomes import PaymentRefused, PushProblem, PushRefused, PushStarted
from checkout.domain.phones import mask_phone
from checkout.domain.records import Language, Payment
from checkout.domain.time import Clock
from checkout.payments.gateway import PushFailed
from checkout.payments.requests import StartPayment
from checkout.payments.start import PaymentService
from checkout.payments.unit import UnitOfWork

log = logging.getLogger(__name__)


class PlanPushOutcome(StrEnum):
    """How an attempt to push for a plan ended."""

    SENT = "sent"  # Daraja took the push: the prompt is on the phone
    QUEUED = "queued"  # stored to push after the USSD session (or refused: see ``started``)
    BUSY = "busy"  # another push for the plan is being sent or waits for its outcome
    REFUSED = "refused"  # the payment service refused it (e.g. the order is paid)
    FAILED = "failed"  # Daraja refused the push, or did not answer in time
    NOTHING = "nothing"  # nothing in that range is still owed


@dataclass(frozen=True, slots=True)
class PushResult:
    """What pushing for a plan did; ``started`` is the payment service's answer, if any
    (the push queued, or refused for the order or the amount)."""

    outcome: PlanPushOutcome
    payment: Payment | None = None
    failure: PushFailed | None = None
    started: PushStarted | PaymentRefused | None = None


class PlanPusher:
    """Starts the STK push for installments of a plan, one plan at a time."""

    def __init__(
        self,
        units: PlanUnitOfWorkFactory,
        payments: PaymentService,
        *,
        clock: Clock,
        lease_seconds: float = 180.0,
    ) -> None:
        self._units = units
        self._payments = payments
        self._clock = clock
        # Longer than a push with the client's own retries; a lapsed claim is only a claim.
        self.lease_seconds = lease_seconds

    async def push(
        self,
        plan: Plan,
        first: int,
        last: int,
        *,
        language: Language,
        automatic: bool = False,
        at_once: bool = False,
        claimed: bool = False,
    ) -> PushResult:
        """Push for installments ``first``..``last``; ``claimed`` if the caller holds the plan.

        With ``at_once`` (USSD) the push is queued for after the session instead of sent.
        """
        parts = [
            item
            for item in plan.installments
            if first <= item.number <= last and item.status.is_unpaid
        ]
        if not parts:
            return PushResult(PlanPushOutcome.NOTHING)
        if not claimed and not await self._claim(plan):
            return PushResult(PlanPushOutcome.BUSY)
        try:
            request = StartPayment(
                order_reference=plan.order_reference,
                amount=sum(item.amount for item in parts),
                phone=plan.phone,
                order_known=True,
            )

            async def link(unit: UnitOfWork, payment: Payment) -> None:
                recorded = PlanPayment(plan.id, payment.id, first, last, automatic=automatic)
                await with_plans(unit).plans.record_attempt(recorded, now=self._clock())

            if at_once:
                # No sender: a plan's pushes keep the plan's own rules, not the push limits.
                queued = await self._payments.queue(plan.customer, language, request, link=link)
                if isinstance(queued, PushRefused):
                    return PushResult(PlanPushOutcome.REFUSED)
                return PushResult(PlanPushOutcome.QUEUED, started=queued)
            prepared = await self._payments.prepare(plan.customer, language, request, link=link)
            if not isinstance(prepared, Payment):
                return PushResult(PlanPushOutcome.REFUSED, started=prepared)
            sent = await self._payments.send(prepared)
            if isinstance(sent, PushFailed):
                await self._failed(prepared, sent)
                return PushResult(PlanPushOutcome.FAILED, payment=prepared, failure=sent)
            log.info("plan %s: push %s sent to %s", plan.id, prepared.id, mask_phone(plan.phone))
            return PushResult(PlanPushOutcome.SENT, payment=prepared)
        finally:
            await self._release(plan)

    async def _claim(self, plan: Plan) -> bool:
        async with self._units() as unit:
            claimed = await unit.plans.claim(
                plan.id, now=self._clock(), lease_seconds=self.lease_seconds
            )
            await unit.commit()
        return claimed

    async def _release(self, plan: Plan) -> None:
        # The pending payment (if any) now keeps others off the plan until it settles.
        async with self._units() as unit:
            await unit.plans.release(plan.id)
            await unit.commit()

    async def _failed(self, payment: Payment, failure: PushFailed) -> None:
        log.warning("plan push %s failed: %s", payment.id, failure.problem.value)
        if failure.problem is PushProblem.OUTCOME_UNKNOWN:
            # It may have reached the phone: the reconciler settles it (never pushed blindly).
            return
        async with self._units() as unit:
            await self._payments.record_failure(unit, payment, failure, now=self._clock())
            await unit.commit()
