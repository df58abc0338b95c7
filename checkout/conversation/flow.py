"""The checkout conversation as a state machine: one flow for Telegram, USSD and the demo.

:func:`handle` takes the stored state and one event and returns a :class:`Turn`: the new
state, the replies to show and the effects for the service to carry out. It does no I/O
beyond awaiting the read-only lookups of a :class:`FlowContext`.

Steps: IDLE → ORDER → AMOUNT → PHONE → CONFIRM → PAYING. Pressing "Pay" turns CONFIRM into
PAYING with a :class:`StartPayment` effect and no reply: the service answers once it has sent
the push (``push_sent_reply`` and friends in :mod:`checkout.i18n.payments.messages`), because
only it knows whether Daraja took the request.

The steps live by area: :mod:`checkout.conversation.steps.paying` (order, amount, phone,
confirm, pay), :mod:`checkout.conversation.steps.plans` (pay later) over
:mod:`checkout.conversation.steps.call` (the event in hand and the order in progress). Buttons
carry short callback data (:mod:`checkout.domain.callbacks`); they are dispatched through
tables (``_BUTTONS``, ``_PREFIXED``, ``_COMMANDS``, ``_ANSWERS``) so a new choice is one
handler and one table entry.

"Pay later" (with ``FlowSettings.plans``) is offered at the amount step of a known order, at
the confirmation of an order the business did not know, and by the service under a payment
that failed for lack of balance. Once the paying number is known the flow moves to PLAN and
asks the service for the offer (only it knows who may have a plan). An option's button
carries the plan's size, balance, date, order and phone, so like the buttons on an existing
plan (``plan:next:7``) it works from any step; taking it moves to PAYING while the service
sends the deposit's push. ``/plans`` lists the customer's plans.

A button pressed in a step it does not belong to (a stale button from an old message) shows the
menu and never starts a payment. While PAYING, anything that does not start something new
keeps the step and its data, so a second "Pay" is answered "already on its way" and "Try
again" still knows the order, amount and phone.

The same steps serve USSD (``channel=Channel.USSD``): texts take their short ``ussd_``
wording, the amount is chosen ("Pay KES <balance>", "Another amount") or typed on a screen of
its own, the caller's own number is confirmed without asking (another one can be chosen at the
confirmation), and ``BACK``/``HOME`` (USSD's "0" and "00") step back or go to the menu.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from checkout.bnpl.rules import (
    PAY_LATER,
    PLAN_NO,
    PLAN_PHONE,
    PLAN_PREFIX,
)
from checkout.conversation.model import (
    ButtonPressed,
    ChangeLanguage,
    Command,
    ContactShared,
    ConversationState,
    Event,
    ReportHistory,
    ReportStatus,
    Step,
    Turn,
)
from checkout.conversation.steps.call import (
    Call,
    FlowContext,
    FlowSettings,
    Handler,
    menu,
    show_menu,
)
from checkout.conversation.steps.orders import ORDERS_PREFIX, order_button, orders
from checkout.conversation.steps.paying import (
    ask_amount,
    ask_amount_again,
    ask_amount_typed,
    ask_order,
    ask_phone_again,
    change_phone,
    confirm,
    confirm_again,
    pay,
    phone_refused,
    phone_rows,
    press_pay,
    receive_amount,
    receive_order,
    receive_phone,
    retry,
    use_saved_phone,
)
from checkout.conversation.steps.plans import (
    decline_plan,
    offer_again,
    pay_later,
    plan_button,
    plan_phone,
    plans,
)
from checkout.conversation.steps.verify import already_paid, ask_code_again, receive_code
from checkout.domain.callbacks import (
    AMOUNT_OTHER,
    AMOUNT_PREFIX,
    BACK,
    CANCEL,
    CHANGE_PHONE,
    HOME,
    LANGUAGE_PREFIX,
    MENU_HELP,
    MENU_HISTORY,
    MENU_LANGUAGE,
    MENU_ORDERS,
    MENU_PAY,
    MENU_PLANS,
    MENU_STATUS,
    PAID_PREFIX,
    PAY,
    PHONE_SAVED,
    RESUME,
    RETRY,
    language_data,
)
from checkout.domain.records import LANGUAGES, Channel, Language
from checkout.domain.references import DEEP_LINK_PREFIX
from checkout.domain.replies import Reply
from checkout.i18n.chat import chat_text

# Steps whose question is answered by typing; in the others only the offered choices count.
TEXT_STEPS: Final = frozenset({Step.ORDER, Step.AMOUNT, Step.PHONE, Step.CODE})


# Where a customer who asked to switch language was, so the flow can carry on from there.
_RESUME_KEY: Final = "resume_step"


_LANGUAGE_LABELS: Final[Mapping[Language, str]] = {"en": "button_english", "sw": "button_swahili"}


async def handle(
    state: ConversationState,
    event: Event,
    ctx: FlowContext,
    settings: FlowSettings,
    now: datetime,
    *,
    channel: Channel = Channel.TELEGRAM,
) -> Turn:
    """The turn for one event; ``state`` is left untouched and the new one is stamped ``now``.

    ``channel`` shapes the questions, not the checkout: on USSD the texts take their short
    wording, choices suit numbered menus, and the caller's own number pays unless changed.
    """
    # A state never stored has no language chosen yet: speak the business's default.
    language = state.language if state.updated_at is not None else settings.default_language
    current = ConversationState(
        step=state.step, language=language, data=dict(state.data), updated_at=state.updated_at
    )
    before: tuple[Reply, ...] = ()
    if _idle_too_long(current, settings, now):
        # PAYING asked the customer nothing, so starting over there needs no explanation;
        # every USSD session starts at the menu anyway.
        if current.step is not Step.PAYING and channel is not Channel.USSD:
            before = (Reply(chat_text(language, "idle_restarted")),)
        current = ConversationState(language=language, updated_at=state.updated_at)
    turn = await _dispatch(Call(current, ctx, settings, now, channel), event)
    replies = (*before, *turn.replies)
    if state.step is Step.PHONE and turn.state.step is not Step.PHONE:
        replies = _remove_contact_keyboard(replies)
    return replace(turn, replies=replies)


def _idle_too_long(state: ConversationState, settings: FlowSettings, now: datetime) -> bool:
    """Whether a conversation in progress was left alone longer than the idle timeout."""
    if state.step is Step.IDLE or state.updated_at is None:
        return False
    return now - state.updated_at > settings.idle_timeout


def _remove_contact_keyboard(replies: tuple[Reply, ...]) -> tuple[Reply, ...]:
    """Mark one reply to remove the "Share my number" keyboard, preferring one without buttons."""
    if not replies or any(reply.remove_keyboard for reply in replies):
        return replies
    # Telegram attaches one keyboard per message: a reply with no inline buttons is free to
    # carry the removal.
    index = next((i for i, reply in enumerate(replies) if not reply.buttons), 0)
    marked = replace(replies[index], remove_keyboard=True)
    return (*replies[:index], marked, *replies[index + 1 :])


@dataclass(frozen=True, slots=True)
class _Route:
    """A button's handler and the steps it belongs to (None: any step)."""

    handler: Handler
    steps: frozenset[Step] | None = None


