"""Changes a customer may make to their plan, once per plan each, with the staff told.

"Move this date" moves the upcoming installment by 1 to ``MOVE_DAYS`` days (never past the
next installment's date): its push and its reminder move with it. "Add to next payment" rolls
a missed installment (one whose try on its date failed, still in its grace period) into the
next one instead of retrying it: nothing more is pushed for it, and the next installment
asks for both. The plan is claimed while it changes, so a push in flight is never changed
under it. Neither change costs anything.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from checkout.bnpl.ledger import PlanLedger
from checkout.bnpl.news import (
    ChangeAnswered,
    MoveOptions,
    PlanAnswered,
    PlanMoved,
    PlanNews,
    PlanRolled,
)
from checkout.bnpl.ports import PlanUnitOfWork, PlanUnitOfWorkFactory
from checkout.bnpl.records import InstallmentStatus, Plan
from checkout.domain.money import MAX_AMOUNT
from checkout.domain.outcomes import ChangeAnswer, PlanAnswer
from checkout.domain.time import Clock

log = logging.getLogger(__name__)


class PlanChanges:
    """Moves a date or rolls a missed installment, for the customer who owns the plan."""

    def __init__(self, units: PlanUnitOfWorkFactory, ledger: PlanLedger, *, clock: Clock) -> None:
        self._units = units
        self._ledger = ledger
        self._clock = clock

    def move_options(self, plan: Plan) -> list[PlanNews]:
        """The days the upcoming installment may move to, or why it may not move."""
        now = self._clock()
        refused = self._move_refusal(plan)
        upcoming = plan.upcoming(now)
        limit = plan.move_limit(now)
        if refused is not None or upcoming is None or limit < 1:
            return [ChangeAnswered(refused or ChangeAnswer.NO_UPCOMING)]
        return [MoveOptions(plan, upcoming, limit)]

    async def move(self, plan: Plan, days: int) -> list[PlanNews]:
        """Move the upcoming installment by ``days``; the staff are told."""
        now = self._clock()
        async with self._units() as unit:
            fresh = await self._claimed(unit, plan.id)
            if fresh is None:
                return [PlanAnswered(PlanAnswer.ALREADY_PAYING)]
            refused = self._move_refusal(fresh)
            upcoming = fresh.upcoming(now)
            if refused is not None or upcoming is None:
                await unit.rollback()
                return [ChangeAnswered(refused or ChangeAnswer.NO_UPCOMING)]
            if not 1 <= days <= fresh.move_limit(now):
                # Not a day offered (an old button, or typed): show the days that may be chosen.
                await unit.rollback()
                return self.move_options(fresh)
            new_date = upcoming.due_at + timedelta(days=days)
            remind = new_date - timedelta(days=1)
            moved = replace(
                upcoming,
                due_at=new_date,
                moved_from=upcoming.due_at,
                next_attempt_at=new_date,
                remind_at=remind if remind > now else None,
            )
            await unit.plans.save_installment(moved)
            news = PlanMoved(fresh, moved)
            await self._ledger.notify_staff(unit, news)
            await unit.plans.release(plan.id)
            await unit.commit()
        log.info("plan %s: installment %s moved by %s days", plan.id, moved.number, days)
        return [news]

    async def roll(self, plan: Plan) -> list[PlanNews]:
        """Add the missed installment to the next one; the staff are told."""
        async with self._units() as unit:
            fresh = await self._claimed(unit, plan.id)
            if fresh is None:
                return [PlanAnswered(PlanAnswer.ALREADY_PAYING)]
            pair = fresh.rollable()
            refused = self._roll_refusal(fresh)
            if refused is not None or pair is None:
                await unit.rollback()
                return [ChangeAnswered(refused or ChangeAnswer.NO_MISSED)]
            missed, following = pair
            rolled = missed.closed(InstallmentStatus.ROLLED)
            bigger = replace(following, amount=following.amount + missed.amount)
            await unit.plans.save_installment(rolled)
            await unit.plans.save_installment(bigger)
            await self._ledger.settle_status(unit, fresh)
            news = PlanRolled(fresh, missed, bigger)
            await self._ledger.notify_staff(unit, news)
            await unit.plans.release(plan.id)
            await unit.commit()
        log.info("plan %s: installment %s added to %s", plan.id, missed.number, bigger.number)
        return [news]

    async def _claimed(self, unit: PlanUnitOfWork, plan_id: int) -> Plan | None:
        """The plan as it is once claimed (None: a push for it is on its way, or it closed).

        Read after the claim: a payment settled since the customer's button was drawn must
        not be rolled or moved over.
        """
        if not await unit.plans.claim(plan_id, now=self._clock(), lease_seconds=60):
            await unit.rollback()
            return None
        return await unit.plans.get(plan_id)

    @staticmethod
    def _move_refusal(plan: Plan) -> ChangeAnswer | None:
        return ChangeAnswer.MOVE_USED if plan.date_moved else None

    @staticmethod
    def _roll_refusal(plan: Plan) -> ChangeAnswer | None:
        if plan.rolled:
            return ChangeAnswer.ROLL_USED
        pair = plan.rollable()
        if pair is None:
            return ChangeAnswer.NO_MISSED
        if pair[0].amount + pair[1].amount > MAX_AMOUNT:
            return ChangeAnswer.TOO_LARGE
        return None
