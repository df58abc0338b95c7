"""Plain records of Buy-Now-Pay-Later plans, their installments and the payments that pay them.

A plan waits for its deposit (``pending_deposit``), becomes ``active`` once the deposit is paid,
is ``overdue`` while an installment is past its retries, and ends ``completed`` (everything
paid) or ``cancelled`` (dropped before the deposit, or paid off outside the plan). Installment
number 0 is the deposit. Money is whole shillings; times are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from checkout.bnpl.rules import MOVE_DAYS, Schedule, nairobi_date
from checkout.domain.records import Channel, Customer, Language


class PlanStatus(StrEnum):
    """Where a plan stands."""

    PENDING_DEPOSIT = "pending_deposit"
    ACTIVE = "active"
    OVERDUE = "overdue"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Whether the plan still expects a payment."""
        return self in OPEN_PLAN_STATUSES

    @property
    def is_owing(self) -> bool:
        """Whether the customer owes the plan's installments (its deposit was paid)."""
        return self in OWING_PLAN_STATUSES


OPEN_PLAN_STATUSES = frozenset({PlanStatus.PENDING_DEPOSIT, PlanStatus.ACTIVE, PlanStatus.OVERDUE})
OWING_PLAN_STATUSES = frozenset({PlanStatus.ACTIVE, PlanStatus.OVERDUE})


class InstallmentStatus(StrEnum):
    """Where one payment of a plan stands."""

    DUE = "due"  # not paid yet; collected on its date (or when the customer pays early)
    PAID = "paid"
    OVERDUE = "overdue"  # past its automatic retries; the customer may still pay it
    CANCELLED = "cancelled"  # no longer owed (the plan was dropped or paid off otherwise)
    ROLLED = "rolled"  # missed, and added to the next installment ("Add to next payment")

    @property
    def is_unpaid(self) -> bool:
        """Whether this installment is still owed."""
        return self in (InstallmentStatus.DUE, InstallmentStatus.OVERDUE)


@dataclass(frozen=True, slots=True)
class Installment:
    """One payment of a plan and how collecting it goes.

    ``attempts`` counts automatic pushes; ``next_attempt_at`` is when the collector pushes
    next (None: not scheduled); ``remind_at`` is when the reminder goes out (None: sent or not
    needed); ``payment_id`` is the latest payment made for it.
    """

    id: int
    plan_id: int
    number: int
    amount: int
    due_at: datetime
    status: InstallmentStatus = InstallmentStatus.DUE
    attempts: int = 0
    next_attempt_at: datetime | None = None
    remind_at: datetime | None = None
    payment_id: int | None = None
    paid_at: datetime | None = None
    late_fee: int = 0
    overdue_at: datetime | None = None
    moved_from: datetime | None = None

    @property
    def is_missed(self) -> bool:
        """Whether an automatic try on its date failed and it is still due (in its grace)."""
        return self.status is InstallmentStatus.DUE and self.overdue_at is not None

    @property
    def is_deposit(self) -> bool:
        """Whether this is the deposit paid at acceptance."""
        return self.number == 0

    def closed(self, status: InstallmentStatus) -> Installment:
        """This installment out of automatic collection as ``status`` (paid, rolled, overdue): no
        push, reminder or end of grace is left scheduled for it."""
        return replace(self, status=status, next_attempt_at=None, remind_at=None, overdue_at=None)


@dataclass(frozen=True, slots=True)
class Plan:
    """A plan with its installments, deposit first."""

    id: int
    order_reference: str
    customer_id: int
    channel: Channel
    chat_key: str
    language: Language
    phone: str
    status: PlanStatus
    total: int
    created_at: datetime
    installments: tuple[Installment, ...] = ()

    @property
    def count(self) -> int:
        """How many installments follow the deposit."""
        return len(self.installments) - 1

    @property
    def deposit(self) -> Installment:
        """The deposit (installment number 0)."""
        return self.installments[0]

    @property
    def unpaid(self) -> tuple[Installment, ...]:
        """The installments still owed, in order."""
        return tuple(item for item in self.installments if item.status.is_unpaid)

    @property
    def paid(self) -> int:
        """What has been paid on the plan."""
        return sum(
            item.amount for item in self.installments if item.status is InstallmentStatus.PAID
        )

    @property
    def left(self) -> int:
        """What is still owed on the plan."""
        return sum(item.amount for item in self.unpaid)

    @property
    def next_unpaid(self) -> Installment | None:
        """The earliest installment still owed, if any."""
        unpaid = self.unpaid
        return unpaid[0] if unpaid else None

    @property
    def fees(self) -> int:
        """The late fees charged on the plan so far."""
        return sum(item.late_fee for item in self.installments)

    @property
    def date_moved(self) -> bool:
        """Whether the customer has used the plan's one "Move this date"."""
        return any(item.moved_from is not None for item in self.installments)

    @property
    def rolled(self) -> bool:
        """Whether the customer has used the plan's one "Add to next payment"."""
        return any(item.status is InstallmentStatus.ROLLED for item in self.installments)

    def upcoming(self, now: datetime) -> Installment | None:
        """The earliest installment still to be collected on a later date, if any."""
        return next(
            (
                item
                for item in self.installments
                if item.number > 0
                and item.status is InstallmentStatus.DUE
                and item.overdue_at is None
                and item.due_at > now
            ),
            None,
        )

    def missed(self) -> Installment | None:
        """The earliest missed installment (in its grace period), if any."""
        return next((item for item in self.installments if item.is_missed), None)

    def after(self, installment: Installment) -> Installment | None:
        """The next installment still owed after ``installment``, if any."""
        return next(
            (
                item
                for item in self.installments
                if item.number > installment.number and item.status.is_unpaid
            ),
            None,
        )

    def move_limit(self, now: datetime) -> int:
        """How many days the upcoming installment may be moved by (0: it may not).

        Once per plan, up to ``MOVE_DAYS``, and never past the next installment's date.
        """
        upcoming = self.upcoming(now)
        if not self.status.is_owing or self.date_moved or upcoming is None:
            return 0
        limit = MOVE_DAYS
        following = self.after(upcoming)
        if following is not None:
            gap = nairobi_date(following.due_at) - nairobi_date(upcoming.due_at)
            limit = min(limit, gap.days)
        return max(0, limit)

    def rollable(self) -> tuple[Installment, Installment] | None:
        """The missed installment and the next one it may be added to, once per plan."""
        missed = self.missed()
        if not self.status.is_owing or self.rolled or missed is None:
            return None
        following = self.after(missed)
        return (missed, following) if following is not None else None

    def installment(self, number: int) -> Installment:
        """The installment with this number."""
        return next(item for item in self.installments if item.number == number)

    @property
    def customer(self) -> Customer:
        """The customer who took the plan, as the payment service needs them."""
        return Customer(
            id=self.customer_id,
            channel=self.channel,
            chat_key=self.chat_key,
            language=self.language,
            phone=self.phone,
        )


@dataclass(frozen=True, slots=True)
class NewPlan:
    """A plan accepted by a customer, before it is stored."""

    order_reference: str
    customer: Customer
    language: Language
    phone: str
    schedule: Schedule


@dataclass(frozen=True, slots=True)
class PlanPayment:
    """A payment made for installments ``first``..``last`` of a plan.

    ``automatic`` payments are the collector's, and count towards the installment's retries.
    """

    plan_id: int
    payment_id: int
    first: int
    last: int
    automatic: bool = False