async def _dispatch(call: Call, event: Event) -> Turn:
    """The handler's turn for ``event`` in the current step."""
    step = call.state.step
    if isinstance(event, Command):
        # Telegram sends "/pay@LipaBot" in groups; the adapter may pass the suffix through.
        name = event.name.strip().lstrip("/").partition("@")[0].lower()
        return await _COMMANDS.get(name, show_menu)(call, event.argument.strip())
    if isinstance(event, ButtonPressed):
        handler, argument = _route(event.data, step)
        return await handler(call, argument)
    if isinstance(event, ContactShared):
        if step is not Step.PHONE:
            return await _reprompt(call, "")
        if not event.is_own:
            return phone_refused(call, call.draft, call.say("phone_contact_not_own"))
        return await receive_phone(call, event.phone)
    return await _ANSWERS.get(step, show_menu)(call, event.text)


def _route(data: str, step: Step) -> tuple[Handler, str]:
    """The handler and argument for a button's data; unknown or stale data gets the menu."""
    route = _BUTTONS.get(data)
    argument = ""
    if route is None:
        prefix, separator, argument = data.partition(":")
        route = _PREFIXED.get(prefix + separator) if separator else None
    if route is None or (route.steps is not None and step not in route.steps):
        return show_menu, ""
    return route.handler, argument


