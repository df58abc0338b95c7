"""How the collection's news is said: reminders, the push on its date, a failed try's next
step, an overdue installment, and the staff's notices of a plan.

The news is :mod:`checkout.bnpl.news`'s (the ledger and the collector decide it); the
messages are the ones of :mod:`.plans` and :mod:`.care`, in the plan's language (a staff
notice in the staff reader's). Each channel's form is chosen here: a USSD caller's reminder is
one SMS naming the USSD code, a chat's carries its buttons, and a copy by SMS has none.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout.bnpl.news import (
    CollectionNews,
    InstallmentOverdue,
    InstallmentPushed,
    PlanDropped,
    PlanMoved,
    PlanReached,
    PlanRolled,
    ReminderDue,
    StaffNews,
    staff_event,
)
from checkout.bnpl.rules import PlanRules
from checkout.bnpl.views.care import missed_reminder_reply
from checkout.bnpl.views.plans import (
    due_reply,
    overdue_reply,
    pay_now_row,
    plan_staff_line,
    plan_staff_text,
    reminder_reply,
    ussd_reminder_reply,
)
from checkout.domain.records import Channel, StaffChat
from checkout.domain.replies import Reply
from checkout.i18n.contact import NO_CONTACT, BusinessContact


def collection_reply(
    news: CollectionNews,
    *,
    rules: PlanRules,
    contact: BusinessContact = NO_CONTACT,
    ussd_code: str = "",
) -> Reply:
    """The message that tells the plan's customer ``news`` on the plan's channel.

    ``rules`` give the collection hour; ``contact`` is how an overdue message says to reach
    the business; with ``ussd_code`` (``USSD_CODE``) a USSD caller's reminder is one SMS that
    names it, with "My plans" to pay now, move the date or add a missed installment on.
    """
    match news:
        case ReminderDue(plan, installment, now, until):
            if plan.channel is Channel.USSD and ussd_code:
                return ussd_reminder_reply(plan, installment, rules, now, ussd_code, until=until)
            if until is None:
                return reminder_reply(plan, installment, rules, now)
            pay_now = pay_now_row(plan.language, plan)
            return missed_reminder_reply(plan, installment, until, pay_now, now)
        case InstallmentPushed(plan, installment):
            return due_reply(plan, installment)
        case InstallmentOverdue(plan, installment, fee):
            return overdue_reply(plan, installment, fee, contact=contact)


def collection_sms(
    news: CollectionNews, *, rules: PlanRules, contact: BusinessContact = NO_CONTACT
) -> Reply:
    """``news`` in the chat's words by SMS (sent as USSD callers' are): no buttons."""
    return Reply(collection_reply(news, rules=rules, contact=contact).text)


@dataclass(frozen=True, slots=True)
class StaffNotice:
    """A staff notice of a plan: its ``text``, and its ``line`` in a digest."""

    text: str
    line: str


def staff_notice(staff: StaffChat, news: StaffNews) -> StaffNotice:
    """The notice of ``news`` for ``staff`` (dates and the phone as their chat shows them)."""
    event, plan = staff_event(news), news.plan
    text = plan_staff_text(staff, event, plan, **_staff_figures(news))
    return StaffNotice(text, plan_staff_line(event, plan))


def _staff_figures(news: StaffNews) -> dict[str, object]:
    """What a notice names besides the plan: the installments concerned."""
    match news:
        case InstallmentOverdue(_, installment):
            return {
                "number": installment.number,
                "attempts": installment.attempts,
                "amount": installment.amount,
            }
        case PlanMoved(_, installment):
            return {
                "number": installment.number,
                "amount": installment.amount,
                "old": installment.moved_from,
                "new": installment.due_at,
            }
        case PlanRolled(_, missed, following):
            return {
                "number": missed.number,
                "amount": missed.amount,
                "next_number": following.number,
                "next_amount": following.amount,
            }
        case PlanReached() | PlanDropped():
            return {}
