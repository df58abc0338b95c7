"""The plan side of every settled payment, written in the transaction that settles it.

:class:`PlanLedger` is the settlement's outcome hook: when a payment linked to a plan settles,
the installments it pays are marked paid (the deposit activates the plan, the last one
completes it), or the failed installment is scheduled again by its result code, or made
overdue after its retries; the payment's outcome carries the plan's news (the presenter,
:mod:`checkout.i18n.plans.settled`, makes the customer's message the plan's), and staff are
told of each step. A payment made outside a plan for an order that has one shortens the plan
to what is still owed. A payment that failed for lack of balance is offered "Pay later" when
the customer may have a plan.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from checkout.bnpl.eligibility import PlanEligibility
from checkout.bnpl.news import (
    CollectionNews,
    GraceRunning,
    InstallmentOverdue,
    Milestone,
    MissedNews,
    PlanDropped,
    PlanReached,
    StaffNews,
    TryScheduled,
    staff_event,
)
from checkout.bnpl.ports import PlanUnitOfWork, with_plans
from checkout.bnpl.records import Installment, InstallmentStatus, Plan, PlanPayment, PlanStatus
from checkout.bnpl.rules import (
    PlanRules,
    grace_end,
    grace_reminder_at,
    late_fee,
    next_attempt,
    retry_kind,
)
from checkout.bnpl.views.collecting import (
    collection_reply,
    collection_sms,
    staff_notice,
)
from checkout.bnpl.views.plans import (
    overdue_news,
)
from checkout.domain.outcomes import (
    PaymentOutcome,
    PlanFollowUp,
    PlanNews,
    PlanPaid,
    PlanUnpaid,
)
from checkout.domain.records import Channel, Order, Payment, PaymentStatus, StaffChat
from checkout.domain.replies import reply_to_payload
from checkout.domain.result_codes import ResultCode
from checkout.domain.time import Clock
from checkout.i18n.contact import NO_CONTACT, BusinessContact
from checkout.outbox.replies import queue_reply
from checkout.payments.staff_reader import read_by
from checkout.payments.unit import UnitOfWork

log = logging.getLogger(__name__)


class PlanLedger:
    """Keeps plans in step with their payments; implements ``SettledOutcomeHook``."""

    def __init__(
        self,
        *,
        clock: Clock,
        rules: PlanRules,
        offering: bool = True,
        staff: StaffChat | None = None,
        contact: BusinessContact = NO_CONTACT,
    ) -> None:
        self._clock = clock
        self._rules = rules
        self._offering = offering
        self._staff = staff
        # How an overdue installment's message says to reach the business.
        self._contact = contact
        # The one question every channel asks before showing "Pay later".
        self._eligibility = PlanEligibility(rules, offering=offering)

    @property
    def rules(self) -> PlanRules:
        """The plan rules in force."""
        return self._rules

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Ask once which of these payments pay a plan and which of their orders have one.

        Most settled payments have neither; without this each would cost two lookups.
        """
        await with_plans(unit).plans.preload(
            [payment.id for payment in payments],
            sorted({payment.order_reference for payment in payments}),
        )

    async def settled(self, settling: UnitOfWork, outcome: PaymentOutcome) -> PaymentOutcome:
        """Settle the plan side of the outcome's payment; return the outcome with the plan's
        news (or with "Pay later")."""
        payment = outcome.payment
        unit = with_plans(settling)
        link = await unit.plans.link_for(payment.id)
        if link is None:
            return await self._outside_plan(unit, outcome)
        plan = await unit.plans.get(link.plan_id)
        if plan is None or not plan.status.is_open or payment.status is PaymentStatus.MISMATCHED:
            # A mismatched amount pays nothing; the staff were alerted by the settlement.
            return outcome
        news: PlanNews | None
        if payment.status is PaymentStatus.PAID:
            news = await self._paid(unit, plan, link, payment)
        elif link.first == 0:
            news = PlanUnpaid(plan.id, plan.language, PlanFollowUp.DEPOSIT_AGAIN)
        elif link.automatic:
            news = await self._missed(unit, plan, plan.installment(link.first), payment)
        else:
            news = PlanUnpaid(plan.id, plan.language, PlanFollowUp.PAY_WHEN_READY)
        return outcome if news is None else replace(outcome, plan=news)

    # --- paid ------------------------------------------------------------------------------

    async def _paid(
        self, unit: PlanUnitOfWork, plan: Plan, link: PlanPayment, payment: Payment
    ) -> PlanPaid:
        now = self._clock()
        for item in plan.installments:
            if link.first <= item.number <= link.last and item.status.is_unpaid:
                paid = item.closed(InstallmentStatus.PAID)
                await unit.plans.save_installment(replace(paid, paid_at=now, payment_id=payment.id))
        activated = plan.status is PlanStatus.PENDING_DEPOSIT and link.first == 0
        if activated:
            await self._activate(unit, plan)
        plan = await self._reloaded(unit, plan)
        await self._settle_status(unit, plan, activated=activated)
        plan = await self._reloaded(unit, plan)
        upcoming = plan.next_unpaid
        return PlanPaid(
            plan.id,
            plan.language,
            plan.order_reference,
            paid=plan.paid,
            left=plan.left,
            deposit=activated,
            next_amount=upcoming.amount if upcoming is not None else None,
            next_due=upcoming.due_at if upcoming is not None else None,
        )

    async def _activate(self, unit: PlanUnitOfWork, plan: Plan) -> None:
        """Schedule every installment's push on its date and its reminder the day before."""
        for item in plan.installments:
            if item.number == 0 or not item.status.is_unpaid:
                continue
            await unit.plans.save_installment(
                replace(
                    item, next_attempt_at=item.due_at, remind_at=item.due_at - timedelta(days=1)
                )
            )
        await self._notify_staff(unit, PlanReached(plan, Milestone.ACTIVE))

    async def _settle_status(self, unit: PlanUnitOfWork, plan: Plan, *, activated: bool) -> None:
        """Set the plan's status from its installments: completed, overdue or active."""
        now = self._clock()
        if not plan.unpaid:
            status = PlanStatus.COMPLETED
        elif any(item.status is InstallmentStatus.OVERDUE for item in plan.unpaid):
            status = PlanStatus.OVERDUE
        else:
            status = PlanStatus.ACTIVE
        if status is plan.status and not activated:
            return
        await unit.plans.set_status(plan.id, status, now=now)
        if status is PlanStatus.COMPLETED:
            log.info("plan %s for order %s completed", plan.id, plan.order_reference)
            await self._notify_staff(unit, PlanReached(plan, Milestone.COMPLETED))

    # --- not paid --------------------------------------------------------------------------

    async def _missed(
        self, unit: PlanUnitOfWork, plan: Plan, installment: Installment, payment: Payment
    ) -> PlanNews | None:
        """An automatic try took no money: :meth:`failed_try`, as the payment's plan news
        (None when the installment was no longer owed)."""
        code = payment.result_code if payment.status is not PaymentStatus.EXPIRED else None
        match await self.failed_try(unit, plan, installment, code):
            case InstallmentOverdue(_, overdue, fee):
                return overdue_news(plan, overdue, fee)
            case GraceRunning(_, _, until):
                return PlanUnpaid(plan.id, plan.language, PlanFollowUp.GRACE, until=until)
            case TryScheduled(_, _, kind):
                follow_up = PlanFollowUp(kind.value)
                return PlanUnpaid(
                    plan.id, plan.language, follow_up, hour=self._rules.collection_hour
                )
            case None:
                return None

    async def failed_try(
        self,
        unit: PlanUnitOfWork,
        plan: Plan,
        installment: Installment,
        result_code: int | None,
        *,
        now: datetime | None = None,
    ) -> MissedNews | None:
        """After an automatic attempt failed: schedule the next one, or make it overdue.

        The first failure makes the installment missed: its grace period ends
        ``BNPL_GRACE_DAYS`` after its date, and its one reminder is set for the day before.
        It is overdue only when no automatic try is left and the grace period is over (the
        collector makes it overdue then, if it is still unpaid). Returns what was decided:
        the next try, the grace period running with none left, or the installment overdue;
        None when it is no longer unpaid. ``now`` is the time the next attempt is counted
        from (default: the clock's).
        """
        now = now or self._clock()
        current = plan.installment(installment.number)
        if not current.status.is_unpaid:
            return None
        kind = retry_kind(result_code)
        at = next_attempt(kind, current.attempts, now, self._rules)
        ends = current.overdue_at or grace_end(current.due_at, self._rules)
        if at is None and now >= ends:
            return await self._overdue(unit, plan, current, now=now)
        missed = replace(current, next_attempt_at=at, overdue_at=ends)
        if current.overdue_at is None:
            # Missed just now: one polite reminder during the grace period.
            missed = replace(missed, remind_at=grace_reminder_at(current.due_at, self._rules, now))
        await unit.plans.save_installment(missed)
        log.info("installment %s of plan %s retried at %s", current.number, plan.id, at)
        if at is None:
            return GraceRunning(plan, current, ends)
        return TryScheduled(plan, current, kind)

    async def grace_ended(
        self, unit: PlanUnitOfWork, plan: Plan, installment: Installment, now: datetime
    ) -> InstallmentOverdue | None:
        """A missed installment's grace period ended with no try left: it is overdue now."""
        current = plan.installment(installment.number)
        if current.status is not InstallmentStatus.DUE:
            return None
        return await self._overdue(unit, plan, current, now=now)

    async def _overdue(
        self,
        unit: PlanUnitOfWork,
        plan: Plan,
        installment: Installment,
        *,
        now: datetime | None = None,
    ) -> InstallmentOverdue:
        """Stop retrying: the installment is overdue (the customer is to be asked politely),
        and the staff are told.

        The late fee (if any) is charged at most once per installment, and the plan's fees
        never add up to more than ``FEE_CAP_PERCENT`` of its total.
        """
        now = now or self._clock()
        fee = late_fee(self._rules, plan.total, plan.fees, installment.late_fee)
        overdue = replace(
            installment.closed(InstallmentStatus.OVERDUE),
            amount=installment.amount + fee,
            late_fee=installment.late_fee + fee,
        )
        await unit.plans.save_installment(overdue)
        if fee > 0:
            # The fee is owed on the order too, so the order and the plan still agree.
            order = await unit.orders.get(plan.order_reference)
            if order is not None:
                await unit.orders.raise_amount_due(order.reference, order.amount_due + fee)
        await unit.plans.set_status(plan.id, PlanStatus.OVERDUE, now=now)
        log.info("installment %s of plan %s is overdue", installment.number, plan.id)
        news = InstallmentOverdue(plan, overdue, fee)
        await self._notify_staff(unit, news)
        return news

    # --- payments outside a plan -----------------------------------------------------------

    async def _outside_plan(self, unit: PlanUnitOfWork, outcome: PaymentOutcome) -> PaymentOutcome:
        payment, order = outcome.payment, outcome.order
        if payment.status is PaymentStatus.PAID and order is not None:
            plan = await unit.plans.open_for_order(payment.order_reference)
            if plan is not None:
                await self.align(unit, plan, order)
            return outcome
        if (
            payment.status is PaymentStatus.FAILED
            and payment.result_code == ResultCode.INSUFFICIENT_BALANCE
            and payment.channel is not Channel.USSD
            and await self._may_have_plan(unit, payment)
        ):
            return replace(outcome, pay_later=True)
        return outcome

    async def _may_have_plan(self, unit: PlanUnitOfWork, payment: Payment) -> bool:
        """Whether the customer of a payment that found no balance may have a plan for its order."""
        order = await unit.orders.get(payment.order_reference)
        if order is None:
            return False
        refused = await self._eligibility.refusal(
            unit,
            customer_id=payment.customer_id,
            phone=payment.phone,
            order_reference=order.reference,
            balance=order.balance,
            now=self._clock(),
        )
        return refused is None

    async def align(self, unit: PlanUnitOfWork, plan: Plan, order: Order) -> None:
        """Shorten a plan to what the order still owes after a payment made outside it.

        A plan still waiting for its deposit no longer matches the order and is cancelled;
        a started one loses its last installments first, so the next dates stay as agreed.
        """
        now = self._clock()
        if plan.status is PlanStatus.PENDING_DEPOSIT:
            await self._cancel(unit, plan)
            return
        excess = plan.left - order.balance
        for item in reversed(plan.unpaid):
            if excess <= 0:
                break
            cut = min(item.amount, excess)
            excess -= cut
            if cut == item.amount:
                changed = replace(
                    item, status=InstallmentStatus.CANCELLED, next_attempt_at=None, remind_at=None
                )
            else:
                changed = replace(item, amount=item.amount - cut)
            await unit.plans.save_installment(changed)
        plan = await self._reloaded(unit, plan)
        await self._settle_status(unit, plan, activated=False)
        log.info("plan %s aligned with order %s at %s", plan.id, order.reference, now)

    async def _cancel(self, unit: PlanUnitOfWork, plan: Plan) -> None:
        for item in plan.unpaid:
            await unit.plans.save_installment(
                replace(item, status=InstallmentStatus.CANCELLED, next_attempt_at=None)
            )
        await unit.plans.set_status(plan.id, PlanStatus.CANCELLED, now=self._clock())

    async def drop(self, unit: PlanUnitOfWork, plan: Plan) -> None:
        """Drop a plan whose deposit was not paid; staff are told."""
        await self._cancel(unit, plan)
        await self._notify_staff(unit, PlanDropped(plan))

    # --- messages --------------------------------------------------------------------------

    async def tell(
        self,
        unit: PlanUnitOfWork,
        plan: Plan,
        news: CollectionNews,
        dedupe_key: str,
        *,
        ussd_code: str = "",
    ) -> None:
        """Queue ``news`` told to the plan's customer on the plan's channel, once per
        ``dedupe_key`` (``ussd_code``: the code a USSD caller's reminder names)."""
        reply = collection_reply(
            news, rules=self._rules, contact=self._contact, ussd_code=ussd_code
        )
        await queue_reply(unit.outbox, plan, reply, now=self._clock(), dedupe_key=dedupe_key)

    async def tell_by_sms(
        self, unit: PlanUnitOfWork, plan: Plan, news: CollectionNews, dedupe_key: str
    ) -> None:
        """Queue ``news`` as an SMS to the plan's phone (sent as USSD customers' SMS are),
        once per ``dedupe_key``; for a plan whose own channel cannot reach the customer."""
        reply = collection_sms(news, rules=self._rules, contact=self._contact)
        await unit.outbox.add(
            channel=Channel.USSD,
            chat_key=plan.phone,
            payload=reply_to_payload(reply),
            now=self._clock(),
            dedupe_key=f"{dedupe_key}:sms",
        )

    async def notify_staff(self, unit: PlanUnitOfWork, news: StaffNews) -> None:
        """Queue the staff's notice of ``news`` (once per plan and event)."""
        await self._notify_staff(unit, news)

    async def settle_status(self, unit: PlanUnitOfWork, plan: Plan) -> None:
        """Set the plan's status from its installments after a change the customer made."""
        await self._settle_status(unit, await self._reloaded(unit, plan), activated=False)

    async def _notify_staff(self, unit: PlanUnitOfWork, news: StaffNews) -> None:
        if self._staff is None:
            return
        notice = staff_notice(await read_by(unit, self._staff), news)
        event = staff_event(news).replace(" ", ":")
        await queue_reply(
            unit.outbox,
            self._staff,
            notice.text,
            now=self._clock(),
            dedupe_key=f"plan:{news.plan.id}:{event}",
            digest=True,
            line=notice.line,
        )

    async def _reloaded(self, unit: PlanUnitOfWork, plan: Plan) -> Plan:
        return await unit.plans.get(plan.id) or plan
