"""What plans say: the offer with its exact schedules, ``/plans``, reminders, outcomes, answers
and the staff's notices, in the reader's language.

The plan desk, ledger and collector (:mod:`checkout.bnpl`) decide what happened and pass the
figures; the functions here choose the text and fill it in. Dates are Nairobi dates written
``Fri 05/12``; amounts are whole shillings with separators; the collection hour is read as
customers say it (``saa nne asubuhi (10:00)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Final

from checkout.domain.money import format_number
from checkout.domain.outcomes import ChangeAnswer, PlanAnswer
from checkout.domain.phones import display_phone, mask_phone
from checkout.domain.records import Language, StaffChat
from checkout.i18n.chat import plan_date, receipt_text
from checkout.i18n.contact import BusinessContact
from checkout.i18n.staff_notices import staff_phone
from checkout.i18n.texts import t
from checkout.i18n.times import clock_time
from checkout.i18n.ussd.care import u


def hour_text(language: Language, hour: int) -> str:
    """The collection hour as customers read it: ``10:00``, ``saa nne asubuhi (10:00)``."""
    return clock_time(language, time(hour))


# --- one installment ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstallmentShown:
    """What a message shows of one installment: its order, place in the plan, amount, date."""

    order: str
    number: int
    count: int
    amount: int
    due_at: datetime


def _params(language: Language, shown: InstallmentShown) -> dict[str, object]:
    return {
        "order": shown.order,
        "number": shown.number,
        "count": shown.count,
        "amount": shown.amount,
        "date": plan_date(language, shown.due_at),
    }


def _installment(language: Language, key: str, shown: InstallmentShown, **extra: object) -> str:
    return t(language, key, **(_params(language, shown) | extra))


def reminder_text(language: Language, shown: InstallmentShown, *, hour: int) -> str:
    """The day before an installment's date: its amount, date and the push's hour."""
    return _installment(language, "plan_reminder", shown, hour=hour_text(language, hour))


def missed_reminder_text(language: Language, shown: InstallmentShown, *, until: datetime) -> str:
    """The one polite reminder of a grace period: not paid yet, and until when it may be."""
    return _installment(language, "plan_missed_reminder", shown, until=plan_date(language, until))


def due_text(language: Language, shown: InstallmentShown) -> str:
    """Sent with an installment's push on its date: what it is for, and to enter the PIN."""
    return _installment(language, "plan_due", shown)


def overdue_text(
    language: Language, shown: InstallmentShown, *, fee: int, contact: BusinessContact
) -> str:
    """An installment past its retries, politely, with the late fee if one was added and how
    to reach the business (``contact``)."""
    text = contact.said(language, _installment(language, "plan_overdue", shown))
    if fee > 0:
        text = f"{text} {t(language, 'plan_overdue_fee', fee=fee)}"
    return text


def move_ask_text(language: Language, shown: InstallmentShown) -> str:
    """Which day the upcoming installment may move to (one button a day follows)."""
    return _installment(language, "plan_move_ask", shown)


def moved_text(language: Language, shown: InstallmentShown) -> str:
    """The installment's new date, confirmed."""
    return _installment(language, "plan_moved", shown)


def rolled_text(
    language: Language, *, missed: int, number: int, following: InstallmentShown
) -> str:
    """The missed installment (``missed`` shillings, number ``number``) was added to the next."""
    return t(
        language,
        "plan_rolled",
        amount=missed,
        number=number,
        next_amount=following.amount,
        date=plan_date(language, following.due_at),
    )


def ussd_reminder_text(
    language: Language,
    shown: InstallmentShown,
    *,
    hour: int,
    code: str,
    until: datetime | None = None,
    may_change: bool = False,
) -> str:
    """A USSD customer's reminder, one SMS: the day before the date (or, with ``until``, the
    one of a grace period), and the USSD ``code`` whose "My plans" pays it now. With
    ``may_change`` it also names moving the date (before it) or adding the missed
    installment to the next one (in a grace period)."""
    care = ""
    if may_change:
        care = u(language, "care_move" if until is None else "care_roll")
    # The SMS wording's amounts come already written (its lookup leaves numbers as they are).
    params = _params(language, shown) | {
        "amount": format_number(shown.amount),
        "care": care,
        "code": code,
    }
    if until is None:
        return u(language, "reminder", hour=hour_text(language, hour), **params)
    return u(language, "missed", until=plan_date(language, until), **params)


