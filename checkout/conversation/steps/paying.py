"""The steps of paying an order: its reference, the amount, the paying number, the
confirmation and "Pay", and "Try again" after a failure.

A confirmation for a plan ("Pay later" chosen) hands over to the offer, which the service
makes (:class:`OfferPlan`).
"""

from __future__ import annotations

from dataclasses import replace

from checkout.bnpl.rules import (
    PAY_LATER,
)
from checkout.conversation.model import (
    Effect,
    OfferPlan,
    RememberPhone,
    ReportOrderPaid,
    StartPayment,
    Step,
    Turn,
)
from checkout.conversation.steps.call import (
    Call,
    Draft,
    displayable,
    menu,
)
from checkout.domain.callbacks import (
    AMOUNT_OTHER,
    CHANGE_PHONE,
    PAY,
    PHONE_SAVED,
    amount_data,
)
from checkout.domain.money import MAX_AMOUNT, AmountError, check_amount, parse_amount
from checkout.domain.phones import PhoneError, normalise_phone
from checkout.domain.records import OrderStatus
from checkout.domain.references import parse_order_reference
from checkout.domain.replies import Button, Reply
from checkout.i18n.chat import amount_rule_text, phone_rule_text
from checkout.i18n.payments.order_closed import order_cancelled


async def ask_order(call: Call, _: str) -> Turn:
    return call.go(Step.ORDER, Reply(call.say("order_ask"), buttons=call.cancel_rows()))


async def pay(call: Call, argument: str) -> Turn:
    """``/pay`` asks for the order; ``/pay WW-1042`` (or a deep link) opens it at once."""
    if not argument.strip():
        return await ask_order(call, "")
    return await receive_order(call, argument)


async def receive_order(call: Call, text: str) -> Turn:
    """Check the typed reference and look the order up; ask for the amount if it can be paid."""
    reference = parse_order_reference(text)
    if reference is None:
        return call.go(Step.ORDER, Reply(call.say("order_invalid"), buttons=call.cancel_rows()))
    found = await look_up(call, reference)
    if isinstance(found, Turn):
        return found
    return await ask_amount(call, found)


async def look_up(call: Call, reference: str) -> Draft | Turn:
    """A draft for the order, or the turn refusing it (unknown and not accepted, or paid)."""
    order = await call.ctx.find_order(reference)
    # Every order paid in full is closed, typed references included: paying one again would
    # take the customer's money twice.
    if order is not None and order.is_fully_paid:
        return menu(call, Reply(call.say("order_paid", order=reference)))
    # Everything paid on it went back (a cancelled order): it is closed too.
    if order is not None and order.status is OrderStatus.REFUNDED:
        return menu(call, Reply(call.say("order_refunded", order=reference)))
    # The business cancelled it (orders API): it is closed, whoever created it.
    if order is not None and order.status is OrderStatus.CANCELLED:
        return menu(call, Reply(order_cancelled(call.language, reference)))
    # An order the business never listed (created when an unknown reference was paid) has
    # no balance to respect until it is paid, so it is treated like any unknown reference.
    if order is None or not order.known:
        if not call.settings.accept_unknown_orders:
            refusal = Reply(call.say("order_unknown", order=reference), buttons=call.cancel_rows())
            return call.go(Step.ORDER, refusal)
        return Draft(order_reference=reference, order_known=False)
    if order.balance <= 0:
        return menu(call, Reply(call.say("order_paid", order=reference)))
    return Draft(order_reference=reference, order_known=True, balance=order.balance)


async def ask_amount(
    call: Call, draft: Draft, text: str | None = None, *, typing: bool = False
) -> Turn:
    """Ask for the amount (or say ``text``), offering the whole balance of a known order."""
    if call.ussd:
        return ask_amount_ussd(call, draft, text, typing=typing)
    rows: tuple[tuple[Button, ...], ...] = (call.cancel_row(),)
    if draft.balance is not None:
        question = call.say("amount_ask_known", order=draft.order_reference, balance=draft.balance)
        # A balance above Daraja's limit is paid in parts: offer the largest part allowed.
        offer = min(draft.balance, MAX_AMOUNT)
        pay_all = call.button("button_pay_amount", amount_data(offer), amount=offer)
        rows = ((pay_all,), *rows)
        if await offers_plans(call, draft.order_reference, draft.balance):
            rows = (rows[0], (call.button("button_pay_later", PAY_LATER),), *rows[1:])
    else:
        question = call.say("amount_ask_unknown", order=draft.order_reference)
    data = replace(draft, amount=None, phone=None, later=False).to_data()
    return call.go(Step.AMOUNT, Reply(text or question, buttons=rows), data=data)