async def _start(call: Call, argument: str) -> Turn:
    """The menu, or straight to the order for a ``pay_<ORDER>`` deep link."""
    if argument.startswith(DEEP_LINK_PREFIX):
        return await pay(call, argument.removeprefix(DEEP_LINK_PREFIX))
    return menu(call)


async def _cancel(call: Call, _: str) -> Turn:
    """Back to the menu; while paying, remind that the prompt on the phone is still live."""
    key = "cancelled_while_paying" if call.state.step is Step.PAYING else "cancelled"
    return menu(call, Reply(call.say(key)))


async def _home(call: Call, _: str) -> Turn:
    """The menu, leaving whatever was in progress."""
    return menu(call)


async def _back(call: Call, _: str) -> Turn:
    """The question asked before the current one; the menu from the first question."""
    step = call.state.step
    draft = call.draft
    if step is Step.LANGUAGE:
        return await _reprompt(_resumed(call, call.language), "")
    if step is Step.AMOUNT and draft.typing_amount:
        return await ask_amount(call, replace(draft, typing_amount=False))
    if step is Step.AMOUNT:
        return await ask_order(call, "")
    if step is Step.PHONE and call.ussd:
        # USSD asks for a number only when "Pay from another number" was chosen.
        return await confirm(call, replace(draft, phone=call.ctx.saved_phone))
    if step is Step.PHONE or (step is Step.CONFIRM and call.ussd):
        return await ask_amount_again(call, "")
    if step is Step.CONFIRM:
        return await ask_phone_again(call, "")
    return menu(call)


async def _resume(call: Call, _: str) -> Turn:
    """USSD "Continue paying": the question of the step the customer was at, as they left it."""
    if call.state.step is Step.AMOUNT and call.draft.typing_amount:
        return await ask_amount_typed(call, "")  # "Another amount" was chosen: typed, not chosen
    return await _reprompt(call, "")


async def _help(call: Call, _: str) -> Turn:
    """The help text, then the question the customer was answering (or the menu)."""
    again = await _reprompt(call, "")
    return replace(again, replies=(Reply(call.say("help_text")), *again.replies))


async def _status(call: Call, _: str) -> Turn:
    return call.stay(effects=(ReportStatus(),))


async def _history(call: Call, _: str) -> Turn:
    return call.stay(effects=(ReportHistory(),))


async def _reprompt(call: Call, _: str) -> Turn:
    """Ask the current step's question again; outside a question, show the menu."""
    return await _QUESTIONS.get(call.state.step, show_menu)(call, "")


async def _ask_language(call: Call, _: str) -> Turn:
    """Offer the languages, remembering where to carry on afterwards."""
    resume = call.state.data.get(_RESUME_KEY, Step.IDLE.value)
    if call.state.step is not Step.LANGUAGE:
        resume = call.state.step.value
    buttons = tuple(
        (call.button(_LANGUAGE_LABELS[language], language_data(language)),)
        for language in LANGUAGES
    )
    return call.go(
        Step.LANGUAGE,
        Reply(call.say("language_choose"), buttons=buttons),
        data={**call.draft.to_data(), _RESUME_KEY: resume},
    )


async def _choose_language(call: Call, argument: str) -> Turn:
    """Switch language and carry on where the customer was, in the new language."""
    language = next((known for known in LANGUAGES if known == argument), None)
    if language is None:
        return menu(call)
    switched = _resumed(call, language)
    again = await _reprompt(switched, "")
    return replace(
        again,
        replies=(Reply(switched.say("language_chosen")), *again.replies),
        effects=(*again.effects, ChangeLanguage(language)),
    )


