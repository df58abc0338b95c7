"""A settled payment's plan news in words: the plan's progress, or what follows a try that
took no money, with the plan's buttons.

The plan ledger decides (:class:`~checkout.domain.outcomes.PlanPaid`,
:class:`~checkout.domain.outcomes.PlanUnpaid`, :class:`~checkout.domain.outcomes.PlanOverdue`);
these functions write it in the plan's language, for
:func:`checkout.i18n.payments.messages.customer_reply` and the plan's own messages.
"""

from __future__ import annotations

from checkout.domain.callbacks import PAY_LATER, Action, action_data
from checkout.domain.outcomes import (
    PlanFollowUp,
    PlanNews,
    PlanOverdue,
    PlanPaid,
    PlanUnpaid,
)
from checkout.domain.records import Language
from checkout.domain.replies import Button, Reply
from checkout.i18n.contact import BusinessContact
from checkout.i18n.plans import words
from checkout.i18n.plans.labels import PlanButton, label

Rows = tuple[tuple[Button, ...], ...]


def button_row(language: Language, button: PlanButton, data: str) -> tuple[Button, ...]:
    """One plan button, labelled in ``language``, on a row of its own."""
    return (Button(label(language, button), data),)


def pay_now_row(language: Language, plan_id: int) -> tuple[Button, ...]:
    """The "Pay now" button: pays the plan's next installment at once."""
    return button_row(language, PlanButton.PAY_NOW, action_data(Action.NEXT, plan_id))


def deposit_rows(language: Language, plan_id: int) -> Rows:
    """ "Try again" (the deposit) and "Drop the plan", for a deposit that was not paid."""
    return (
        button_row(language, PlanButton.DEPOSIT_AGAIN, action_data(Action.DEPOSIT, plan_id)),
        button_row(language, PlanButton.DROP, action_data(Action.DROP, plan_id)),
    )


def pay_later_row(language: Language) -> tuple[Button, ...]:
    """ "Pay later": a plan for the order, under a payment that found no balance."""
    return button_row(language, PlanButton.PAY_LATER, PAY_LATER)


def with_plan_buttons(reply: Reply, extra: str, rows: Rows) -> Reply:
    """``reply``'s text followed by ``extra``, with ``rows`` instead of its buttons."""
    return Reply(f"{reply.text}\n{extra}" if extra else reply.text, buttons=rows)


def paid_reply(news: PlanPaid, amount: int, receipt_number: str | None) -> Reply:
    """A plan payment received: the plan's progress and its next date, or its completion
    ("Pay now" under an installment's, while something is left)."""
    paid = words.PaidShown(
        order=news.order_reference,
        amount=amount,
        receipt_number=receipt_number,
        paid=news.paid,
        left=news.left,
        deposit=news.deposit,
        next_amount=news.next_amount,
        next_due=news.next_due,
    )
    text = words.paid_text(news.language, paid)
    if news.completed or news.deposit:
        return Reply(text)
    return Reply(text, buttons=(pay_now_row(news.language, news.plan_id),))


def unpaid_reply(reply: Reply, news: PlanUnpaid) -> Reply:
    """``reply`` (the failed payment's message) with what the plan does next and its buttons."""
    language = news.language
    follow_up = news.follow_up
    if follow_up is PlanFollowUp.DEPOSIT_AGAIN:
        extra = words.deposit_unpaid_extra(language)
        return with_plan_buttons(reply, extra, deposit_rows(language, news.plan_id))
    if follow_up is PlanFollowUp.PAY_WHEN_READY:
        extra = words.pay_when_ready_extra(language)
    elif follow_up is PlanFollowUp.GRACE:
        assert news.until is not None  # the grace period's end comes with it
        extra = words.grace_extra(language, news.until)
    else:
        extra = words.retry_extra(language, follow_up.value, hour=news.hour)
    return with_plan_buttons(reply, extra, (pay_now_row(language, news.plan_id),))


def overdue_reply(news: PlanOverdue, *, contact: BusinessContact) -> Reply:
    """The polite message for an installment past its retries, with "Pay now"."""
    shown = words.InstallmentShown(
        order=news.order_reference,
        number=news.number,
        count=news.count,
        amount=news.amount,
        due_at=news.due_at,
    )
    text = words.overdue_text(news.language, shown, fee=news.fee, contact=contact)
    return Reply(text, buttons=(pay_now_row(news.language, news.plan_id),))


def plan_news_reply(
    reply: Reply,
    news: PlanNews,
    *,
    amount: int,
    receipt_number: str | None,
    contact: BusinessContact,
) -> Reply:
    """The settled payment's message ``reply`` as the plan's news makes it: the plan's own
    message for a payment it received or an installment now overdue, else ``reply`` with
    what follows."""
    if isinstance(news, PlanPaid):
        return paid_reply(news, amount, receipt_number)
    if isinstance(news, PlanOverdue):
        return overdue_reply(news, contact=contact)
    return unpaid_reply(reply, news)