def ask_amount_ussd(call: Call, draft: Draft, reason: str | None, *, typing: bool) -> Turn:
    """USSD: "Pay KES <balance>" or "Another amount" to choose, else a prompt to type it.

    A typed number is not confused with a choice: the amount is typed on a screen of its own.
    A refused amount shows its ``reason`` above the question.
    """
    typing = typing and draft.balance is not None
    rows: tuple[tuple[Button, ...], ...] = ()
    if draft.balance is None:
        question = call.say("amount_ask_unknown", order=draft.order_reference)
    elif typing:
        question = call.say("amount_enter_known", balance=min(draft.balance, MAX_AMOUNT))
    else:
        question = call.say("amount_ask_known", order=draft.order_reference, balance=draft.balance)
        offer = min(draft.balance, MAX_AMOUNT)
        rows = (
            (call.button("button_pay_amount", amount_data(offer), amount=offer),),
            (call.button("button_another_amount", AMOUNT_OTHER),),
        )
    text = question if reason is None else f"{reason}\n{question}"
    data = replace(draft, amount=None, phone=None, typing_amount=typing).to_data()
    return call.go(Step.AMOUNT, Reply(text, buttons=rows), data=data)


async def ask_amount_typed(call: Call, _: str) -> Turn:
    """USSD "Another amount": ask the customer to type the amount."""
    draft = call.draft
    if draft.order_reference is None:
        return await ask_order(call, "")
    return await ask_amount(call, draft, typing=True)


async def ask_amount_again(call: Call, _: str) -> Turn:
    draft = call.draft
    if draft.order_reference is None:
        return await ask_order(call, "")
    return await ask_amount(call, draft)


async def receive_amount(call: Call, text: str) -> Turn:
    """Check a typed amount (or a "Pay KES" button's) and ask for the phone."""
    draft = call.draft
    if draft.order_reference is None:
        return await ask_order(call, "")
    try:
        amount = parse_amount(text, draft.balance)
    except AmountError as error:
        return await ask_amount(call, draft, amount_rule(call, error), typing=draft.typing_amount)
    return await after_amount(call, replace(draft, amount=amount, typing_amount=False))


async def after_amount(call: Call, draft: Draft) -> Turn:
    """Ask for the paying number; on USSD the caller's own number is confirmed instead.

    On USSD the chat is keyed by the caller's number and never remembers another one, so the
    saved number is the caller's own.
    """
    if call.ussd and displayable(call.ctx.saved_phone) is not None:
        return await confirm(call, replace(draft, phone=call.ctx.saved_phone))
    return ask_phone(call, draft)


def amount_rule(call: Call, error: AmountError) -> str:
    """The rule an amount broke, with its bound under the name the text uses."""
    return amount_rule_text(call.language, error, ussd=call.ussd)


def ask_phone(call: Call, draft: Draft, text: str | None = None) -> Turn:
    """Ask for the paying number: a contact button, a one-tap saved number, or typing."""
    if call.ussd:
        # Only typing: the caller's own number was offered at the confirmation already.
        question = call.say("phone_ask")
        shown = question if text is None else f"{text}\n{question}"
        return call.go(Step.PHONE, Reply(shown), data=replace(draft, phone=None).to_data())
    reply = Reply(
        text or call.say("phone_ask"),
        buttons=phone_rows(call),
        request_contact=call.say("button_share_phone"),
    )
    return call.go(Step.PHONE, reply, data=replace(draft, phone=None).to_data())


def phone_refused(call: Call, draft: Draft, reason: str) -> Turn:
    """The reason a number was refused, and nothing else: the question stays where it was.

    The question's keyboard ("Share my number" with its buttons) is still on the customer's
    screen (a chat's reply keyboard stays until it is removed or used; WhatsApp's buttons stay
    under the question), so sending it again after every mistake would only repeat it. USSD
    has no keyboard: its screen is the reason above the question.
    """
    if call.ussd:
        return ask_phone(call, draft, reason)
    return call.go(Step.PHONE, Reply(reason), data=replace(draft, phone=None).to_data())


def phone_rows(call: Call) -> tuple[tuple[Button, ...], ...]:
    """The phone question's buttons: the saved number (if still usable), then Cancel."""
    rows: tuple[tuple[Button, ...], ...] = (call.cancel_row(),)
    saved = displayable(call.ctx.saved_phone)
    if saved is not None:
        rows = ((call.button("button_use_phone", PHONE_SAVED, phone=saved),), *rows)
    return rows


async def ask_phone_again(call: Call, _: str) -> Turn:
    draft = call.draft
    if draft.order_reference is None or draft.amount is None:
        return await ask_order(call, "")
    return ask_phone(call, draft)


async def receive_phone(call: Call, text: str) -> Turn:
    """Check the number (typed, shared or saved); confirm, remembering a new one."""
    draft = call.draft
    if draft.order_reference is None or draft.amount is None:
        return await ask_order(call, "")
    try:
        phone = normalise_phone(text)
    except PhoneError as error:
        return phone_refused(call, draft, phone_rule_text(call.language, error, ussd=call.ussd))
    # A USSD chat keeps the caller's own number: paying from another is for this time only.
    keep = call.ussd or phone == call.ctx.saved_phone
    remember = () if keep else (RememberPhone(phone),)
    return await confirm(call, replace(draft, phone=phone), remember)


