"""Who may have a plan: the one eligibility question every channel asks before "Pay later".

Telegram and WhatsApp (the amount and confirmation steps, and a payment that found no
balance), the web page and the plan desk itself all ask :class:`PlanEligibility`, so a
customer who cannot have a plan (a brand-new one while the rules ask for a paid payment
first, one with an overdue plan, one over the outstanding limit) is never shown "Pay later"
anywhere, and one who may is shown it everywhere. The rules themselves are
:func:`checkout.bnpl.rules.refusal`; this module gathers what they need from the stored
payments and plans.

The customer is whoever the channel knows: its customer record and the paying phone (the
phone a chat remembers, or the one typed on the web page). Either one with a paid payment
counts as history.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from checkout.bnpl.ports import PlanUnitOfWork
from checkout.bnpl.rules import PlanRules, Refusal, Standing, refusal, split


class PlanEligibility:
    """Answers "may this customer have a plan for this order?" from the stored records.

    ``rules`` None or ``offering`` False: no new plan is offered to anyone (existing plans
    are still kept and collected elsewhere).
    """

    def __init__(self, rules: PlanRules | None, *, offering: bool = True) -> None:
        self._rules = rules if offering else None

    @property
    def rules(self) -> PlanRules | None:
        """The rules of the plans offered, or None when none are."""
        return self._rules

    def order_refusal(
        self, balance: int, now: datetime, *, order_has_plan: bool = False
    ) -> Refusal | None:  # ``now``: kept for rules that may come to depend on the day
        """Why no customer at all may have a plan for ``balance``; None if some customer may.

        What can be said before the customer is known (the web page before a phone is typed):
        plans are on, the order is big enough, an option exists, the order has no plan yet.
        """
        rules = self._rules
        if rules is None:
            return Refusal.DISABLED
        if order_has_plan:
            return Refusal.EXISTS
        if balance < rules.min_order:
            return Refusal.MINIMUM
        # Whether any option's parts are amounts M-Pesa takes: the split alone decides, so the
        # dates of every option need not be built (the web page asks this on every view).
        if all(split(balance, rules.deposit_percent, count) is None for count in rules.options):
            return Refusal.TOO_SMALL
        return None

    async def standing(
        self,
        unit: PlanUnitOfWork,
        *,
        customer_id: int | None,
        phone: str | None,
        order_reference: str | None,
    ) -> Standing:
        """What the business knows of the customer: paid payments, what is owed, any overdue
        plan, and whether the order already has a plan that is being paid (a plan still
        waiting for its deposit may be replaced by a new choice, so it does not count)."""
        if customer_id is not None or phone is not None:
            # An empty phone matches no payment: only the customer record counts then. The
            # order's plan comes in the same statement.
            return await unit.plans.standing(
                customer_id=customer_id, phone=phone or "", order_reference=order_reference
            )
        standing = Standing()
        if order_reference is not None:
            existing = await unit.plans.open_for_order(order_reference)
            has_plan = existing is not None and existing.status.is_owing
            standing = replace(standing, order_has_plan=has_plan)
        return standing

    async def refusal(
        self,
        unit: PlanUnitOfWork,
        *,
        customer_id: int | None,
        phone: str | None,
        order_reference: str | None,
        balance: int,
        now: datetime,
    ) -> Refusal | None:
        """Why this customer may not have a plan for ``balance``, or None if they may."""
        early = self.order_refusal(balance, now)
        if early is not None:
            return early
        standing = await self.standing(
            unit, customer_id=customer_id, phone=phone, order_reference=order_reference
        )
        return refusal(self._rules, standing, balance, now)
