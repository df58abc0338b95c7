"""How the plan desk's news is said in a chat, on USSD or by SMS: one reply (or several) per
piece of news, with the buttons the plan's state offers.

The news is :mod:`checkout.bnpl.news`'s; the messages are the ones of :mod:`.plans` and
:mod:`.care`, so the desk's answers read exactly as the plans' other messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from checkout.bnpl.news import (
    AllCapped,
    ChangeAnswered,
    MoveOptions,
    OrderPaid,
    PlanAnswered,
    PlanDropped,
    PlanMoved,
    PlanNews,
    PlanOffered,
    PlanPushed,
    PlanRefused,
    PlanRolled,
    PlansListed,
)
from checkout.bnpl.pushes import PlanPushOutcome
from checkout.bnpl.rules import PlanRules
from checkout.bnpl.views.care import (
    change_answer_reply,
    move_options_reply,
    moved_reply,
    rolled_reply,
)
from checkout.bnpl.views.plans import (
    all_capped_reply,
    answer_reply,
    deposit_rows,
    dropped_reply,
    offer_reply,
    order_paid_reply,
    pay_now_row,
    plans_replies,
    push_sent_reply,
    refusal_reply,
    ussd_plans_replies,
)
from checkout.domain.outcomes import PlanAnswer
from checkout.domain.records import Language
from checkout.domain.replies import Reply
from checkout.i18n.payments.messages import push_failed_reply, start_replies


def plan_replies(language: Language, news: Sequence[PlanNews], *, rules: PlanRules) -> list[Reply]:
    """The messages that tell ``news``, in order (the offer's terms are ``rules``')."""
    replies: list[Reply] = []
    for item in news:
        replies += _replies(language, item, rules)
    return replies


def _replies(language: Language, news: PlanNews, rules: PlanRules) -> list[Reply]:
    match news:
        case OrderPaid(order):
            return [order_paid_reply(language, order)]
        case PlanRefused(order, refused):
            return [refusal_reply(language, refused, order=order, rules=rules)]
        case PlanOffered(order, phone, options):
            return [offer_reply(language, order=order, phone=phone, options=options, rules=rules)]
        case PlanAnswered(answer):
            return [answer_reply(language, answer)]
        case PlansListed(plans, now, ussd, last_only):
            listed = ussd_plans_replies if ussd else plans_replies
            replies = listed(language, list(plans), now)
            return replies[-1:] if last_only else replies
        case PlanDropped(plan):
            return [dropped_reply(language, plan)]
        case PlanPushed():
            return _pushed(language, news)
        case AllCapped(amount):
            return [all_capped_reply(language, amount)]
        case MoveOptions(plan, installment, limit):
            return [move_options_reply(plan, installment, limit)]
        case PlanMoved(plan, installment):
            return [moved_reply(plan, installment)]
        case PlanRolled(plan, missed, following):
            return [rolled_reply(plan, missed, following)]
        case ChangeAnswered(answer):
            return [change_answer_reply(language, answer)]


def _pushed(language: Language, news: PlanPushed) -> list[Reply]:
    """What to tell the customer about a push for their plan."""
    plan, result, deposit = news.plan, news.result, news.deposit
    payment = result.payment
    if result.outcome is PlanPushOutcome.SENT and payment is not None:
        return [push_sent_reply(language, plan, payment.amount, deposit=deposit)]
    if result.outcome is PlanPushOutcome.BUSY:
        return [answer_reply(language, PlanAnswer.ALREADY_PAYING)]
    if result.outcome is PlanPushOutcome.NOTHING:
        return [answer_reply(language, PlanAnswer.NOT_FOUND)]
    if result.failure is not None:
        rows = deposit_rows(language, plan) if deposit else (pay_now_row(language, plan),)
        return [push_failed_reply(language, result.failure.problem, retry=rows)]
    return start_replies(language, result.started) if result.started is not None else []
