"""What the plan desk and the plan changes decided, without a word of how it is said.

:class:`checkout.bnpl.desk.PlanDesk` and :class:`checkout.bnpl.changes.PlanChanges` return a
sequence of these; each channel's presenter turns them into messages and buttons
(:func:`checkout.bnpl.views.news.plan_replies` for the chats, USSD and SMS; the web page reads
them too). A sequence, because some answers are two messages: "the offer changed" and then the
offer as it stands, or "all capped" before the push's news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from checkout.bnpl.pushes import PushResult
from checkout.bnpl.records import Installment, Plan
from checkout.bnpl.rules import Refusal, Schedule
from checkout.i18n.plans.words import ChangeAnswer, PlanAnswer

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


# --- the changes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoveOptions:
    """``installment`` of ``plan`` may move by 1 to ``limit`` days."""

    plan: Plan
    installment: Installment
    limit: int


@dataclass(frozen=True, slots=True)
class PlanMoved:
    """``installment`` of ``plan`` was moved (it holds its new date)."""

    plan: Plan
    installment: Installment


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
