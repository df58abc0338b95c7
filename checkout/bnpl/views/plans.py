"""How plans look: the offer with its buttons, ``/plans``, reminders, outcomes, notices.

Pure functions from records to :class:`Reply` values for any channel: Telegram shows the
buttons, the demo numbers them, SMS leaves them out. This module decides which message a
plan's news is and which buttons it carries (their data are the plan desk's); the words are
:mod:`checkout.i18n.plans`'s.
"""

from __future__ import annotations

from datetime import datetime

from checkout.bnpl.records import Installment, Plan, PlanStatus
from checkout.bnpl.rules import (
    FEE_CAP_PERCENT,
    PLAN_NO,
    PLAN_PHONE,
    Action,
    PlanRules,
    Refusal,
    Schedule,
    action_data,
    choice_data,
)
from checkout.bnpl.views.care import care_rows, shown
from checkout.domain.money import MAX_AMOUNT
from checkout.domain.outcomes import PlanAnswer, PlanOverdue
from checkout.domain.records import Language, StaffChat
from checkout.domain.replies import Button, Reply
from checkout.i18n.buttons import menu_buttons
from checkout.i18n.contact import BusinessContact
from checkout.i18n.plans import settled, words
from checkout.i18n.plans.labels import PlanButton, option_label, plan_line_label
from checkout.i18n.plans.settled import button_row


def hour_text(language: Language, rules: PlanRules) -> str:
    """The collection hour of ``rules`` as customers read it (``saa nne asubuhi (10:00)``)."""
    return words.hour_text(language, rules.collection_hour)


def pay_now_row(language: Language, plan: Plan) -> tuple[Button, ...]:
    """The "Pay now" button: pays the plan's next installment at once."""
    return settled.pay_now_row(language, plan.id)


# --- the offer -------------------------------------------------------------------------------


def _option(option: Schedule) -> words.OptionShown:
    parts = tuple((part.due_at, part.amount) for part in option.installments)
    return words.OptionShown(option.count, option.deposit.amount, parts, option.total)


def offer_reply(
    language: Language,
    *,
    order: str,
    phone: str,
    options: tuple[Schedule, ...],
    rules: PlanRules,
) -> Reply:
    """The offer: every option's exact schedule and total, the terms, and a button per option."""
    balance = options[0].balance
    terms = words.TermsShown(
        hour=rules.collection_hour,
        late_fee=rules.late_fee,
        grace_days=rules.grace_days,
        fee_cap=balance * FEE_CAP_PERCENT // 100,
    )
    text = words.offer_text(
        language,
        order=order,
        balance=balance,
        phone=phone,
        options=[_option(option) for option in options],
        terms=terms,
    )
    rows: list[tuple[Button, ...]] = [
        (Button(option_label(language, option.count), choice_data(option, order, phone)),)
        for option in options
    ]
    rows.append(button_row(language, PlanButton.OTHER_PHONE, PLAN_PHONE))
    rows.append(button_row(language, PlanButton.NO_THANKS, PLAN_NO))
    return Reply(text, buttons=tuple(rows))


def refusal_reply(language: Language, refusal: Refusal, *, order: str, rules: PlanRules) -> Reply:
    """Why no plan is offered, in one sentence, with the menu to carry on."""
    text = words.refusal_text(
        language,
        refusal.value,
        order=order,
        minimum=rules.min_order,
        limit=rules.max_outstanding,
    )
    return Reply(text, buttons=menu_buttons(language))


# --- /plans ---------------------------------------------------------------------------------


def plan_reply(language: Language, plan: Plan, now: datetime) -> Reply:
    """One plan: paid so far, what is left and the next date, with buttons to pay ahead."""
    if plan.status is PlanStatus.PENDING_DEPOSIT:
        text = words.pending_text(language, order=plan.order_reference, deposit=plan.deposit.amount)
        rows = (
            button_row(language, PlanButton.DEPOSIT, action_data(Action.DEPOSIT, plan.id)),
            button_row(language, PlanButton.DROP, action_data(Action.DROP, plan.id)),
        )
        return Reply(text, buttons=rows)
    upcoming = plan.next_unpaid
    assert upcoming is not None  # plans_replies shows only started plans that still owe
    standing = words.StandingShown(
        upcoming=shown(plan, upcoming),
        paid=plan.paid,
        left=plan.left,
        until=upcoming.overdue_at or upcoming.due_at,
        past_due=upcoming.due_at <= now,
        missed=upcoming.is_missed and upcoming.overdue_at is not None,
    )
    pay_rows = (
        button_row(language, PlanButton.PAY_NEXT, action_data(Action.NEXT, plan.id)),
        button_row(language, PlanButton.PAY_ALL, action_data(Action.ALL, plan.id)),
    )
    return Reply(
        words.standing_text(language, standing), buttons=(*pay_rows, *care_rows(plan, now))
    )


def _open(plans: list[Plan]) -> list[Plan]:
    # A started plan with nothing left is being completed: there is nothing to show of it.
    return [p for p in plans if p.status is PlanStatus.PENDING_DEPOSIT or p.next_unpaid]


