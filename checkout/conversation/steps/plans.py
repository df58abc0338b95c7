"""The steps of "Pay later": asking for the paying number, the offer, taking an option,
and the buttons on an existing plan (``plan:next:7``), which work from any step.
"""

from __future__ import annotations

from dataclasses import replace

from checkout.bnpl.rules import (
    PlanButton,
    parse_plan_argument,
)
from checkout.conversation.model import (
    AcceptPlan,
    ActOnPlan,
    ShowPlans,
    Step,
    Turn,
)
from checkout.conversation.steps.call import (
    Call,
    Draft,
    displayable,
    menu,
    show_menu,
)
from checkout.conversation.steps.paying import (
    after_amount,
    ask_amount,
    ask_order,
    ask_phone,
    offer,
)
from checkout.domain.references import parse_order_reference
from checkout.domain.replies import Reply


async def pay_later(call: Call, _: str) -> Turn:
    """Offer a plan for the order in progress, asking first for the number that will pay."""
    if call.settings.plans is None:
        return menu(call, Reply(call.say("plan_refused_disabled")))
    draft = replace(call.draft, later=True)
    if draft.order_reference is None:
        return await ask_order(call, "")
    if displayable(draft.phone) is not None:
        return await offer(call, draft)
    # A known order's plan is for its balance; another's for the amount the customer typed.
    amount = draft.balance if draft.order_known else draft.amount
    if amount is None:
        return await ask_amount(call, draft)
    return await after_amount(call, replace(draft, amount=amount))


async def offer_again(call: Call, _: str) -> Turn:
    return await offer(call, call.draft)


async def decline_plan(call: Call, _: str) -> Turn:
    return menu(call, Reply(call.say("plan_declined")))


async def plan_phone(call: Call, _: str) -> Turn:
    """Ask for another number to pay the plan from; the offer follows."""
    draft = call.draft
    if draft.order_reference is None or draft.amount is None:
        return await ask_order(call, "")
    return ask_phone(call, replace(draft, later=True))


async def plan_button(call: Call, argument: str) -> Turn:
    """An option of an offer (take it: the deposit's push goes out) or a button on a plan.

    Both name what they act on, so they work from any message and step; the service checks
    that the offer still holds and refuses a second deposit while the first is on its way.
    """
    meaning = parse_plan_argument(argument)
    if isinstance(meaning, PlanButton):
        return call.stay(effects=(ActOnPlan(meaning.action.value, meaning.plan_id, meaning.days),))
    if meaning is None or parse_order_reference(meaning.order) != meaning.order:
        return await show_menu(call, "")
    order = await call.ctx.find_order(meaning.order)
    known = order is not None and order.known
    accept = AcceptPlan(
        order_reference=meaning.order,
        order_known=known,
        amount=None if known else meaning.balance,
        phone=meaning.phone,
        count=meaning.count,
        balance=meaning.balance,
        offered_on=meaning.day,
    )
    draft = Draft(
        order_reference=meaning.order,
        order_known=known,
        balance=order.balance if known and order is not None else None,
        amount=meaning.balance,
        phone=meaning.phone,
        later=True,
    )
    # No reply: the service answers once it has sent the deposit's push (or refused).
    return call.go(Step.PAYING, data=draft.to_data(), effects=(accept,))


async def plans(call: Call, _: str) -> Turn:
    """``/plans``: the customer's plans, with buttons to pay ahead."""
    return call.stay(effects=(ShowPlans(),))
