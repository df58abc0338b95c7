"""Plans in the conversation: the offer, accepting it, ``/plans`` and the buttons on a plan.

The flow asks for these through effects (:class:`checkout.bnpl.requests.OfferPlan` and
friends); :class:`PlanDesk` answers with what happened (:mod:`checkout.bnpl.news`), which each
channel says in its own way (:func:`checkout.bnpl.views.news.plan_replies`). Who may have a
plan is decided here, on the stored payments and plans, and decided again when an option is
taken. An option taken on another day, or for a balance that has changed since, is not
accepted: the customer is shown the offer as it stands now, since the dates and amounts they
agree to must be the ones shown.
"""

from __future__ import annotations

import logging
from datetime import datetime

from checkout.bnpl.changes import PlanChanges
from checkout.bnpl.eligibility import PlanEligibility
from checkout.bnpl.ledger import PlanLedger
from checkout.bnpl.news import (
    AllCapped,
    Milestone,
    OrderPaid,
    PlanAnswered,
    PlanDropped,
    PlanNews,
    PlanOffered,
    PlanPushed,
    PlanReached,
    PlanRefused,
    PlansListed,
)
from checkout.bnpl.ports import PlanUnitOfWork, PlanUnitOfWorkFactory
from checkout.bnpl.pushes import PlanPusher, PlanPushOutcome
from checkout.bnpl.records import NewPlan, Plan, PlanStatus
from checkout.bnpl.requests import (
    AcceptPlan,
    ActOnPlan,
    OfferPlan,
    PlanEffect,
    ShowPlans,
)
from checkout.bnpl.rules import (
    Action,
    PlanRules,
    Refusal,
    Schedule,
    Standing,
    nairobi_date,
    refusal,
    schedule,
    schedules,
)
from checkout.bnpl.views.plans import capped_amount
from checkout.domain.outcomes import PlanAnswer
from checkout.domain.records import Channel, Customer, Language
from checkout.domain.time import Clock

log = logging.getLogger(__name__)


