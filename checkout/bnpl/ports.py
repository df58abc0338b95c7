"""What the plan services need from storage, as a ``Protocol`` (storage implements it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, cast

from checkout.bnpl.records import Installment, NewPlan, Plan, PlanPayment, PlanStatus
from checkout.bnpl.rules import Standing
from checkout.payments.unit import UnitOfWork


class PlanRepository(Protocol):
    """Plans, their installments and the payments linked to them."""

    async def create(self, new: NewPlan, *, now: datetime) -> Plan:
        """Store a plan waiting for its deposit, with every installment of its schedule."""
        ...

    async def get(self, plan_id: int) -> Plan | None:
        """The plan with this id, or None."""
        ...

    async def open_for_customer(self, customer_id: int) -> Sequence[Plan]:
        """The customer's plans still expecting a payment, oldest first."""
        ...

    async def open_for_order(self, order_reference: str) -> Plan | None:
        """The order's oldest plan still expecting a payment, if any."""
        ...

    async def standing(
        self, *, customer_id: int | None, phone: str, order_reference: str | None = None
    ) -> Standing:
        """The customer's payments and plans, matched by customer or by paying phone; with
        ``order_reference``, also whether that order's oldest open plan is owing (as
        :meth:`open_for_order` finds it)."""
        ...

    async def link_for(self, payment_id: int) -> PlanPayment | None:
        """The plan part this payment pays, if it pays one."""
        ...

    async def preload(self, payment_ids: Sequence[int], order_references: Sequence[str]) -> None:
        """Learn in one lookup which of these payments pay a plan and which orders have one.

        For the rest of the unit, :meth:`link_for` and :meth:`open_for_order` answer None for
        the others without asking the database (until a plan or link is written).
        """
        ...

    async def claim(self, plan_id: int, *, now: datetime, lease_seconds: float) -> bool:
        """Claim an open plan for one push: False if claimed, closed, or a payment is in flight."""
        ...

    async def release(self, plan_id: int) -> None:
        """Release a plan claimed by :meth:`claim` or :meth:`claim_due`."""
        ...

    async def claim_due(self, *, now: datetime, limit: int, lease_seconds: float) -> Sequence[Plan]:
        """Claim owing plans with an installment due for a push and no payment in flight.

        Locked rows are skipped, so two processes never claim the same plan.
        """
        ...

    async def claim_reminders(self, *, now: datetime, limit: int) -> Sequence[Installment]:
        """Take installments of owing plans whose reminder is due, clearing it (sent once)."""
        ...

    async def claim_grace_ended(self, *, now: datetime, limit: int) -> Sequence[Installment]:
        """Take missed installments whose grace ended and that have no automatic try left.

        Only of owing plans with no payment in flight; ``overdue_at`` is cleared as they are
        taken, so one process makes each overdue.
        """
        ...

    async def record_attempt(self, link: PlanPayment, *, now: datetime) -> None:
        """Link a payment to installments ``first``..``last`` and note it on each unpaid one.

        An automatic payment counts as an attempt and unschedules the installment's next one.
        """
        ...

    async def save_installment(self, installment: Installment) -> None:
        """Store an installment's amount, status and collection fields."""
        ...

    async def set_status(self, plan_id: int, status: PlanStatus, *, now: datetime) -> None:
        """Move a plan to ``status``."""
        ...


class PlanUnitOfWork(UnitOfWork, Protocol):
    """The unit of work with the Buy-Now-Pay-Later plans."""

    @property
    def plans(self) -> PlanRepository:
        """The Buy-Now-Pay-Later plans of this unit."""
        ...


PlanUnitOfWorkFactory = Callable[[], PlanUnitOfWork]


def with_plans(unit: UnitOfWork) -> PlanUnitOfWork:
    """The plans' view of a unit payments hand back (the settling hook, a payment's link).

    Payments sit below BNPL and know their unit without plans; the units storage makes hold
    every repository, so this only fails for a unit that was never given plans.
    """
    # Not ``isinstance(unit, PlanUnitOfWork)``: a runtime-checkable protocol's check looks up
    # every member of the unit of work, and storage's units make each repository on first
    # look-up, so the check made a dozen repositories a call (about 3 % of a checkout's CPU).
    # ``plans`` is the one member a unit of work without plans lacks.
    if not hasattr(unit, "plans"):
        raise TypeError("this unit of work holds no plans")
    return cast(PlanUnitOfWork, unit)