# --- the offer ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OptionShown:
    """One option of an offer: its size, the deposit today, each installment, the total."""

    count: int
    deposit: int
    parts: tuple[tuple[datetime, int], ...]  # each installment's date and amount
    total: int


@dataclass(frozen=True, slots=True)
class TermsShown:
    """The plan rules an offer states: the hour, the late fee, the grace days, the fee cap."""

    hour: int
    late_fee: int
    grace_days: int
    fee_cap: int


def offer_text(
    language: Language,
    *,
    order: str,
    balance: int,
    phone: str,
    options: Sequence[OptionShown],
    terms: TermsShown,
) -> str:
    """The offer: every option's exact schedule and total, the terms and the plan's care."""
    blocks = [t(language, "plan_offer", order=order, balance=balance, phone=display_phone(phone))]
    blocks += ["\n".join(_schedule_lines(language, option)) for option in options]
    key = "plan_offer_terms_fee" if terms.late_fee > 0 else "plan_offer_terms"
    blocks.append(t(language, key, hour=hour_text(language, terms.hour), fee=terms.late_fee))
    blocks.append(" ".join(_care_lines(language, terms)))
    return "\n\n".join(blocks)


def _schedule_lines(language: Language, option: OptionShown) -> list[str]:
    lines = [
        t(language, "plan_option", count=option.count),
        t(language, "plan_part_deposit", amount=option.deposit),
    ]
    lines += [
        f"{plan_date(language, due)}: KES {format_number(amount)}" for due, amount in option.parts
    ]
    lines.append(t(language, "plan_part_total", total=option.total))
    return lines


def _care_lines(language: Language, terms: TermsShown) -> list[str]:
    """The grace period, the two once-per-plan changes, and the fee cap."""
    lines = []
    if terms.grace_days > 0:
        lines.append(t(language, "plan_offer_grace", grace=terms.grace_days))
    lines.append(t(language, "plan_offer_choices"))
    if terms.late_fee > 0:
        lines.append(t(language, "plan_offer_fee_cap", cap=format_number(terms.fee_cap)))
    return lines


def refusal_text(language: Language, reason: str, *, order: str, minimum: int, limit: int) -> str:
    """Why no plan is offered, in one sentence (``reason``: the plan rules' refusal)."""
    return t(language, f"plan_refused_{reason}", order=order, minimum=minimum, limit=limit)


# --- /plans ------------------------------------------------------------------------------------


def pending_text(language: Language, *, order: str, deposit: int) -> str:
    """A plan waiting for its deposit."""
    return t(language, "plans_pending", order=order, amount=deposit)


@dataclass(frozen=True, slots=True)
class StandingShown:
    """A started plan as ``/plans`` shows it: paid so far, left, and its next installment."""

    upcoming: InstallmentShown
    paid: int
    left: int
    until: datetime  # the end of the upcoming one's grace period (its date without one)
    past_due: bool  # its date has come
    missed: bool  # it is in its grace period


def standing_text(language: Language, shown: StandingShown) -> str:
    """One started plan: paid so far, what is left and the next date."""
    key = "plans_overdue" if shown.past_due else "plans_active"
    if shown.missed:
        key = "plans_missed"
    return _installment(
        language,
        key,
        shown.upcoming,
        paid=shown.paid,
        left=shown.left,
        until=plan_date(language, shown.until),
    )


def plans_none_text(language: Language) -> str:
    """The customer has no open plan."""
    return t(language, "plans_none")


def plans_header_text(language: Language) -> str:
    """Above the customer's open plans, one message each."""
    return t(language, "plans_header")


def plans_choose_text(language: Language) -> str:
    """A USSD caller with several plans chooses one."""
    return u(language, "plans_choose")


# --- payments of a plan ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaidShown:
    """A plan payment received: how much, its receipt, and the plan after it."""

    order: str
    amount: int
    receipt_number: str | None
    paid: int
    left: int
    deposit: bool  # the deposit (the plan starts)
    next_amount: int | None = None  # None: the plan is complete
    next_due: datetime | None = None


