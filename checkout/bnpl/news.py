"""What the plan desk, the plan changes and the collection decided, without a word of how it
is said.

:class:`checkout.bnpl.desk.PlanDesk` and :class:`checkout.bnpl.changes.PlanChanges` return a
sequence of these; each channel's presenter turns them into messages and buttons
(:func:`checkout.bnpl.views.news.plan_replies` for the chats, USSD and SMS; the web page reads
them too). A sequence, because some answers are two messages: "the offer changed" and then the
offer as it stands, or "all capped" before the push's news.

The ledger and the collector (:mod:`checkout.bnpl.ledger`, :mod:`checkout.bnpl.collect`) tell
of collecting: a reminder due, a push on its date, a failed try retried or an installment
overdue; and the staff are told of a plan's steps. Those are said by
:mod:`checkout.bnpl.views.collecting`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from checkout.bnpl.pushes import PushResult
from checkout.bnpl.records import Installment, Plan
from checkout.bnpl.rules import Refusal, Retry, Schedule
from checkout.domain.outcomes import ChangeAnswer, PlanAnswer

# --- the desk ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderPaid:
    """No plan for ``order``: it has nothing left to pay."""

    order: str


@dataclass(frozen=True, slots=True)
class PlanRefused:
    """No plan is offered for ``order``, because of ``refusal``."""

    order: str
    refusal: Refusal


@dataclass(frozen=True, slots=True)
class PlanOffered:
    """A plan is offered for ``order``, its prompts to ``phone``: one schedule per option."""

    order: str
    phone: str
    options: tuple[Schedule, ...]


@dataclass(frozen=True, slots=True)
class PlanAnswered:
    """The desk's answer to a plan request that did nothing (or did not do what was asked)."""

    answer: PlanAnswer


@dataclass(frozen=True, slots=True)
class PlansListed:
    """The customer's ``plans`` at ``now``: on a USSD screen (``ussd``), or only the last
    plan's own message (``last_only``: one plan shown on its own)."""

    plans: tuple[Plan, ...]
    now: datetime
    ussd: bool = False
    last_only: bool = False


@dataclass(frozen=True, slots=True)
class PlanDropped:
    """The plan waiting for its deposit was dropped."""

    plan: Plan


@dataclass(frozen=True, slots=True)
class PlanPushed:
    """A push for ``plan`` (its ``deposit``, else installments) ended as ``result`` says."""

    plan: Plan
    result: PushResult
    deposit: bool


@dataclass(frozen=True, slots=True)
class AllCapped:
    """ "Pay all" asked more than one push may carry: ``amount`` is pushed first."""

    amount: int


# --- one installment's news (the changes' and the collection's) --------------------------------


@dataclass(frozen=True, slots=True)
class InstallmentNews:
    """News of ``installment`` of ``plan``: the fields every such record starts with (the
    changes' and the collection's records below add what is particular to them)."""

    plan: Plan
    installment: Installment


# --- the changes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoveOptions(InstallmentNews):
    """``installment`` of ``plan`` may move by 1 to ``limit`` days."""

    limit: int


@dataclass(frozen=True, slots=True)
class PlanMoved(InstallmentNews):
    """``installment`` of ``plan`` was moved (it holds its new date)."""


@dataclass(frozen=True, slots=True)
class PlanRolled:
    """``missed`` was added to ``following`` (which holds the sum)."""

    plan: Plan
    missed: Installment
    following: Installment


@dataclass(frozen=True, slots=True)
class ChangeAnswered:
    """Why a change was not made."""

    answer: ChangeAnswer


PlanNews = (
    OrderPaid
    | PlanRefused
    | PlanOffered
    | PlanAnswered
    | PlansListed
    | PlanDropped
    | PlanPushed
    | AllCapped
    | MoveOptions
    | PlanMoved
    | PlanRolled
    | ChangeAnswered
)


# --- collecting --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderDue(InstallmentNews):
    """``installment`` of ``plan`` is reminded at ``now``: the day before its date, or (with
    ``until``, the end of its grace period) once after it was missed."""

    now: datetime
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class InstallmentPushed(InstallmentNews):
    """The push for ``installment`` of ``plan`` went out on its date: the PIN is asked for."""


@dataclass(frozen=True, slots=True)
class TryScheduled(InstallmentNews):
    """An automatic try for ``installment`` of ``plan`` failed; the next is ``kind``'s."""

    kind: Retry


@dataclass(frozen=True, slots=True)
class GraceRunning(InstallmentNews):
    """An automatic try failed and none is left: ``installment`` may be paid until ``until``."""

    until: datetime


@dataclass(frozen=True, slots=True)
class InstallmentOverdue(InstallmentNews):
    """``installment`` of ``plan`` is overdue (it holds the late ``fee`` added, if any)."""

    fee: int


MissedNews = TryScheduled | GraceRunning | InstallmentOverdue
"""What an automatic try that failed led to."""

CollectionNews = ReminderDue | InstallmentPushed | InstallmentOverdue
"""What the collection tells a plan's customer on its own."""


# --- the staff ---------------------------------------------------------------------------------


class Milestone(StrEnum):
    """A step of a plan's life the staff are told of."""

    ACCEPTED = "accepted"  # the customer chose the plan; its deposit is asked for
    ACTIVE = "active"  # the deposit was paid
    COMPLETED = "completed"  # the last installment was paid


@dataclass(frozen=True, slots=True)
class PlanReached:
    """``plan`` reached ``milestone``."""

    plan: Plan
    milestone: Milestone


StaffNews = PlanReached | PlanDropped | InstallmentOverdue | PlanMoved | PlanRolled
"""What the staff are told of a plan, once per plan and event (:func:`staff_event`)."""


def staff_event(news: StaffNews) -> str:
    """The event the staff are told of, by name (``active``, ``overdue 2``, ``moved``): a
    plan is told of each once (an overdue installment once per installment)."""
    match news:
        case PlanReached(_, milestone):
            return milestone.value
        case PlanDropped():
            return "dropped"
        case InstallmentOverdue(_, installment):
            return f"overdue {installment.number}"
        case PlanMoved():
            return "moved"
        case PlanRolled():
            return "rolled"
