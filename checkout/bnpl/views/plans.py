"""How plans read: the offer with its exact schedules, ``/plans``, reminders, outcomes, notices.

Pure functions from records to :class:`Reply` values, in the customer's language, for any
channel: Telegram shows the buttons, the demo numbers them, SMS leaves them out. Dates are
Nairobi dates written ``Fri 05/12``; amounts are whole shillings with separators.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from enum import StrEnum

from checkout.bnpl.records import Installment, Plan, PlanStatus
from checkout.bnpl.rules import (
    PAY_LATER,
    PLAN_NO,
    PLAN_PHONE,
    Action,
    PlanRules,
    Refusal,
    Retry,
    Schedule,
    action_data,
    choice_data,
)
from checkout.bnpl.views.care import care_rows, offer_care_lines
from checkout.domain.money import MAX_AMOUNT, format_number
from checkout.domain.phones import display_phone, mask_phone
from checkout.domain.records import Language, StaffChat
from checkout.domain.replies import Button, Reply
from checkout.i18n.buttons import menu_buttons
from checkout.i18n.chat import plan_date, plan_text, receipt_text
from checkout.i18n.staff_notices import staff_phone
from checkout.i18n.times import clock_time
from checkout.i18n.ussd.care import u


def hour_text(language: Language, rules: PlanRules) -> str:
    """The collection hour as customers read it: ``10:00``, ``saa nne asubuhi (10:00)``."""
    return clock_time(language, time(rules.collection_hour))


def _button(language: Language, key: str, data: str, **params: object) -> tuple[Button, ...]:
    return (Button(plan_text(language, key, **params), data),)


def pay_now_row(language: Language, plan: Plan) -> tuple[Button, ...]:
    """The "Pay now" button: pays the plan's next installment at once."""
    return _button(language, "button_plan_pay_now", action_data(Action.NEXT, plan.id))


# --- the offer -------------------------------------------------------------------------------


def schedule_lines(language: Language, option: Schedule) -> list[str]:
    """One option as lines: its size, the deposit today, each installment's date, the total."""
    lines = [
        plan_text(language, "plan_option", count=option.count),
        plan_text(language, "plan_part_deposit", amount=option.deposit.amount),
    ]
    lines += [
        f"{plan_date(language, part.due_at)}: KES {format_number(part.amount)}"
        for part in option.installments
    ]
    lines.append(plan_text(language, "plan_part_total", total=option.total))
    return lines


def offer_reply(
    language: Language,
    *,
    order: str,
    phone: str,
    options: tuple[Schedule, ...],
    rules: PlanRules,
) -> Reply:
    """The offer: every option's exact schedule and total, the terms, and a button per option."""
    blocks = [
        plan_text(
            language,
            "plan_offer",
            order=order,
            balance=options[0].balance,
            phone=display_phone(phone),
        )
    ]
    blocks += ["\n".join(schedule_lines(language, option)) for option in options]
    terms = "plan_offer_terms_fee" if rules.late_fee > 0 else "plan_offer_terms"
    blocks.append(plan_text(language, terms, hour=hour_text(language, rules), fee=rules.late_fee))
    blocks.append(" ".join(offer_care_lines(language, rules, options[0].balance)))
    rows = [
        _button(
            language,
            "button_plan_option",
            choice_data(option, order, phone),
            count=option.count,
        )
        for option in options
    ]
    rows.append(_button(language, "button_plan_phone", PLAN_PHONE))
    rows.append(_button(language, "button_plan_no", PLAN_NO))
    return Reply("\n\n".join(blocks), buttons=tuple(rows))


def refusal_reply(language: Language, refusal: Refusal, *, order: str, rules: PlanRules) -> Reply:
    """Why no plan is offered, in one sentence, with the menu to carry on."""
    text = plan_text(
        language,
        f"plan_refused_{refusal.value}",
        order=order,
        minimum=rules.min_order,
        limit=rules.max_outstanding,
    )
    return Reply(text, buttons=menu_buttons(language))


# --- /plans ---------------------------------------------------------------------------------


def plan_reply(language: Language, plan: Plan, now: datetime) -> Reply:
    """One plan: paid so far, what is left and the next date, with buttons to pay ahead."""
    if plan.status is PlanStatus.PENDING_DEPOSIT:
        text = plan_text(
            language, "plans_pending", order=plan.order_reference, amount=plan.deposit.amount
        )
        rows = (
            _button(language, "button_plan_deposit", action_data(Action.DEPOSIT, plan.id)),
            _button(language, "button_plan_drop", action_data(Action.DROP, plan.id)),
        )
        return Reply(text, buttons=rows)
    upcoming = plan.next_unpaid
    assert upcoming is not None  # plans_replies shows only started plans that still owe
    key = "plans_overdue" if upcoming.due_at <= now else "plans_active"
    if upcoming.is_missed and upcoming.overdue_at is not None:
        key = "plans_missed"
    text = plan_text(
        language,
        key,
        order=plan.order_reference,
        paid=plan.paid,
        left=plan.left,
        amount=upcoming.amount,
        date=plan_date(language, upcoming.due_at),
        until=plan_date(language, upcoming.overdue_at or upcoming.due_at),
    )
    pay_rows = (
        _button(language, "button_plan_next", action_data(Action.NEXT, plan.id)),
        _button(language, "button_plan_all", action_data(Action.ALL, plan.id)),
    )
    return Reply(text, buttons=(*pay_rows, *care_rows(plan, now)))