def ussd_plans_replies(language: Language, plans: list[Plan], now: datetime) -> list[Reply]:
    """The customer's open plans on a USSD screen, which shows one reply's choices.

    One plan is shown with its choices; several are listed to choose one ("WW-1042: KES
    2,000 left"), which is then shown with its own.
    """
    shown_plans = _open(plans)
    if len(shown_plans) < 2:
        return plans_replies(language, shown_plans, now)
    rows = tuple(
        (
            Button(
                plan_line_label(language, plan.order_reference, plan.left),
                action_data(Action.SHOW, plan.id),
            ),
        )
        for plan in shown_plans
    )
    return [Reply(words.plans_choose_text(language), buttons=rows)]


def plans_replies(language: Language, plans: list[Plan], now: datetime) -> list[Reply]:
    """The customer's open plans, one message each (each with its own buttons)."""
    shown_plans = _open(plans)
    if not shown_plans:
        return [Reply(words.plans_none_text(language))]
    replies = [plan_reply(language, plan, now) for plan in shown_plans]
    return [Reply(words.plans_header_text(language)), *replies]


# --- collecting -------------------------------------------------------------------------------


def reminder_reply(
    plan: Plan, installment: Installment, rules: PlanRules, now: datetime | None = None
) -> Reply:
    """The reminder sent the day before an installment's date, with "Pay now" (and "Move this
    date" while the plan may use it)."""
    language = plan.language
    text = words.reminder_text(language, shown(plan, installment), hour=rules.collection_hour)
    care = care_rows(plan, now) if now is not None else ()
    return Reply(text, buttons=(pay_now_row(language, plan), *care))


def ussd_reminder_reply(
    plan: Plan,
    installment: Installment,
    rules: PlanRules,
    now: datetime,
    code: str,
    *,
    until: datetime | None = None,
) -> Reply:
    """A USSD customer's reminder, one SMS: the day before the date (or, with ``until``, the
    one of a grace period), and the USSD ``code`` whose "My plans" pays it now, moves the date
    or adds a missed installment to the next one (each named only while the plan may)."""
    # Before the date the date may move; in a grace period the missed one may be added on.
    may_change = plan.move_limit(now) > 0 if until is None else plan.rollable() is not None
    text = words.ussd_reminder_text(
        plan.language,
        shown(plan, installment),
        hour=rules.collection_hour,
        code=code,
        until=until,
        may_change=may_change,
    )
    return Reply(text)


def due_reply(plan: Plan, installment: Installment) -> Reply:
    """Sent with an installment's push on its date: what it is for, and to enter the PIN."""
    return Reply(words.due_text(plan.language, shown(plan, installment)))


def overdue_reply(
    plan: Plan, installment: Installment, fee: int, *, contact: BusinessContact
) -> Reply:
    """The polite message for an installment past its retries, with "Pay now"."""
    return settled.overdue_reply(overdue_news(plan, installment, fee), contact=contact)


def overdue_news(plan: Plan, installment: Installment, fee: int) -> PlanOverdue:
    """``installment`` of ``plan`` is overdue now (it owes ``fee`` more), as an outcome."""
    return PlanOverdue(
        plan.id,
        plan.language,
        plan.order_reference,
        number=installment.number,
        count=plan.count,
        amount=installment.amount,
        due_at=installment.due_at,
        fee=fee,
    )


def deposit_rows(language: Language, plan: Plan) -> tuple[tuple[Button, ...], ...]:
    """ "Try again" (the deposit) and "Drop the plan", for a deposit that was not paid."""
    return settled.deposit_rows(language, plan.id)


def capped_amount(installments: tuple[Installment, ...]) -> tuple[Installment, ...]:
    """The leading installments whose sum M-Pesa takes in one payment (at least the first)."""
    taken: list[Installment] = []
    total = 0
    for item in installments:
        if taken and total + item.amount > MAX_AMOUNT:
            break
        taken.append(item)
        total += item.amount
    return tuple(taken)


# --- staff ----------------------------------------------------------------------------------


def _plan_shown(plan: Plan) -> words.PlanShown:
    return words.PlanShown(
        plan.order_reference, plan.total, plan.deposit.amount, plan.count, plan.phone
    )


def plan_staff_text(staff: StaffChat, event: str, plan: Plan, **extra: object) -> str:
    """The staff's notice of ``event`` (``active``, ``overdue 2`` ...) about ``plan``."""
    return words.staff_text(staff, event, _plan_shown(plan), **extra)


def plan_staff_line(event: str, plan: Plan) -> str:
    """A plan event in one line, for digests (``BNPL ACTIVE KES 3,000 WW-1042 2547****5678``)."""
    return words.staff_line(event, _plan_shown(plan))


# --- what the desk and the ledger decided --------------------------------------------------


def answer_reply(language: Language, answer: PlanAnswer) -> Reply:
    """The desk's answer in one sentence."""
    return Reply(words.answer_text(language, answer))


def order_paid_reply(language: Language, order: str) -> Reply:
    """No plan for an order with nothing left to pay."""
    return Reply(words.order_paid_text(language, order))


def dropped_reply(language: Language, plan: Plan) -> Reply:
    """The plan waiting for its deposit was dropped."""
    return Reply(words.dropped_text(language, plan.order_reference))


def all_capped_reply(language: Language, amount: int) -> Reply:
    """ "Pay all" asked more than one push may carry: this much comes first."""
    return Reply(words.all_capped_text(language, amount))


def push_sent_reply(language: Language, plan: Plan, amount: int, *, deposit: bool) -> Reply:
    """The prompt for a plan's deposit or installments is on the phone."""
    text = words.push_sent_text(
        language, amount=amount, order=plan.order_reference, phone=plan.phone, deposit=deposit
    )
    return Reply(text)