def _resumed(call: Call, language: Language) -> Call:
    """The call as it was before the language question, speaking ``language``."""
    step = call.state.step
    if step is Step.LANGUAGE:
        step = _resume_step(call.state.data.get(_RESUME_KEY))
    data = {key: value for key, value in call.state.data.items() if key != _RESUME_KEY}
    state = ConversationState(
        step=step, language=language, data=data, updated_at=call.state.updated_at
    )
    return replace(call, state=state)


def _resume_step(raw: object) -> Step:
    """The stored step to carry on from after choosing a language; idle if there is none."""
    resumable = {step.value: step for step in Step if step is not Step.LANGUAGE}
    return resumable.get(raw, Step.IDLE) if isinstance(raw, str) else Step.IDLE


async def _answer_phone(call: Call, text: str) -> Turn:
    """A typed number, or the label of one of the phone question's buttons.

    A chat that shows the question's buttons on its "share my number" keyboard (one message
    carries one keyboard; Telegram's) receives a button's label as text: it counts as the press.
    """
    typed = text.strip().casefold()
    for row in phone_rows(call):
        for button in row:
            if button.label.casefold() == typed:
                handler, argument = _route(button.data, call.state.step)
                return await handler(call, argument)
    return await receive_phone(call, text)


_COMMANDS: Final[Mapping[str, Handler]] = {
    "start": _start,
    "pay": pay,
    "cancel": _cancel,
    "status": _status,
    "history": _history,
    "plans": plans,
    "orders": orders,
    "help": _help,
    "language": _ask_language,
    "lugha": _ask_language,
}


_BUTTONS: Final[Mapping[str, _Route]] = {
    MENU_PAY: _Route(ask_order),
    MENU_HISTORY: _Route(_history),
    MENU_HELP: _Route(_help),
    MENU_STATUS: _Route(_status),
    MENU_LANGUAGE: _Route(_ask_language),
    MENU_ORDERS: _Route(orders),
    MENU_PLANS: _Route(plans),
    AMOUNT_OTHER: _Route(ask_amount_typed, frozenset({Step.AMOUNT})),
    BACK: _Route(_back),
    HOME: _Route(_home),
    RESUME: _Route(_resume),
    PHONE_SAVED: _Route(use_saved_phone, frozenset({Step.PHONE})),
    PAY: _Route(press_pay, frozenset({Step.CONFIRM, Step.PAYING})),
    CHANGE_PHONE: _Route(change_phone, frozenset({Step.CONFIRM})),
    CANCEL: _Route(_cancel),
    RETRY: _Route(retry),
    PAY_LATER: _Route(pay_later),
    PLAN_NO: _Route(decline_plan),
    PLAN_PHONE: _Route(plan_phone, frozenset({Step.PLAN})),
}


_PREFIXED: Final[Mapping[str, _Route]] = {
    AMOUNT_PREFIX: _Route(receive_amount, frozenset({Step.AMOUNT})),
    LANGUAGE_PREFIX: _Route(_choose_language),
    PLAN_PREFIX: _Route(plan_button),
    ORDERS_PREFIX: _Route(order_button),
    PAID_PREFIX: _Route(already_paid),
}


# What typed text (or a USSD answer that is not a choice) means in each step.
_ANSWERS: Final[Mapping[Step, Handler]] = {
    Step.ORDER: receive_order,
    Step.AMOUNT: receive_amount,
    Step.PHONE: _answer_phone,
    Step.CONFIRM: _reprompt,
    Step.LANGUAGE: _reprompt,
    Step.PLAN: _reprompt,
    Step.CODE: receive_code,
}


# The question each step asks, for asking again after help, a language switch or a stray event.
_QUESTIONS: Final[Mapping[Step, Handler]] = {
    Step.ORDER: ask_order,
    Step.AMOUNT: ask_amount_again,
    Step.PHONE: ask_phone_again,
    Step.CONFIRM: confirm_again,
    Step.LANGUAGE: _ask_language,
    Step.PLAN: offer_again,
    Step.CODE: ask_code_again,
}
