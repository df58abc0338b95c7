"""Collecting installments: reminders the day before, and the STK push on the due date.

The worker is driven by the database alone: what is due is read from the installments'
``remind_at`` and ``next_attempt_at``, so it survives restarts, and a pass at any time (``lipa
installments collect --as-of``) does what was due by then. Reminders are taken with ``FOR
UPDATE SKIP LOCKED`` and cleared as they are queued (deduplicated by outbox key), so each goes
out once. Pushes are made per plan: a plan is claimed for a lease first, and one with a
payment in flight cannot be claimed, so several processes never push the same installment
twice. How a push ends is settled like any payment; :class:`checkout.bnpl.ledger.PlanLedger`
then schedules the retry or marks the installment overdue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from checkout.bnpl.ledger import PlanLedger
from checkout.bnpl.news import InstallmentOverdue, InstallmentPushed, ReminderDue
from checkout.bnpl.ports import PlanUnitOfWork, PlanUnitOfWorkFactory
from checkout.bnpl.pushes import PlanPusher, PlanPushOutcome, PushResult
from checkout.bnpl.records import Installment, InstallmentStatus, Plan
from checkout.domain.outcomes import PushProblem
from checkout.domain.records import Channel
from checkout.domain.time import NAIROBI, Clock
from checkout.runtime.leased_worker import drain
from checkout.runtime.periodic import run_every

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CollectPolicy:
    """How many plans a pass takes at once, and how often the worker looks."""

    batch_size: int = 20
    interval_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class Collected:
    """One installment a pass pushed for, and how the push went."""

    plan: Plan
    installment: Installment
    outcome: PlanPushOutcome


@dataclass(frozen=True, slots=True)
class CollectReport:
    """What one pass did: reminders queued, installments made overdue, and pushes made."""

    reminders: int = 0
    pushes: tuple[Collected, ...] = ()
    overdue: int = 0


class InstallmentCollector:
    """Sends due reminders and pushes due installments, one pass at a time."""

    def __init__(
        self,
        units: PlanUnitOfWorkFactory,
        pusher: PlanPusher,
        ledger: PlanLedger,
        *,
        clock: Clock,
        policy: CollectPolicy | None = None,
        ussd_code: str = "",
        sms: bool = False,
    ) -> None:
        """``ussd_code`` (``USSD_CODE``) is named in USSD customers' reminders (by SMS), with
        "My plans" to pay now, move the date or add a missed installment to the next one.
        ``sms``: SMS can be sent (USSD customers' channel), so a plan taken on the web page is
        also reminded by SMS to its phone (the web channel only reaches a page left open)."""
        self._units = units
        self._ussd_code = ussd_code
        self._sms = sms
        self._pusher = pusher
        self._ledger = ledger
        self._clock = clock
        self._policy = policy or CollectPolicy()

    async def run_once(self, now: datetime | None = None) -> CollectReport:
        """Do everything due at ``now`` (default: the clock's time)."""
        at = now or self._clock()
        reminders = await self._remind(at)
        overdue = await self._grace_ended(at)
        seen: set[int] = set()

        async def claim() -> Sequence[Plan]:
            async with self._units() as unit:
                plans = await unit.plans.claim_due(
                    now=at, limit=self._policy.batch_size, lease_seconds=self._pusher.lease_seconds
                )
                await unit.commit()
            return plans

        async def collect(plans: Sequence[Plan]) -> list[Collected | None]:
            return await asyncio.gather(*(self._collect(plan, at) for plan in plans))

        def again(plans: Sequence[Plan]) -> bool:
            # A plan whose push could not even be tried stays due; it waits for the next pass.
            fresh = {plan.id for plan in plans} - seen
            seen.update(fresh)
            return bool(fresh)

        done = await drain(claim, collect, batch_size=self._policy.batch_size, again=again)
        pushes = tuple(item for item in done if item is not None)
        return CollectReport(reminders, pushes, overdue)

    async def run_forever(self) -> None:
        """Collect every ``interval_seconds`` until cancelled."""
        await run_every(self._policy.interval_seconds, self.run_once, name="installment collection")

    async def _each_claimed(
        self,
        claim: Callable[[PlanUnitOfWork], Awaitable[Sequence[Installment]]],
        handle: Callable[[PlanUnitOfWork, Plan, Installment], Awaitable[bool]],
    ) -> int:
        """Hand every installment ``claim`` takes to ``handle`` with its plan, a batch per
        transaction, until a batch comes short; how many ``handle`` said it did."""
        done = 0
        while True:
            async with self._units() as unit:
                taken = await claim(unit)
                for installment in taken:
                    plan = await unit.plans.get(installment.plan_id)
                    if plan is not None and await handle(unit, plan, installment):
                        done += 1
                await unit.commit()
            if len(taken) < self._policy.batch_size:
                return done

    async def _remind(self, now: datetime) -> int:
        """Queue every reminder due at ``now``: the day before a date, or the one of a grace
        period; one that comes too late (the date or the grace end has come) is skipped."""

        async def claim(unit: PlanUnitOfWork) -> Sequence[Installment]:
            return await unit.plans.claim_reminders(now=now, limit=self._policy.batch_size)

        async def remind(unit: PlanUnitOfWork, plan: Plan, installment: Installment) -> bool:
            # A missed installment's reminder is its grace period's, until the grace ends.
            until = installment.overdue_at
            if now >= (until or installment.due_at):
                return False
            if until is not None:
                key = f"installment:{installment.id}:grace"
            else:
                # Keyed by date too: a moved date is reminded again.
                day = installment.due_at.astimezone(NAIROBI).date()
                key = f"installment:{installment.id}:reminder:{day:%Y%m%d}"
            news = ReminderDue(plan, installment, now, until)
            await self._ledger.tell(unit, plan, news, key, ussd_code=self._ussd_code)
            if self._by_web_sms(plan):
                # The page's customer is known by the phone the plan collects from:
                # the chat's words (no buttons) by SMS, sent as USSD customers' are.
                await self._ledger.tell_by_sms(unit, plan, news, key)
            return True

        return await self._each_claimed(claim, remind)

    def _by_web_sms(self, plan: Plan) -> bool:
        """Whether a web plan's reminder also goes by SMS (SMS is on, the phone is a number)."""
        return plan.channel is Channel.WEB and self._sms and plan.phone.isdigit()

    async def _grace_ended(self, now: datetime) -> int:
        """Make overdue every missed installment whose grace ended with no try left."""

        async def claim(unit: PlanUnitOfWork) -> Sequence[Installment]:
            return await unit.plans.claim_grace_ended(now=now, limit=self._policy.batch_size)

        async def end_grace(unit: PlanUnitOfWork, plan: Plan, installment: Installment) -> bool:
            overdue = await self._ledger.grace_ended(unit, plan, installment, now)
            if overdue is None:
                return False
            await self._ledger.tell(unit, plan, overdue, f"installment:{installment.id}:overdue")
            return True

        return await self._each_claimed(claim, end_grace)

    async def _collect(self, plan: Plan, now: datetime) -> Collected | None:
        """Push a claimed plan's earliest due installment (the claim is released after)."""
        due = [
            item
            for item in plan.installments
            if item.status is InstallmentStatus.DUE
            and item.next_attempt_at is not None
            and item.next_attempt_at <= now
        ]
        if not due:
            async with self._units() as unit:
                await unit.plans.release(plan.id)
                await unit.commit()
            return None
        installment = due[0]
        try:
            result = await self._pusher.push(
                plan,
                installment.number,
                installment.number,
                language=plan.language,
                automatic=True,
                claimed=True,
            )
        except Exception:
            # The lease brings the plan back to another pass; nothing was recorded as sent.
            log.exception("push for plan %s failed unexpectedly", plan.id)
            return None
        await self._after(plan, installment, result, now)
        return Collected(plan, installment, result.outcome)

    async def _after(
        self, plan: Plan, installment: Installment, result: PushResult, now: datetime
    ) -> None:
        """Tell the customer a push is on its way, or reschedule a push that did not go out."""
        async with self._units() as unit:
            fresh = await unit.plans.get(plan.id) or plan
            if result.outcome is PlanPushOutcome.SENT and result.payment is not None:
                key = f"payment:{result.payment.id}:due"
                await self._ledger.tell(unit, fresh, InstallmentPushed(fresh, installment), key)
            elif result.outcome is PlanPushOutcome.FAILED and not _may_have_reached(result):
                # Nothing reached the phone: retry soon, or after the last try it is overdue.
                # Only the overdue is told: the customer saw no prompt to hear a retry of.
                missed = await self._ledger.failed_try(unit, fresh, installment, None, now=now)
                if isinstance(missed, InstallmentOverdue):
                    key = f"installment:{installment.id}:overdue"
                    await self._ledger.tell(unit, fresh, missed, key)
            elif result.outcome is PlanPushOutcome.REFUSED:
                await self._refused(unit, fresh, installment, now)
            await unit.commit()

    async def _refused(
        self, unit: PlanUnitOfWork, plan: Plan, installment: Installment, now: datetime
    ) -> None:
        """The payment service refused the push: a paid-off order ends the plan, else retry soon."""
        order = await unit.orders.get(plan.order_reference)
        if order is not None and order.balance < plan.left:
            await self._ledger.align(unit, plan, order)
            return
        current = plan.installment(installment.number)
        if current.status.is_unpaid:
            later = now + self._ledger.rules.retry_soon
            await unit.plans.save_installment(replace(current, next_attempt_at=later))


def _may_have_reached(result: PushResult) -> bool:
    """Whether a failed push may still have reached the phone (its answer timed out)."""
    failure = result.failure
    return failure is None or failure.problem is PushProblem.OUTCOME_UNKNOWN