def ussd_plans_replies(language: Language, plans: list[Plan], now: datetime) -> list[Reply]:
    """The customer's open plans on a USSD screen, which shows one reply's choices.

    One plan is shown with its choices; several are listed to choose one ("WW-1042: KES
    2,000 left"), which is then shown with its own.
    """
    shown = [p for p in plans if p.status is PlanStatus.PENDING_DEPOSIT or p.next_unpaid]
    if len(shown) < 2:
        return plans_replies(language, shown, now)
    rows = tuple(
        (
            Button(
                u(
                    language,
                    "button_plan_line",
                    order=plan.order_reference,
                    left=format_number(plan.left),
                ),
                action_data(Action.SHOW, plan.id),
            ),
        )
        for plan in shown
    )
    return [Reply(u(language, "plans_choose"), buttons=rows)]


def plans_replies(language: Language, plans: list[Plan], now: datetime) -> list[Reply]:
    """The customer's open plans, one message each (each with its own buttons)."""
    # A started plan with nothing left is being completed: there is nothing to show of it.
    shown = [p for p in plans if p.status is PlanStatus.PENDING_DEPOSIT or p.next_unpaid]
    if not shown:
        return [Reply(plan_text(language, "plans_none"))]
    replies = [plan_reply(language, plan, now) for plan in shown]
    return [Reply(plan_text(language, "plans_header")), *replies]


# --- collecting -------------------------------------------------------------------------------


def reminder_reply(
    plan: Plan, installment: Installment, rules: PlanRules, now: datetime | None = None
) -> Reply:
    """The reminder sent the day before an installment's date, with "Pay now" (and "Move this
    date" while the plan may use it)."""
    language = plan.language
    text = plan_text(
        language,
        "plan_reminder",
        amount=installment.amount,
        order=plan.order_reference,
        number=installment.number,
        count=plan.count,
        date=plan_date(language, installment.due_at),
        hour=hour_text(language, rules),
    )
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
    language = plan.language
    care = ""
    if until is None and plan.move_limit(now) > 0:
        care = u(language, "care_move")
    elif until is not None and plan.rollable() is not None:
        care = u(language, "care_roll")
    params: dict[str, object] = {
        "amount": format_number(installment.amount),
        "order": plan.order_reference,
        "number": installment.number,
        "count": plan.count,
        "date": plan_date(language, installment.due_at),
        "care": care,
        "code": code,
    }
    if until is None:
        return Reply(u(language, "reminder", hour=hour_text(language, rules), **params))
    return Reply(u(language, "missed", until=plan_date(language, until), **params))


def due_reply(plan: Plan, installment: Installment) -> Reply:
    """Sent with an installment's push on its date: what it is for, and to enter the PIN."""
    return Reply(
        plan_text(
            plan.language,
            "plan_due",
            number=installment.number,
            count=plan.count,
            order=plan.order_reference,
            amount=installment.amount,
        )
    )


def overdue_reply(plan: Plan, installment: Installment, fee: int) -> Reply:
    """The polite message for an installment past its retries, with "Pay now"."""
    language = plan.language
    text = plan_text(
        language,
        "plan_overdue",
        number=installment.number,
        count=plan.count,
        order=plan.order_reference,
        amount=installment.amount,
    )
    if fee > 0:
        text = f"{text} {plan_text(language, 'plan_overdue_fee', fee=fee)}"
    return Reply(text, buttons=(pay_now_row(language, plan),))


def with_plan_buttons(reply: Reply, extra: str, rows: tuple[tuple[Button, ...], ...]) -> Reply:
    """``reply``'s text followed by ``extra``, with ``rows`` instead of its buttons."""
    return Reply(f"{reply.text}\n{extra}" if extra else reply.text, buttons=rows)


def deposit_rows(language: Language, plan: Plan) -> tuple[tuple[Button, ...], ...]:
    """ "Try again" (the deposit) and "Drop the plan", for a deposit that was not paid."""
    return (
        _button(language, "button_try_again", action_data(Action.DEPOSIT, plan.id)),
        _button(language, "button_plan_drop", action_data(Action.DROP, plan.id)),
    )