def paid_text(language: Language, shown: PaidShown) -> str:
    """The plan's progress and its next date, or its completion."""
    said = {
        "amount": shown.amount,
        "order": shown.order,
        "receipt": receipt_text(language, shown.receipt_number),
    }
    if shown.next_amount is None or shown.next_due is None:
        return t(language, "plan_completed", **said)
    return t(
        language,
        "plan_deposit_paid" if shown.deposit else "plan_paid",
        **said,
        paid=shown.paid,
        left=shown.left,
        next_amount=shown.next_amount,
        date=plan_date(language, shown.next_due),
    )


def push_sent_text(
    language: Language, *, amount: int, order: str, phone: str, deposit: bool
) -> str:
    """The prompt for a plan's deposit or installments is on the phone."""
    key = "plan_deposit_sent" if deposit else "push_sent"
    return t(language, key, amount=format_number(amount), order=order, phone=display_phone(phone))


def all_capped_text(language: Language, amount: int) -> str:
    """ "Pay all" asked more than one push may carry: this much comes first."""
    return t(language, "plan_all_capped", amount=amount)


def deposit_unpaid_extra(language: Language) -> str:
    """Under a failed deposit's message: the plan starts once the deposit is paid."""
    return t(language, "plan_deposit_unpaid")


def pay_when_ready_extra(language: Language) -> str:
    """Under a failed installment the customer pushed: pay when ready."""
    return t(language, "plan_pay_when_ready")


_RETRY_KEYS: Final[Mapping[str, str]] = {
    "soon": "plan_retry_soon",
    "tomorrow": "plan_retry_tomorrow",
    "ask": "plan_retry_ask",
}


def retry_extra(language: Language, kind: str, *, hour: int) -> str:
    """Under a failed automatic attempt: when the next one comes (``kind``: the plan rules'
    retry, ``soon``, ``tomorrow`` or ``ask``)."""
    return t(language, _RETRY_KEYS[kind], hour=hour_text(language, hour))


def grace_extra(language: Language, until: datetime) -> str:
    """Under a failed last try while the grace period still runs."""
    return t(language, "plan_retry_grace", until=plan_date(language, until))


# --- answers -----------------------------------------------------------------------------------


_ANSWER_KEYS: Final[Mapping[PlanAnswer, str]] = {
    PlanAnswer.OFFER_CHANGED: "plan_offer_changed",
    PlanAnswer.ALREADY_PAYING: "already_paying",
    PlanAnswer.NOT_FOUND: "plan_not_found",
    PlanAnswer.NOT_DROPPABLE: "plan_not_droppable",
}


def answer_text(language: Language, answer: PlanAnswer) -> str:
    """The desk's answer in one sentence."""
    return t(language, _ANSWER_KEYS[answer])


def change_answer_text(language: Language, answer: ChangeAnswer) -> str:
    """Why the change was not made, in one sentence."""
    return t(language, f"plan_{answer.value}")


def order_paid_text(language: Language, order: str) -> str:
    """No plan for an order with nothing left to pay."""
    return t(language, "order_paid", order=order)


def dropped_text(language: Language, order: str) -> str:
    """The plan waiting for its deposit was dropped."""
    return t(language, "plan_dropped", order=order)


# --- staff -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanShown:
    """What the staff's notices say of a plan."""

    order: str
    total: int
    deposit: int
    count: int
    phone: str


def staff_text(staff: StaffChat, event: str, plan: PlanShown, **extra: object) -> str:
    """The staff's notice of ``event`` (``active``, ``overdue 2``, ``moved`` ...) about
    ``plan``, the phone as ``staff``'s chat shows it; a date in ``extra`` is written in the
    staff reader's language (not the plan customer's)."""
    params: dict[str, object] = {
        "order": plan.order,
        "total": plan.total,
        "amount": plan.deposit,
        "count": plan.count,
        "phone": staff_phone(staff, plan.phone),
    }
    dated = {
        key: plan_date(staff.language, value) if isinstance(value, datetime) else value
        for key, value in extra.items()
    }
    return t(staff.language, f"staff_plan_{event.split()[0]}", **(params | dated))


def staff_line(event: str, plan: PlanShown) -> str:
    """A plan event in one line, for digests (``BNPL ACTIVE KES 3,000 WW-1042 2547****5678``)."""
    return f"BNPL {event.upper()} KES {format_number(plan.total)} {plan.order} " + (
        mask_phone(plan.phone)
    )
