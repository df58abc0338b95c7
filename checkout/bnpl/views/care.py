"""How the customer-friendly plan rules read: the grace period, "Move this date", "Add to next
payment", and the buttons that offer them.

Pure functions from records to :class:`Reply` values, in the plan's language. The buttons are
shown only when the rule allows the change (once per plan each), so a customer never presses
one that can only be refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from checkout.bnpl.records import Installment, Plan
from checkout.bnpl.rules import FEE_CAP_PERCENT, Action, PlanRules, action_data, move_data
from checkout.domain.money import format_number
from checkout.domain.records import Language
from checkout.domain.replies import Button, Reply
from checkout.i18n.chat import plan_date, plan_text


def _row(language: Language, key: str, data: str, **params: object) -> tuple[Button, ...]:
    return (Button(plan_text(language, key, **params), data),)


def care_rows(plan: Plan, now: datetime) -> tuple[tuple[Button, ...], ...]:
    """ "Move this date" and "Add to next payment", each only while the plan may use it."""
    rows: list[tuple[Button, ...]] = []
    if plan.move_limit(now) > 0:
        rows.append(_row(plan.language, "button_plan_move", action_data(Action.MOVE, plan.id)))
    if plan.rollable() is not None:
        rows.append(_row(plan.language, "button_plan_roll", action_data(Action.ROLL, plan.id)))
    return tuple(rows)


def offer_care_lines(language: Language, rules: PlanRules, balance: int) -> list[str]:
    """The offer's lines on the grace period, the two once-per-plan changes, and the fee cap."""
    lines = []
    if rules.grace_days > 0:
        lines.append(plan_text(language, "plan_offer_grace", grace=rules.grace_days))
    lines.append(plan_text(language, "plan_offer_choices"))
    if rules.late_fee > 0:
        cap = balance * FEE_CAP_PERCENT // 100
        lines.append(plan_text(language, "plan_offer_fee_cap", cap=format_number(cap)))
    return lines


def missed_reminder_reply(
    plan: Plan,
    installment: Installment,
    until: datetime,
    pay_now: tuple[Button, ...],
    now: datetime,
) -> Reply:
    """The one polite reminder of a grace period: not paid yet, and until when it may be."""
    language = plan.language
    text = plan_text(
        language,
        "plan_missed_reminder",
        amount=installment.amount,
        order=plan.order_reference,
        number=installment.number,
        count=plan.count,
        date=plan_date(language, installment.due_at),
        until=plan_date(language, until),
    )
    return Reply(text, buttons=(pay_now, *care_rows(plan, now)))


def grace_extra(language: Language, until: datetime) -> str:
    """Said under a failed last try when the grace period still runs."""
    return plan_text(language, "plan_retry_grace", until=plan_date(language, until))


def move_options_reply(plan: Plan, installment: Installment, limit: int) -> Reply:
    """Which day the upcoming installment may move to: one button per day, up to ``limit``."""
    language = plan.language
    text = plan_text(
        language,
        "plan_move_ask",
        number=installment.number,
        count=plan.count,
        order=plan.order_reference,
        amount=installment.amount,
        date=plan_date(language, installment.due_at),
    )
    rows = tuple(
        _row(
            language,
            "button_plan_move_to",
            move_data(plan.id, days),
            date=plan_date(language, installment.due_at + timedelta(days=days)),
        )
        for days in range(1, limit + 1)
    )
    return Reply(text, buttons=rows)


def moved_reply(plan: Plan, installment: Installment) -> Reply:
    """The installment's new date, confirmed."""
    language = plan.language
    text = plan_text(
        language,
        "plan_moved",
        number=installment.number,
        count=plan.count,
        order=plan.order_reference,
        amount=installment.amount,
        date=plan_date(language, installment.due_at),
    )
    return Reply(text)


def rolled_reply(plan: Plan, missed: Installment, following: Installment) -> Reply:
    """The missed installment was added to the next one: what is due, and when."""
    language = plan.language
    text = plan_text(
        language,
        "plan_rolled",
        amount=missed.amount,
        number=missed.number,
        next_amount=following.amount,
        date=plan_date(language, following.due_at),
    )
    return Reply(text)


class ChangeAnswer(StrEnum):
    """Why a change the customer asked for was not made."""

    MOVE_USED = "move_used"  # the plan's one move was used
    NO_UPCOMING = "move_none"  # nothing upcoming to move
    ROLL_USED = "roll_used"  # the plan's one "Add to next payment" was used
    NO_MISSED = "roll_none"  # nothing missed, or nothing after it to add it to
    TOO_LARGE = "roll_too_large"  # the two together are more than one M-Pesa payment


def change_answer_reply(language: Language, answer: ChangeAnswer) -> Reply:
    """Why the change was not made, in one sentence."""
    return Reply(plan_text(language, f"plan_{answer.value}"))
