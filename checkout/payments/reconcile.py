"""Reconciliation: settling payments whose callback never came, by asking Daraja.

Safaricom does not retry a lost callback. A payment still pending some time after its push is
settled by STK Push Query through the very code path a callback takes; "still in progress"
answers are asked again later with backoff; a payment with no final answer after the expiry
becomes ``expired`` and the customer and staff are told. Rows are claimed before they are
checked, so several processes never ask about the same payment at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from checkout.domain.records import Payment
from checkout.domain.result_codes import ResultCode
from checkout.domain.time import Clock
from checkout.payments.gateway import PaymentGateway, PushFailed
from checkout.payments.settling.results import SettleOutcome, result_from_json
from checkout.payments.settling.settle import SettlementService
from checkout.payments.unit import UnitOfWorkFactory
from checkout.runtime.leased_worker import drain
from checkout.runtime.periodic import run_every

log = logging.getLogger(__name__)

# How far back to look for callbacks that matched no payment (alerts are sent once each).
UNMATCHED_WINDOW = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class ReconcilePolicy:
    """When to start asking, how often to ask again, and when to give up."""

    after: timedelta = timedelta(seconds=60)
    expiry: timedelta = timedelta(seconds=600)
    first_backoff: timedelta = timedelta(seconds=15)
    max_backoff: timedelta = timedelta(seconds=120)
    batch_size: int = 50
    lease_seconds: float = 60.0
    interval_seconds: float = 10.0

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait before asking again after ``attempts`` answers of "in progress"."""
        factor: int = 2 ** max(attempts - 1, 0)
        wait: timedelta = self.first_backoff * factor
        return min(wait, self.max_backoff)


class CheckResult(StrEnum):
    """What one check of a pending payment did."""

    SETTLED = "settled"
    STILL_PENDING = "still pending"
    EXPIRED = "expired"
    UNANSWERED = "Daraja did not answer"
    ALREADY_SETTLED = "already settled"


@dataclass(frozen=True, slots=True)
class Checked:
    """One payment looked at in a pass."""

    payment: Payment
    result: CheckResult
    result_code: int | None = None


class Reconciler:
    """Checks pending payments with Daraja and settles them."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        gateway: PaymentGateway,
        settlement: SettlementService,
        *,
        clock: Clock,
        policy: ReconcilePolicy | None = None,
    ) -> None:
        self._units = units
        self._gateway = gateway
        self._settlement = settlement
        self._clock = clock
        self._policy = policy or ReconcilePolicy()

    async def run_once(self) -> list[Checked]:
        """Check every pending payment that is due now; return what happened to each."""
        checked = await drain(self._claim, self._check_all, batch_size=self._policy.batch_size)
        await self._report_unmatched()
        return checked

    async def _report_unmatched(self) -> None:
        """Alert the staff (once each) about successes no payment ever claimed."""
        now = self._clock()
        async with self._units() as unit:
            stray = await unit.audit.unmatched_callbacks(
                # Give the push's own answer time to arrive before calling it a stray.
                received_after=now - UNMATCHED_WINDOW,
                received_before=now - self._policy.after,
                limit=self._policy.batch_size,
            )
        for payload in stray:
            result = result_from_json(payload["result"])
            if result.result_code == ResultCode.PAID:
                await self._settlement.alert_unmatched(result)

    async def run_forever(self) -> None:
        """Reconcile every ``interval_seconds`` until cancelled."""
        await run_every(self._policy.interval_seconds, self.run_once, name="reconciliation")

    async def _claim(self) -> list[Payment]:
        now = self._clock()
        async with self._units() as unit:
            batch = await unit.payments.claim_for_check(
                now=now,
                created_before=now - self._policy.after,
                limit=self._policy.batch_size,
                lease_seconds=self._policy.lease_seconds,
            )
            await unit.commit()
        return list(batch)

    async def _check_all(self, batch: Sequence[Payment]) -> list[Checked]:
        return await asyncio.gather(*(self._check(payment) for payment in batch))

    async def _check(self, payment: Payment) -> Checked:
        if payment.checkout_request_id is not None:
            try:
                answer = await self._gateway.stk_query(payment.checkout_request_id)
            except PushFailed as failure:
                log.info("query for payment %s failed: %s", payment.id, failure.problem.value)
            else:
                if answer.result is not None:
                    outcome = await self._settlement.settle(answer.result, source="query")
                    result = (
                        CheckResult.SETTLED
                        if outcome is SettleOutcome.SETTLED
                        else CheckResult.ALREADY_SETTLED
                    )
                    return Checked(payment, result, answer.result.result_code)
        if self._clock() - payment.created_at >= self._policy.expiry:
            return await self._expire(payment)
        await self._ask_again_later(payment)
        return Checked(
            payment,
            CheckResult.STILL_PENDING
            if payment.checkout_request_id is not None
            else CheckResult.UNANSWERED,
        )

    async def _expire(self, payment: Payment) -> Checked:
        async with self._units() as unit:
            expired = await self._settlement.expire(
                unit, payment, reason="no final answer from M-Pesa in time"
            )
            await unit.commit()
        if expired:
            log.info("payment %s expired", payment.id)
            return Checked(payment, CheckResult.EXPIRED)
        return Checked(payment, CheckResult.ALREADY_SETTLED)

    async def _ask_again_later(self, payment: Payment) -> None:
        at = self._clock() + self._policy.backoff(payment.check_attempts)
        # Never schedule past the expiry: the last check is the one that expires it.
        at = min(at, payment.created_at + self._policy.expiry)
        try:
            async with self._units() as unit:
                await unit.payments.schedule_check(payment.id, at=at)
                await unit.commit()
        except Exception:
            # The claim's lease brings the payment back anyway; only the spacing is lost.
            log.exception("could not schedule the next check of payment %s", payment.id)