async def use_saved_phone(call: Call, _: str) -> Turn:
    saved = call.ctx.saved_phone
    if saved is None:
        return ask_phone(call, call.draft)
    return await receive_phone(call, saved)


async def change_phone(call: Call, _: str) -> Turn:
    return await ask_phone_again(call, "")


async def confirm(call: Call, draft: Draft, effects: tuple[Effect, ...] = ()) -> Turn:
    """Show "Pay KES … for order … from …?" with Pay / Change number / Cancel."""
    if draft.order_reference is None or draft.amount is None:
        return await ask_order(call, "")
    shown_phone = displayable(draft.phone)
    if shown_phone is None:
        return ask_phone(call, draft)
    if draft.later:
        return await offer(call, draft, effects)
    question = call.say(
        "confirm_ask", amount=draft.amount, order=draft.order_reference, phone=shown_phone
    )
    rows: tuple[tuple[Button, ...], ...] = (
        (call.button("button_pay", PAY),),
        (call.button("button_change_phone", CHANGE_PHONE),),
        call.cancel_row(),
    )
    if call.ussd:
        # "1. Pay 2. Cancel" first, as USSD customers expect; another number comes third.
        rows = (rows[0], rows[2], rows[1])
    elif not draft.order_known and await offers_plans(
        call, draft.order_reference, draft.amount, draft.phone
    ):
        # The amount typed for an order the business did not know is its balance: the
        # confirmation is where such an order can be paid later.
        rows = (rows[0], (call.button("button_pay_later", PAY_LATER),), *rows[1:])
    reply = Reply(question, buttons=rows, remove_keyboard=True)
    return call.go(Step.CONFIRM, reply, data=draft.to_data(), effects=effects)


async def confirm_again(call: Call, _: str) -> Turn:
    return await confirm(call, call.draft)


async def press_pay(call: Call, _: str) -> Turn:
    """Start the payment once; a second press while paying only says it is on its way.

    A Pay button pressed after the order was paid in full (a stale confirmation) says so,
    with the receipt, and ends the payment.
    """
    if call.state.step is Step.PAYING:
        reference = call.draft.order_reference
        order = await call.ctx.find_order(reference) if reference is not None else None
        if reference is not None and order is not None and order.is_fully_paid:
            return call.go(Step.IDLE, effects=(ReportOrderPaid(reference),))
        return call.stay(Reply(call.say("already_paying")))
    draft = call.draft
    if draft.order_reference is None or draft.amount is None or draft.phone is None:
        return await ask_order(call, "")
    payment = StartPayment(
        order_reference=draft.order_reference,
        amount=draft.amount,
        phone=draft.phone,
        order_known=draft.order_known,
    )
    # No reply: the service tells the customer once Daraja has taken (or refused) the push.
    return call.go(Step.PAYING, data=draft.to_data(), effects=(payment,))


async def retry(call: Call, _: str) -> Turn:
    """Confirm the last payment again, re-reading the order in case it was paid meanwhile."""
    draft = call.draft
    if draft.order_reference is None or draft.amount is None or draft.phone is None:
        return await ask_order(call, "")
    found = await look_up(call, draft.order_reference)
    if isinstance(found, Turn):
        return found
    try:
        check_amount(draft.amount, found.balance)
    except AmountError as error:
        return await ask_amount(call, found, amount_rule(call, error))
    return await confirm(call, replace(found, amount=draft.amount, phone=draft.phone))


async def offers_plans(
    call: Call, reference: str | None, balance: int | None, phone: str | None = None
) -> bool:
    """Whether to show "Pay later" for ``balance``: plans are offered, the order is big enough,
    and this customer may have one (a brand-new customer may not while the rules ask for a
    paid payment first). The customer is the chat's, paying from ``phone`` or the number the
    chat remembers.

    Not on USSD, whose screens have no room for a plan's schedule.
    """
    rules = call.settings.plans
    if rules is None or call.ussd or reference is None or balance is None:
        return False
    if balance < rules.min_order:
        return False
    return await call.ctx.may_have_plan(reference, balance, phone or call.ctx.saved_phone)


async def offer(call: Call, draft: Draft, effects: tuple[Effect, ...] = ()) -> Turn:
    """Have the service make the offer (it knows who may have a plan); then the customer chooses."""
    if draft.order_reference is None or draft.phone is None:
        return await ask_order(call, "")
    offer = OfferPlan(
        order_reference=draft.order_reference,
        order_known=draft.order_known,
        amount=None if draft.order_known else draft.amount,
        phone=draft.phone,
    )
    data = replace(draft, later=True).to_data()
    return call.go(Step.PLAN, data=data, effects=(*effects, offer))
