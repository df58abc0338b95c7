"""How the customer-friendly plan rules look: the grace period's reminder, "Move this date",
"Add to next payment", and the buttons that offer them.

Pure functions from records to :class:`Reply` values, in the plan's language (the words are
:mod:`checkout.i18n.plans`'s). The buttons are shown only when the rule allows the change
(once per plan each), so a customer never presses one that can only be refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from checkout.bnpl.records import Installment, Plan
from checkout.bnpl.rules import Action, action_data, move_data
from checkout.domain.outcomes import ChangeAnswer
from checkout.domain.records import Language
from checkout.domain.replies import Button, Reply
from checkout.i18n.plans import words
from checkout.i18n.plans.labels import PlanButton, label, move_to_label


def shown(plan: Plan, installment: Installment) -> words.InstallmentShown:
    """What a message shows of ``installment`` of ``plan``."""
    return words.InstallmentShown(
        order=plan.order_reference,
        number=installment.number,
        count=plan.count,
        amount=installment.amount,
        due_at=installment.due_at,
    )


def care_rows(plan: Plan, now: datetime) -> tuple[tuple[Button, ...], ...]:
    """ "Move this date" and "Add to next payment", each only while the plan may use it."""
    offered = (
        (PlanButton.MOVE, Action.MOVE, plan.move_limit(now) > 0),
        (PlanButton.ROLL, Action.ROLL, plan.rollable() is not None),
    )
    return tuple(
        (Button(label(plan.language, button), action_data(action, plan.id)),)
        for button, action, may in offered
        if may
    )


def missed_reminder_reply(
    plan: Plan,
    installment: Installment,
    until: datetime,
    pay_now: tuple[Button, ...],
    now: datetime,
) -> Reply:
    """The one polite reminder of a grace period: not paid yet, and until when it may be."""
    text = words.missed_reminder_text(plan.language, shown(plan, installment), until=until)
    return Reply(text, buttons=(pay_now, *care_rows(plan, now)))


def move_options_reply(plan: Plan, installment: Installment, limit: int) -> Reply:
    """Which day the upcoming installment may move to: one button per day, up to ``limit``."""
    language = plan.language
    rows = tuple(
        (
            Button(
                move_to_label(language, installment.due_at + timedelta(days=days)),
                move_data(plan.id, days),
            ),
        )
        for days in range(1, limit + 1)
    )
    return Reply(words.move_ask_text(language, shown(plan, installment)), buttons=rows)


def moved_reply(plan: Plan, installment: Installment) -> Reply:
    """The installment's new date, confirmed."""
    return Reply(words.moved_text(plan.language, shown(plan, installment)))


def rolled_reply(plan: Plan, missed: Installment, following: Installment) -> Reply:
    """The missed installment was added to the next one: what is due, and when."""
    text = words.rolled_text(
        plan.language,
        missed=missed.amount,
        number=missed.number,
        following=shown(plan, following),
    )
    return Reply(text)


def change_answer_reply(language: Language, answer: ChangeAnswer) -> Reply:
    """Why the change was not made, in one sentence."""
    return Reply(words.change_answer_text(language, answer))