class PlanDesk:
    """Answers the flow's plan effects for one customer at a time."""

    def __init__(
        self,
        units: PlanUnitOfWorkFactory,
        pusher: PlanPusher,
        ledger: PlanLedger,
        *,
        clock: Clock,
        offering: bool = True,
    ) -> None:
        self._units = units
        self._pusher = pusher
        self._ledger = ledger
        # The plans' terms (the offer's message states them).
        self.rules: PlanRules = ledger.rules
        self._clock = clock
        self._changes = PlanChanges(units, ledger, clock=clock)
        # Off: no new plans are offered, but existing ones are still shown and paid.
        self._offering = offering
        # The one question every channel asks before "Pay later" (the flow asks it too).
        self.eligibility = PlanEligibility(self.rules, offering=offering)

    async def handle(
        self, customer: Customer, language: Language, effect: PlanEffect, *, at_once: bool = False
    ) -> list[PlanNews]:
        """Carry out one plan effect; ``at_once`` (USSD) queues pushes instead of sending them."""
        if isinstance(effect, OfferPlan):
            return await self.offer(customer, effect)
        if isinstance(effect, AcceptPlan):
            return await self.accept(customer, language, effect, at_once=at_once)
        if isinstance(effect, ShowPlans):
            return await self.show(customer)
        return await self.act(customer, language, effect, at_once=at_once)

    # --- the offer -------------------------------------------------------------------------

    async def offer(self, customer: Customer, effect: OfferPlan) -> list[PlanNews]:
        """The offer for the order, or why there is none, in one sentence."""
        now = self._clock()
        async with self._units() as unit:
            balance = await self._balance(unit, effect.order_reference, effect.amount)
            standing = await self._standing(unit, customer, effect.phone, effect.order_reference)
        return self._offer_or_refusal(effect.order_reference, effect.phone, balance, standing, now)

    def _offer_or_refusal(
        self,
        order: str,
        phone: str,
        balance: int | None,
        standing: Standing,
        now: datetime,
    ) -> list[PlanNews]:
        if balance is None or balance <= 0:
            return [OrderPaid(order)]
        refused = self._refusal(standing, balance, now)
        if refused is not None:
            return [PlanRefused(order, refused)]
        return [PlanOffered(order, phone, schedules(balance, self.rules, now))]

    def _refusal(self, standing: Standing, balance: int, now: datetime) -> Refusal | None:
        return refusal(self.rules if self._offering else None, standing, balance, now)

    async def _balance(self, unit: PlanUnitOfWork, reference: str, typed: int | None) -> int | None:
        """What a plan for the order covers: a known order's balance, else the amount typed."""
        order = await unit.orders.get(reference)
        if order is not None and order.known:
            return order.balance
        if typed is not None:
            return typed
        return order.balance if order is not None else None

    async def _standing(
        self, unit: PlanUnitOfWork, customer: Customer, phone: str, reference: str
    ) -> Standing:
        return await self.eligibility.standing(
            unit, customer_id=customer.id, phone=phone, order_reference=reference
        )

    # --- accepting -------------------------------------------------------------------------

    async def accept(
        self, customer: Customer, language: Language, effect: AcceptPlan, *, at_once: bool = False
    ) -> list[PlanNews]:
        """Store the plan chosen and send its deposit's push; re-offer if the offer changed."""
        now = self._clock()
        reference = effect.order_reference
        async with self._units() as unit:
            balance = await self._balance(unit, reference, effect.amount)
            standing = await self._standing(unit, customer, effect.phone, reference)
            existing = await unit.plans.open_for_order(reference)
        current = self._offer_or_refusal(reference, effect.phone, balance, standing, now)
        if balance is None or balance <= 0 or self._refusal(standing, balance, now) is not None:
            return current
        option = schedule(balance, self.rules, effect.count, now)
        if (
            option is None
            or effect.count not in self.rules.options
            or balance != effect.balance
            or nairobi_date(now) != effect.offered_on
        ):
            return [PlanAnswered(PlanAnswer.OFFER_CHANGED), *current]
        if existing is not None and not await self._replace(existing):
            return [PlanAnswered(PlanAnswer.ALREADY_PAYING)]
        plan = await self._create(customer, language, effect, option, now)
        if not await self._first_for_order(plan):
            return [PlanAnswered(PlanAnswer.ALREADY_PAYING)]
        log.info("plan %s chosen for order %s", plan.id, reference)
        result = await self._pusher.push(plan, 0, 0, language=language, at_once=at_once)
        if result.outcome in (PlanPushOutcome.SENT, PlanPushOutcome.QUEUED):
            async with self._units() as unit:
                await self._ledger.notify_staff(unit, PlanReached(plan, Milestone.ACCEPTED))
                await unit.commit()
        return [PlanPushed(plan, result, deposit=True)]

    async def _first_for_order(self, plan: Plan) -> bool:
        """Keep ``plan`` only if no other open plan of its order came first.

        Two acceptances at once both find no plan and both store one: the later one gives
        way (and the earlier one cannot be claimed once cancelled), so one deposit is pushed.
        """
        async with self._units() as unit:
            first = await unit.plans.open_for_order(plan.order_reference)
            if first is not None and first.id != plan.id:
                await unit.plans.set_status(plan.id, PlanStatus.CANCELLED, now=self._clock())
                await unit.commit()
                log.info("plan %s gave way to plan %s of the same order", plan.id, first.id)
                return False
        return True

    async def _replace(self, existing: Plan) -> bool:
        """Cancel a plan still waiting for its deposit, unless that deposit is on its way."""
        async with self._units() as unit:
            if not await unit.plans.claim(existing.id, now=self._clock(), lease_seconds=60):
                return False
            await unit.plans.set_status(existing.id, PlanStatus.CANCELLED, now=self._clock())
            await unit.plans.release(existing.id)
            await unit.commit()
        return True

    async def _create(
        self,
        customer: Customer,
        language: Language,
        effect: AcceptPlan,
        option: Schedule,
        now: datetime,
    ) -> Plan:
        """The stored plan, with its order made (or its amount due raised) for the balance."""
        async with self._units() as unit:
            order = await unit.orders.get(effect.order_reference)
            if order is None:
                order = await unit.orders.create(
                    effect.order_reference, option.balance, known=False
                )
            elif not order.known and order.balance < option.balance:
                # As when paying it: for an order the business did not know, what the
                # customer agrees to pay is what is due.
                await unit.orders.raise_amount_due(
                    order.reference, order.amount_paid + option.balance
                )
            new = NewPlan(order.reference, customer, language, effect.phone, option)
            plan = await unit.plans.create(new, now=now)
            await unit.commit()
        return plan

    # --- /plans and the buttons on a plan ------------------------------------------------

    async def show(self, customer: Customer) -> list[PlanNews]:
        """The customer's open plans with what is paid, what is left and the next date."""
        async with self._units() as unit:
            plans = await unit.plans.open_for_customer(customer.id)
        ussd = customer.channel is Channel.USSD
        return [PlansListed(tuple(plans), self._clock(), ussd=ussd)]

    async def act(
        self, customer: Customer, language: Language, effect: ActOnPlan, *, at_once: bool = False
    ) -> list[PlanNews]:
        """Pay the next installment, everything left, or the deposit; drop a plan; move a date
        or add a missed installment to the next one."""
        async with self._units() as unit:
            plan = await unit.plans.get(effect.plan_id)
        if plan is None or plan.customer_id != customer.id or effect.action not in set(Action):
            return [PlanAnswered(PlanAnswer.NOT_FOUND)]
        action = Action(effect.action)
        if not plan.status.is_open:
            return await self.show(customer)
        if action is Action.SHOW:
            return [PlansListed((plan,), self._clock(), last_only=True)]
        if action is Action.DROP:
            return await self._drop(plan)
        if plan.status is PlanStatus.PENDING_DEPOSIT:
            return await self._deposit(customer, language, plan, at_once=at_once)
        if action is Action.DEPOSIT:
            return await self.show(customer)
        if action is Action.MOVE:
            return self._changes.move_options(plan)
        if action is Action.MOVE_TO:
            return await self._changes.move(plan, effect.days)
        if action is Action.ROLL:
            return await self._changes.roll(plan)
        unpaid = plan.unpaid
        taken = capped_amount(unpaid) if action is Action.ALL else unpaid[:1]
        result = await self._pusher.push(
            plan, taken[0].number, taken[-1].number, language=language, at_once=at_once
        )
        news: list[PlanNews] = [PlanPushed(plan, result, deposit=False)]
        if (
            action is Action.ALL
            and len(taken) < len(unpaid)
            and result.outcome is PlanPushOutcome.SENT
        ):
            amount = sum(item.amount for item in taken)
            news.insert(0, AllCapped(amount))
        return news

    async def _deposit(
        self, customer: Customer, language: Language, plan: Plan, *, at_once: bool
    ) -> list[PlanNews]:
        """Push a waiting plan's deposit again; on a later day its dates no longer hold."""
        now = self._clock()
        if nairobi_date(plan.created_at) != nairobi_date(now):
            if await self._replace(plan):
                offer = OfferPlan(plan.order_reference, True, None, plan.phone)
                changed = PlanAnswered(PlanAnswer.OFFER_CHANGED)
                return [changed, *await self.offer(customer, offer)]
            return [PlanAnswered(PlanAnswer.ALREADY_PAYING)]
        result = await self._pusher.push(plan, 0, 0, language=language, at_once=at_once)
        return [PlanPushed(plan, result, deposit=True)]

    async def _drop(self, plan: Plan) -> list[PlanNews]:
        if plan.status is not PlanStatus.PENDING_DEPOSIT:
            return [PlanAnswered(PlanAnswer.NOT_DROPPABLE)]
        async with self._units() as unit:
            if not await unit.plans.claim(plan.id, now=self._clock(), lease_seconds=60):
                await unit.rollback()
                return [PlanAnswered(PlanAnswer.ALREADY_PAYING)]
            await self._ledger.drop(unit, plan)
            await unit.plans.release(plan.id)
            await unit.commit()
        log.info("plan %s dropped before its deposit", plan.id)
        return [PlanDropped(plan)]