def paid_reply(plan: Plan, amount: int, receipt_number: str | None, *, deposit: bool) -> Reply:
    """A plan payment received: the plan's progress and its next date, or its completion."""
    shown_receipt = receipt_text(plan.language, receipt_number)
    language = plan.language
    upcoming = plan.next_unpaid
    if upcoming is None:
        text = plan_text(
            language,
            "plan_completed",
            amount=amount,
            order=plan.order_reference,
            receipt=shown_receipt,
        )
        return Reply(text)
    text = plan_text(
        language,
        "plan_deposit_paid" if deposit else "plan_paid",
        amount=amount,
        order=plan.order_reference,
        receipt=shown_receipt,
        paid=plan.paid,
        left=plan.left,
        next_amount=upcoming.amount,
        date=plan_date(language, upcoming.due_at),
    )
    return Reply(text, buttons=(pay_now_row(language, plan),) if not deposit else ())


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


def plan_staff_text(staff: StaffChat, key: str, plan: Plan, **extra: object) -> str:
    """A staff notice about ``plan`` (``staff_plan_*``), the phone as ``staff``'s chat shows it."""
    params: dict[str, object] = {
        "order": plan.order_reference,
        "total": plan.total,
        "amount": plan.deposit.amount,
        "count": plan.count,
        "phone": staff_phone(staff, plan.phone),
    }
    return plan_text(staff.language, key, **(params | extra))


def plan_staff_line(event: str, plan: Plan) -> str:
    """A plan event in one line, for digests (``BNPL ACTIVE KES 3,000 WW-1042 2547****5678``)."""
    return f"BNPL {event.upper()} KES {format_number(plan.total)} {plan.order_reference} " + (
        mask_phone(plan.phone)
    )


# --- what the desk and the ledger decided --------------------------------------------------


class PlanAnswer(StrEnum):
    """What the desk answers when it neither offers a plan nor pushes for one."""

    OFFER_CHANGED = "offer_changed"  # the option taken no longer matches today's offer
    ALREADY_PAYING = "already_paying"  # a push for this plan or order is on its way
    NOT_FOUND = "not_found"  # no such plan of this customer's (or nothing left to push)
    NOT_DROPPABLE = "not_droppable"  # a started plan cannot be dropped


_ANSWER_TEXT = {
    PlanAnswer.OFFER_CHANGED: "plan_offer_changed",
    PlanAnswer.ALREADY_PAYING: "already_paying",
    PlanAnswer.NOT_FOUND: "plan_not_found",
    PlanAnswer.NOT_DROPPABLE: "plan_not_droppable",
}

_RETRY_TEXT = {
    Retry.SOON: "plan_retry_soon",
    Retry.TOMORROW: "plan_retry_tomorrow",
    Retry.ASK: "plan_retry_ask",
}


def answer_reply(language: Language, answer: PlanAnswer) -> Reply:
    """The desk's answer in one sentence."""
    return Reply(plan_text(language, _ANSWER_TEXT[answer]))


def order_paid_reply(language: Language, order: str) -> Reply:
    """No plan for an order with nothing left to pay."""
    return Reply(plan_text(language, "order_paid", order=order))


def dropped_reply(language: Language, plan: Plan) -> Reply:
    """The plan waiting for its deposit was dropped."""
    return Reply(plan_text(language, "plan_dropped", order=plan.order_reference))


def all_capped_reply(language: Language, amount: int) -> Reply:
    """ "Pay all" asked more than one push may carry: this much comes first."""
    return Reply(plan_text(language, "plan_all_capped", amount=amount))


def push_sent_reply(language: Language, plan: Plan, amount: int, *, deposit: bool) -> Reply:
    """The prompt for a plan's deposit or installments is on the phone."""
    key = "plan_deposit_sent" if deposit else "push_sent"
    text = plan_text(
        language,
        key,
        amount=format_number(amount),
        order=plan.order_reference,
        phone=display_phone(plan.phone),
    )
    return Reply(text)


def deposit_unpaid_reply(reply: Reply, plan: Plan) -> Reply:
    """A failed deposit's message, with the plan's deposit buttons."""
    extra = plan_text(plan.language, "plan_deposit_unpaid")
    return with_plan_buttons(reply, extra, deposit_rows(plan.language, plan))


def pay_when_ready_reply(reply: Reply, plan: Plan) -> Reply:
    """A failed installment the customer pushed: pay when ready."""
    extra = plan_text(plan.language, "plan_pay_when_ready")
    return with_plan_buttons(reply, extra, (pay_now_row(plan.language, plan),))


def retry_reply(reply: Reply, plan: Plan, kind: Retry, rules: PlanRules) -> Reply:
    """A failed automatic attempt's message, with when the next one comes."""
    extra = plan_text(plan.language, _RETRY_TEXT[kind], hour=hour_text(plan.language, rules))
    return with_plan_buttons(reply, extra, (pay_now_row(plan.language, plan),))


def with_pay_later(reply: Reply, language: Language) -> Reply:
    """A payment that found no balance, with "Pay later" under it."""
    later = (Button(plan_text(language, "button_pay_later"), PAY_LATER),)
    return replace(reply, buttons=(*reply.buttons, later))
