"""An order's open plan as its page shows it: the schedule, what is paid and left, the buttons.

The sentence above the schedule is the chat's own ``/plans`` line for the plan
(:func:`checkout.bnpl.views.plans.plan_reply`); each part's date is the chat's (Nairobi weekday
and ``dd/mm`` in the page's language); the part names and states are the receipt's words where
they exist, the page's own otherwise. The buttons are the chat's "Pay now" / "Pay everything" /
"Pay the deposit" with their amounts: each posts an :class:`checkout.bnpl.rules.Action` value
that :meth:`web.plans.WebPlans.act` carries out through the plan desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from checkout.bnpl.records import Installment, InstallmentStatus, Plan, PlanStatus
from checkout.bnpl.rules import Action
from checkout.bnpl.views.plans import plan_reply
from checkout.domain.money import format_number
from checkout.domain.records import Language
from checkout.i18n.chat import plan_date
from web.texts import w


@dataclass(frozen=True, slots=True)
class PartShown:
    """One row of the schedule: the part's name, date, amount and state (``state`` names the
    state for the page's style: paid, due, missed, awaited, cancelled, rolled)."""

    label: str
    date: str
    amount: str
    state: str
    state_text: str


@dataclass(frozen=True, slots=True)
class PlanSection:
    """The "Your plan" section: the plan's id (posted back), its line, rows and buttons."""

    plan_id: int
    summary: str
    parts: tuple[PartShown, ...]
    buttons: tuple[tuple[str, str], ...]  # (the action posted, the button's label)
    owing: bool  # its deposit is paid: the plan's buttons replace the free amount form


def part_label(language: Language, item: Installment) -> str:
    """ "Deposit" or "Installment 2", as the page and the receipt name a part of a plan."""
    if item.is_deposit:
        return w(language, "receipt_plan_deposit")
    return w(language, "receipt_plan_installment", number=item.number)


def _state(plan: Plan, item: Installment) -> str:
    if item.status is InstallmentStatus.PAID:
        return "paid"
    if item.status is InstallmentStatus.CANCELLED:
        return "cancelled"
    if item.status is InstallmentStatus.ROLLED:
        return "rolled"
    if plan.status is PlanStatus.PENDING_DEPOSIT and item.is_deposit:
        return "awaited"
    if item.is_missed or item.status is InstallmentStatus.OVERDUE:
        return "missed"
    return "due"


# The page's words for each state: the receipt's where it has them.
_STATE_KEYS = {
    "paid": "receipt_plan_paid",
    "due": "receipt_plan_due",
    "cancelled": "receipt_plan_cancelled",
    "missed": "plan_state_missed",
    "awaited": "plan_state_awaited",
    "rolled": "plan_state_rolled",
}


def _part(language: Language, plan: Plan, item: Installment) -> PartShown:
    state = _state(plan, item)
    text = w(language, _STATE_KEYS[state])
    if item.late_fee > 0:
        text += f" ({w(language, 'receipt_plan_fee', fee=format_number(item.late_fee))})"
    return PartShown(
        label=part_label(language, item),
        date=plan_date(language, item.due_at),
        amount=f"KES {format_number(item.amount)}",
        state=state,
        state_text=text,
    )


def plan_section(language: Language, plan: Plan | None, now: datetime) -> PlanSection | None:
    """The section for the order's open plan; None without one (or once nothing is owed)."""
    if plan is None or not plan.status.is_open:
        return None
    buttons: list[tuple[str, str]] = []
    if plan.status is PlanStatus.PENDING_DEPOSIT:
        label = w(language, "plan_pay_deposit", amount=format_number(plan.deposit.amount))
        buttons.append((Action.DEPOSIT.value, label))
    else:
        upcoming = plan.next_unpaid
        if upcoming is None:
            return None  # paid up, being completed: the order's page says the rest
        buttons.append(
            (Action.NEXT.value, w(language, "plan_pay_next", amount=format_number(upcoming.amount)))
        )
        if len(plan.unpaid) > 1:
            buttons.append(
                (Action.ALL.value, w(language, "plan_pay_all", amount=format_number(plan.left)))
            )
    return PlanSection(
        plan_id=plan.id,
        summary=plan_reply(language, plan, now).text,
        parts=tuple(_part(language, plan, item) for item in plan.installments),
        buttons=tuple(buttons),
        owing=plan.status.is_owing,
    )
