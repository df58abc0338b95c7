"""The checkout conversation as a state machine: one flow for Telegram, USSD and the demo.

:func:`handle` takes the stored state and one event and returns a :class:`Turn`: the new
state, the replies to show and the effects for the service to carry out. It does no I/O
beyond awaiting the read-only lookups of a :class:`FlowContext`.

Steps: IDLE → ORDER → AMOUNT → PHONE → CONFIRM → PAYING. Pressing "Pay" turns CONFIRM into
PAYING with a :class:`StartPayment` effect and no reply: the service answers once it has sent
the push (``push_sent`` and friends in :mod:`checkout.i18n.texts`), because only it knows
whether Daraja took the request.

Buttons carry short callback data; they are dispatched through tables (``_BUTTONS``,
``_PREFIXED``, ``_COMMANDS``, ``_ANSWERS``) so a new choice is one handler and one table entry.

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

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from checkout.bnpl.rules import (
    PAY_LATER,
    PLAN_NO,
    PLAN_PHONE,
    PLAN_PREFIX,
    PlanButton,
    PlanRules,
    parse_plan_argument,
)
from checkout.conversation.model import (
    AcceptPlan,
    ActOnPlan,
    Button,
    ButtonPressed,
    ChangeLanguage,
    Command,
    ContactShared,
    ConversationState,
    Effect,
    Event,
    OfferPlan,
    RememberPhone,
    Reply,
    ReportHistory,
    ReportOrderPaid,
    ReportStatus,
    ShowPlans,
    StartPayment,
    Step,
    Turn,
)
from checkout.domain.money import MAX_AMOUNT, AmountError, AmountReason, check_amount, parse_amount
from checkout.domain.phones import PhoneError, display_phone, normalise_phone
from checkout.domain.records import LANGUAGES, Channel, Language, Order
from checkout.i18n.texts import TEXTS, t

# Callback data (Telegram allows 64 bytes). USSD maps numbered choices to the same strings.
MENU_PAY: Final = "menu:pay"
MENU_HISTORY: Final = "menu:history"
MENU_HELP: Final = "menu:help"
MENU_STATUS: Final = "menu:status"  # USSD: "My last payment"
MENU_LANGUAGE: Final = "menu:language"  # USSD: "Language / Lugha"
AMOUNT_PREFIX: Final = "amount:"  # + whole shillings, e.g. "amount:1500"
PHONE_SAVED: Final = "phone:saved"
PAY: Final = "pay"
CHANGE_PHONE: Final = "change_phone"
CANCEL: Final = "cancel"
RETRY: Final = "retry"
LANGUAGE_PREFIX: Final = "lang:"  # + "en" or "sw"
AMOUNT_OTHER: Final = "amount_other"  # USSD: type an amount other than the balance
BACK: Final = "back"  # one question back (USSD "0")
HOME: Final = "home"  # the menu (USSD "00")

# Steps whose question is answered by typing; in the others only the offered choices count.
TEXT_STEPS: Final = frozenset({Step.ORDER, Step.AMOUNT, Step.PHONE})

DEEP_LINK_PREFIX: Final = "pay_"  # /start pay_WW-1042
# The reference becomes Daraja's AccountReference: at most 12 characters, shown on the prompt.
_ORDER_REFERENCE = re.compile(r"[A-Z0-9-]{1,12}", re.ASCII)
# Where a customer who asked to switch language was, so the flow can carry on from there.
_RESUME_KEY: Final = "resume_step"
# The placeholder each amount rule's text gives its bound.
_AMOUNT_BOUND: Final[Mapping[AmountReason, str]] = {
    AmountReason.TOO_SMALL: "minimum",
    AmountReason.TOO_LARGE: "maximum",
    AmountReason.ABOVE_BALANCE: "balance",
}
_LANGUAGE_LABELS: Final[Mapping[Language, str]] = {"en": "button_english", "sw": "button_swahili"}


@dataclass(frozen=True)
class FlowSettings:
    """What the flow needs to know about the business it serves."""

    business_name: str
    accept_unknown_orders: bool = True
    default_language: Language = "en"
    idle_timeout: timedelta = timedelta(minutes=15)
    plans: PlanRules | None = None  # the rules of the plans offered; None: no "Pay later"


class FlowContext(Protocol):
    """Read-only lookups the service provides to the flow."""

    async def find_order(self, reference: str) -> Order | None:
        """The order with this (normalised) reference, or None if the business does not know it."""
        ...

    @property
    def saved_phone(self) -> str | None:
        """The customer's remembered normalised number, if any."""
        ...


def parse_order_reference(text: str) -> str | None:
    """The reference trimmed and upper-cased, or None unless it is 1-12 letters, digits, hyphens."""
    # Checked before upper(): some non-ASCII letters upper-case into ASCII ones ("ﬁ" → "FI").
    if not text.isascii():
        return None
    reference = text.strip().upper()
    return reference if _ORDER_REFERENCE.fullmatch(reference) else None


def amount_data(amount: int) -> str:
    """Callback data of a "Pay KES <amount>" button."""
    return f"{AMOUNT_PREFIX}{amount}"


def language_data(language: Language) -> str:
    """Callback data of a language button."""
    return f"{LANGUAGE_PREFIX}{language}"


def menu_buttons(
    language: Language, *, channel: Channel = Channel.TELEGRAM
) -> tuple[tuple[Button, ...], ...]:
    """The main menu: "Pay an order", "My payments", "Help", one per row for small screens.

    USSD offers "Pay an order", "My last payment" and "Language / Lugha" instead: its
    screens have no room for help, and a feature phone has no other way to switch language.
    """
    if channel is Channel.USSD:
        return (
            (Button(t(language, "button_pay_order"), MENU_PAY),),
            (Button(t(language, "ussd_button_my_last_payment"), MENU_STATUS),),
            (Button(t(language, "ussd_button_language"), MENU_LANGUAGE),),
        )
    return (
        (Button(t(language, "button_pay_order"), MENU_PAY),),
        (Button(t(language, "button_my_payments"), MENU_HISTORY),),
        (Button(t(language, "button_help"), MENU_HELP),),
    )


def retry_button(language: Language) -> Button:
    """The "Try again" button the service attaches to failure messages."""
    return Button(t(language, "button_try_again"), RETRY)


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
            before = (Reply(t(language, "idle_restarted")),)
        current = ConversationState(language=language, updated_at=state.updated_at)
    turn = await _dispatch(_Call(current, ctx, settings, now, channel), event)
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


# --- the order in progress -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Draft:
    """The order in progress, read from ``ConversationState.data`` with its types checked."""

    order_reference: str | None = None
    order_known: bool = False
    balance: int | None = None
    amount: int | None = None
    phone: str | None = None
    typing_amount: bool = False  # USSD: "Another amount" was chosen, so the amount is typed
    later: bool = False  # "Pay later" was chosen: once the number is known, a plan is offered

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> _Draft:
        """The draft stored in ``data``; values of the wrong type are dropped."""
        return cls(
            order_reference=_text(data, "order_reference"),
            order_known=data.get("order_known") is True,
            balance=_whole(data, "balance"),
            amount=_whole(data, "amount"),
            phone=_text(data, "phone"),
            typing_amount=data.get("typing_amount") is True,
            later=data.get("later") is True,
        )

    def to_data(self) -> dict[str, Any]:
        """The JSON-safe dict stored in ``ConversationState.data``."""
        data: dict[str, Any] = {}
        if self.order_reference is not None:
            data["order_reference"] = self.order_reference
            data["order_known"] = self.order_known
        for key, value in (("balance", self.balance), ("amount", self.amount)):
            if value is not None:
                data[key] = value
        if self.phone is not None:
            data["phone"] = self.phone
        if self.typing_amount:
            data["typing_amount"] = True
        if self.later:
            data["later"] = True
        return data


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _whole(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- one event being handled -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Call:
    """The state, lookups, settings and clock for one event, with helpers to answer it."""

    state: ConversationState
    ctx: FlowContext
    settings: FlowSettings
    now: datetime
    channel: Channel = Channel.TELEGRAM

    @property
    def language(self) -> Language:
        return self.state.language

    @property
    def ussd(self) -> bool:
        return self.channel is Channel.USSD

    @property
    def draft(self) -> _Draft:
        return _Draft.read(self.state.data)

    def say(self, key: str, **params: object) -> str:
        """A text in the customer's language; on USSD its ``ussd_`` wording, if it has one."""
        if self.ussd and f"ussd_{key}" in TEXTS[self.language]:
            key = f"ussd_{key}"
        return t(self.language, key, **params)

    def button(self, key: str, data: str, **params: object) -> Button:
        """A button labelled in the customer's language."""
        return Button(self.say(key, **params), data)

    def cancel_row(self) -> tuple[Button, ...]:
        return (self.button("button_cancel", CANCEL),)

    def cancel_rows(self) -> tuple[tuple[Button, ...], ...]:
        """A "Cancel" row, except on USSD, where "00" goes home from any screen."""
        return () if self.ussd else (self.cancel_row(),)

    def go(
        self,
        step: Step,
        *replies: Reply,
        data: Mapping[str, Any] | None = None,
        effects: tuple[Effect, ...] = (),
    ) -> Turn:
        """A turn moving to ``step`` with ``data`` (none by default), stamped now."""
        state = ConversationState(
            step=step,
            language=self.language,
            data=dict(data) if data is not None else {},
            updated_at=self.now,
        )
        return Turn(state=state, replies=replies, effects=effects)

    def stay(self, *replies: Reply, effects: tuple[Effect, ...] = ()) -> Turn:
        """A turn that keeps the step and data as they are."""
        return self.go(self.state.step, *replies, data=self.state.data, effects=effects)


_Handler = Callable[[_Call, str], Awaitable[Turn]]


@dataclass(frozen=True, slots=True)
class _Route:
    """A button's handler and the steps it belongs to (None: any step)."""

    handler: _Handler
    steps: frozenset[Step] | None = None


async def _dispatch(call: _Call, event: Event) -> Turn:
    """The handler's turn for ``event`` in the current step."""
    step = call.state.step
    if isinstance(event, Command):
        # Telegram sends "/pay@LipaBot" in groups; the adapter may pass the suffix through.
        name = event.name.strip().lstrip("/").partition("@")[0].lower()
        return await _COMMANDS.get(name, _show_menu)(call, event.argument.strip())
    if isinstance(event, ButtonPressed):
        handler, argument = _route(event.data, step)
        return await handler(call, argument)
    if isinstance(event, ContactShared):
        if step is not Step.PHONE:
            return await _reprompt(call, "")
        if not event.is_own:
            return _ask_phone(call, call.draft, call.say("phone_contact_not_own"))
        return await _receive_phone(call, event.phone)
    return await _ANSWERS.get(step, _show_menu)(call, event.text)


def _route(data: str, step: Step) -> tuple[_Handler, str]:
    """The handler and argument for a button's data; unknown or stale data gets the menu."""
    route = _BUTTONS.get(data)
    argument = ""
    if route is None:
        prefix, separator, argument = data.partition(":")
        route = _PREFIXED.get(prefix + separator) if separator else None
    if route is None or (route.steps is not None and step not in route.steps):
        return _show_menu, ""
    return route.handler, argument


# --- menu, help, cancel, reports -------------------------------------------------------------


def _greeting(call: _Call) -> Reply:
    greeting = call.say("menu_greeting", business=call.settings.business_name)
    return Reply(greeting, buttons=menu_buttons(call.language, channel=call.channel))


def _menu(call: _Call, *before: Reply) -> Turn:
    """Back to idle with the greeting and the menu buttons, after ``before``."""
    return call.go(Step.IDLE, *before, _greeting(call))


async def _show_menu(call: _Call, _: str) -> Turn:
    """The menu; while paying, the step and data stay so "Try again" and "Pay" still know it."""
    if call.state.step is Step.PAYING:
        return call.stay(_greeting(call))
    return _menu(call)


async def _start(call: _Call, argument: str) -> Turn:
    """The menu, or straight to the order for a ``pay_<ORDER>`` deep link."""
    if argument.startswith(DEEP_LINK_PREFIX):
        return await _pay(call, argument.removeprefix(DEEP_LINK_PREFIX))
    return _menu(call)


async def _cancel(call: _Call, _: str) -> Turn:
    """Back to the menu; while paying, remind that the prompt on the phone is still live."""
    key = "cancelled_while_paying" if call.state.step is Step.PAYING else "cancelled"
    return _menu(call, Reply(call.say(key)))


async def _home(call: _Call, _: str) -> Turn:
    """The menu, leaving whatever was in progress."""
    return _menu(call)


async def _back(call: _Call, _: str) -> Turn:
    """The question asked before the current one; the menu from the first question."""
    step = call.state.step
    draft = call.draft
    if step is Step.LANGUAGE:
        return await _reprompt(_resumed(call, call.language), "")
    if step is Step.AMOUNT and draft.typing_amount:
        return _ask_amount(call, replace(draft, typing_amount=False))
    if step is Step.AMOUNT:
        return await _ask_order(call, "")
    if step is Step.PHONE and call.ussd:
        # USSD asks for a number only when "Pay from another number" was chosen.
        return await _confirm(call, replace(draft, phone=call.ctx.saved_phone))
    if step is Step.PHONE or (step is Step.CONFIRM and call.ussd):
        return await _ask_amount_again(call, "")
    if step is Step.CONFIRM:
        return await _ask_phone_again(call, "")
    return _menu(call)


async def _help(call: _Call, _: str) -> Turn:
    """The help text, then the question the customer was answering (or the menu)."""
    again = await _reprompt(call, "")
    return replace(again, replies=(Reply(call.say("help_text")), *again.replies))


async def _status(call: _Call, _: str) -> Turn:
    return call.stay(effects=(ReportStatus(),))


async def _history(call: _Call, _: str) -> Turn:
    return call.stay(effects=(ReportHistory(),))


async def _reprompt(call: _Call, _: str) -> Turn:
    """Ask the current step's question again; outside a question, show the menu."""
    return await _QUESTIONS.get(call.state.step, _show_menu)(call, "")


# --- language -----------------------------------------------------------------------------


async def _ask_language(call: _Call, _: str) -> Turn:
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


async def _choose_language(call: _Call, argument: str) -> Turn:
    """Switch language and carry on where the customer was, in the new language."""
    language = next((known for known in LANGUAGES if known == argument), None)
    if language is None:
        return _menu(call)
    switched = _resumed(call, language)
    again = await _reprompt(switched, "")
    return replace(
        again,
        replies=(Reply(switched.say("language_chosen")), *again.replies),
        effects=(*again.effects, ChangeLanguage(language)),
    )


def _resumed(call: _Call, language: Language) -> _Call:
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


# --- order ----------------------------------------------------------------------------------


async def _ask_order(call: _Call, _: str) -> Turn:
    return call.go(Step.ORDER, Reply(call.say("order_ask"), buttons=call.cancel_rows()))


async def _pay(call: _Call, argument: str) -> Turn:
    """``/pay`` asks for the order; ``/pay WW-1042`` (or a deep link) opens it at once."""
    if not argument.strip():
        return await _ask_order(call, "")
    return await _receive_order(call, argument)


async def _receive_order(call: _Call, text: str) -> Turn:
    """Check the typed reference and look the order up; ask for the amount if it can be paid."""
    reference = parse_order_reference(text)
    if reference is None:
        return call.go(Step.ORDER, Reply(call.say("order_invalid"), buttons=call.cancel_rows()))
    found = await _look_up(call, reference)
    if isinstance(found, Turn):
        return found
    return _ask_amount(call, found)


async def _look_up(call: _Call, reference: str) -> _Draft | Turn:
    """A draft for the order, or the turn refusing it (unknown and not accepted, or paid)."""
    order = await call.ctx.find_order(reference)
    # Every order paid in full is closed, typed references included: paying one again would
    # take the customer's money twice.
    if order is not None and order.is_fully_paid:
        return _menu(call, Reply(call.say("order_paid", order=reference)))
    # An order the business never listed (created when an unknown reference was paid) has
    # no balance to respect until it is paid, so it is treated like any unknown reference.
    if order is None or not order.known:
        if not call.settings.accept_unknown_orders:
            refusal = Reply(call.say("order_unknown", order=reference), buttons=call.cancel_rows())
            return call.go(Step.ORDER, refusal)
        return _Draft(order_reference=reference, order_known=False)
    if order.balance <= 0:
        return _menu(call, Reply(call.say("order_paid", order=reference)))
    return _Draft(order_reference=reference, order_known=True, balance=order.balance)


# --- amount ---------------------------------------------------------------------------------


def _ask_amount(
    call: _Call, draft: _Draft, text: str | None = None, *, typing: bool = False
) -> Turn:
    """Ask for the amount (or say ``text``), offering the whole balance of a known order."""
    if call.ussd:
        return _ask_amount_ussd(call, draft, text, typing=typing)
    rows: tuple[tuple[Button, ...], ...] = (call.cancel_row(),)
    if draft.balance is not None:
        question = call.say("amount_ask_known", order=draft.order_reference, balance=draft.balance)
        # A balance above Daraja's limit is paid in parts: offer the largest part allowed.
        offer = min(draft.balance, MAX_AMOUNT)
        pay_all = call.button("button_pay_amount", amount_data(offer), amount=offer)
        rows = ((pay_all,), *rows)
        if _offers_plans(call, draft.balance):
            rows = (rows[0], (call.button("button_pay_later", PAY_LATER),), *rows[1:])
    else:
        question = call.say("amount_ask_unknown", order=draft.order_reference)
    data = replace(draft, amount=None, phone=None, later=False).to_data()
    return call.go(Step.AMOUNT, Reply(text or question, buttons=rows), data=data)


def _ask_amount_ussd(call: _Call, draft: _Draft, reason: str | None, *, typing: bool) -> Turn:
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


async def _ask_amount_typed(call: _Call, _: str) -> Turn:
    """USSD "Another amount": ask the customer to type the amount."""
    draft = call.draft
    if draft.order_reference is None:
        return await _ask_order(call, "")
    return _ask_amount(call, draft, typing=True)


async def _ask_amount_again(call: _Call, _: str) -> Turn:
    draft = call.draft
    if draft.order_reference is None:
        return await _ask_order(call, "")
    return _ask_amount(call, draft)


async def _receive_amount(call: _Call, text: str) -> Turn:
    """Check a typed amount (or a "Pay KES" button's) and ask for the phone."""
    draft = call.draft
    if draft.order_reference is None:
        return await _ask_order(call, "")
    try:
        amount = parse_amount(text, draft.balance)
    except AmountError as error:
        return _ask_amount(call, draft, _amount_rule(call, error), typing=draft.typing_amount)
    return await _after_amount(call, replace(draft, amount=amount, typing_amount=False))


async def _after_amount(call: _Call, draft: _Draft) -> Turn:
    """Ask for the paying number; on USSD the caller's own number is confirmed instead.

    On USSD the chat is keyed by the caller's number and never remembers another one, so the
    saved number is the caller's own.
    """
    if call.ussd and _displayable(call.ctx.saved_phone) is not None:
        return await _confirm(call, replace(draft, phone=call.ctx.saved_phone))
    return _ask_phone(call, draft)


def _amount_rule(call: _Call, error: AmountError) -> str:
    """The rule an amount broke, with its bound under the name the text uses."""
    name = _AMOUNT_BOUND.get(error.reason)
    bound = {name: error.limit} if name is not None and error.limit is not None else {}
    return call.say(f"amount_{error.reason.value}", **bound)


# --- phone ----------------------------------------------------------------------------------


def _ask_phone(call: _Call, draft: _Draft, text: str | None = None) -> Turn:
    """Ask for the paying number: a contact button, a one-tap saved number, or typing."""
    if call.ussd:
        # Only typing: the caller's own number was offered at the confirmation already.
        question = call.say("phone_ask")
        shown = question if text is None else f"{text}\n{question}"
        return call.go(Step.PHONE, Reply(shown), data=replace(draft, phone=None).to_data())
    reply = Reply(
        text or call.say("phone_ask"),
        buttons=_phone_rows(call),
        request_contact=call.say("button_share_phone"),
    )
    return call.go(Step.PHONE, reply, data=replace(draft, phone=None).to_data())


def _phone_rows(call: _Call) -> tuple[tuple[Button, ...], ...]:
    """The phone question's buttons: the saved number (if still usable), then Cancel."""
    rows: tuple[tuple[Button, ...], ...] = (call.cancel_row(),)
    saved = _displayable(call.ctx.saved_phone)
    if saved is not None:
        rows = ((call.button("button_use_phone", PHONE_SAVED, phone=saved),), *rows)
    return rows


async def _answer_phone(call: _Call, text: str) -> Turn:
    """A typed number, or the label of one of the phone question's buttons.

    A chat that shows the question's buttons on its "share my number" keyboard (one message
    carries one keyboard; Telegram's) receives a button's label as text: it counts as the press.
    """
    typed = text.strip().casefold()
    for row in _phone_rows(call):
        for button in row:
            if button.label.casefold() == typed:
                handler, argument = _route(button.data, call.state.step)
                return await handler(call, argument)
    return await _receive_phone(call, text)


def _displayable(phone: str | None) -> str | None:
    """``phone`` as customers read it, or None if there is none or it no longer validates."""
    if phone is None:
        return None
    try:
        return display_phone(phone)
    except PhoneError:
        return None


async def _ask_phone_again(call: _Call, _: str) -> Turn:
    draft = call.draft
    if draft.order_reference is None or draft.amount is None:
        return await _ask_order(call, "")
    return _ask_phone(call, draft)


async def _receive_phone(call: _Call, text: str) -> Turn:
    """Check the number (typed, shared or saved); confirm, remembering a new one."""
    draft = call.draft
    if draft.order_reference is None or draft.amount is None:
        return await _ask_order(call, "")
    try:
        phone = normalise_phone(text)
    except PhoneError as error:
        return _ask_phone(call, draft, call.say(f"phone_{error.reason.value}"))
    # A USSD chat keeps the caller's own number: paying from another is for this time only.
    keep = call.ussd or phone == call.ctx.saved_phone
    remember = () if keep else (RememberPhone(phone),)
    return await _confirm(call, replace(draft, phone=phone), remember)


async def _use_saved_phone(call: _Call, _: str) -> Turn:
    saved = call.ctx.saved_phone
    if saved is None:
        return _ask_phone(call, call.draft)
    return await _receive_phone(call, saved)


async def _change_phone(call: _Call, _: str) -> Turn:
    return await _ask_phone_again(call, "")


# --- confirm and pay ------------------------------------------------------------------------


async def _confirm(call: _Call, draft: _Draft, effects: tuple[Effect, ...] = ()) -> Turn:
    """Show "Pay KES … for order … from …?" with Pay / Change number / Cancel."""
    if draft.order_reference is None or draft.amount is None:
        return await _ask_order(call, "")
    shown_phone = _displayable(draft.phone)
    if shown_phone is None:
        return _ask_phone(call, draft)
    if draft.later:
        return await _offer(call, draft, effects)
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
    elif not draft.order_known and _offers_plans(call, draft.amount):
        # The amount typed for an order the business did not know is its balance: the
        # confirmation is where such an order can be paid later.
        rows = (rows[0], (call.button("button_pay_later", PAY_LATER),), *rows[1:])
    reply = Reply(question, buttons=rows, remove_keyboard=True)
    return call.go(Step.CONFIRM, reply, data=draft.to_data(), effects=effects)


async def _confirm_again(call: _Call, _: str) -> Turn:
    return await _confirm(call, call.draft)


async def _press_pay(call: _Call, _: str) -> Turn:
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
        return await _ask_order(call, "")
    payment = StartPayment(
        order_reference=draft.order_reference,
        amount=draft.amount,
        phone=draft.phone,
        order_known=draft.order_known,
    )
    # No reply: the service tells the customer once Daraja has taken (or refused) the push.
    return call.go(Step.PAYING, data=draft.to_data(), effects=(payment,))


async def _retry(call: _Call, _: str) -> Turn:
    """Confirm the last payment again, re-reading the order in case it was paid meanwhile."""
    draft = call.draft
    if draft.order_reference is None or draft.amount is None or draft.phone is None:
        return await _ask_order(call, "")
    found = await _look_up(call, draft.order_reference)
    if isinstance(found, Turn):
        return found
    try:
        check_amount(draft.amount, found.balance)
    except AmountError as error:
        return _ask_amount(call, found, _amount_rule(call, error))
    return await _confirm(call, replace(found, amount=draft.amount, phone=draft.phone))


# --- pay later: Buy-Now-Pay-Later plans ------------------------------------------------------


def _offers_plans(call: _Call, balance: int | None) -> bool:
    """Whether to show "Pay later" for ``balance``: plans are offered and the order is big enough.

    Not on USSD, whose screens have no room for a plan's schedule.
    """
    rules = call.settings.plans
    return (
        rules is not None and not call.ussd and balance is not None and balance >= rules.min_order
    )


async def _pay_later(call: _Call, _: str) -> Turn:
    """Offer a plan for the order in progress, asking first for the number that will pay."""
    if call.settings.plans is None:
        return _menu(call, Reply(call.say("plan_refused_disabled")))
    draft = replace(call.draft, later=True)
    if draft.order_reference is None:
        return await _ask_order(call, "")
    if _displayable(draft.phone) is not None:
        return await _offer(call, draft)
    # A known order's plan is for its balance; another's for the amount the customer typed.
    amount = draft.balance if draft.order_known else draft.amount
    if amount is None:
        return _ask_amount(call, draft)
    return await _after_amount(call, replace(draft, amount=amount))


async def _offer(call: _Call, draft: _Draft, effects: tuple[Effect, ...] = ()) -> Turn:
    """Have the service make the offer (it knows who may have a plan); then the customer chooses."""
    if draft.order_reference is None or draft.phone is None:
        return await _ask_order(call, "")
    offer = OfferPlan(
        order_reference=draft.order_reference,
        order_known=draft.order_known,
        amount=None if draft.order_known else draft.amount,
        phone=draft.phone,
    )
    data = replace(draft, later=True).to_data()
    return call.go(Step.PLAN, data=data, effects=(*effects, offer))


async def _offer_again(call: _Call, _: str) -> Turn:
    return await _offer(call, call.draft)


async def _decline_plan(call: _Call, _: str) -> Turn:
    return _menu(call, Reply(call.say("plan_declined")))


async def _plan_phone(call: _Call, _: str) -> Turn:
    """Ask for another number to pay the plan from; the offer follows."""
    draft = call.draft
    if draft.order_reference is None or draft.amount is None:
        return await _ask_order(call, "")
    return _ask_phone(call, replace(draft, later=True))


async def _plan_button(call: _Call, argument: str) -> Turn:
    """An option of an offer (take it: the deposit's push goes out) or a button on a plan.

    Both name what they act on, so they work from any message and step; the service checks
    that the offer still holds and refuses a second deposit while the first is on its way.
    """
    meaning = parse_plan_argument(argument)
    if isinstance(meaning, PlanButton):
        return call.stay(effects=(ActOnPlan(meaning.action.value, meaning.plan_id),))
    if meaning is None or parse_order_reference(meaning.order) != meaning.order:
        return await _show_menu(call, "")
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
    draft = _Draft(
        order_reference=meaning.order,
        order_known=known,
        balance=order.balance if known and order is not None else None,
        amount=meaning.balance,
        phone=meaning.phone,
        later=True,
    )
    # No reply: the service answers once it has sent the deposit's push (or refused).
    return call.go(Step.PAYING, data=draft.to_data(), effects=(accept,))


async def _plans(call: _Call, _: str) -> Turn:
    """``/plans``: the customer's plans, with buttons to pay ahead."""
    return call.stay(effects=(ShowPlans(),))


# --- dispatch tables ------------------------------------------------------------------------

_COMMANDS: Final[Mapping[str, _Handler]] = {
    "start": _start,
    "pay": _pay,
    "cancel": _cancel,
    "status": _status,
    "history": _history,
    "plans": _plans,
    "help": _help,
    "language": _ask_language,
    "lugha": _ask_language,
}

_BUTTONS: Final[Mapping[str, _Route]] = {
    MENU_PAY: _Route(_ask_order),
    MENU_HISTORY: _Route(_history),
    MENU_HELP: _Route(_help),
    MENU_STATUS: _Route(_status),
    MENU_LANGUAGE: _Route(_ask_language),
    AMOUNT_OTHER: _Route(_ask_amount_typed, frozenset({Step.AMOUNT})),
    BACK: _Route(_back),
    HOME: _Route(_home),
    PHONE_SAVED: _Route(_use_saved_phone, frozenset({Step.PHONE})),
    PAY: _Route(_press_pay, frozenset({Step.CONFIRM, Step.PAYING})),
    CHANGE_PHONE: _Route(_change_phone, frozenset({Step.CONFIRM})),
    CANCEL: _Route(_cancel),
    RETRY: _Route(_retry),
    PAY_LATER: _Route(_pay_later),
    PLAN_NO: _Route(_decline_plan),
    PLAN_PHONE: _Route(_plan_phone, frozenset({Step.PLAN})),
}

_PREFIXED: Final[Mapping[str, _Route]] = {
    AMOUNT_PREFIX: _Route(_receive_amount, frozenset({Step.AMOUNT})),
    LANGUAGE_PREFIX: _Route(_choose_language),
    PLAN_PREFIX: _Route(_plan_button),
}

# What typed text (or a USSD answer that is not a choice) means in each step.
_ANSWERS: Final[Mapping[Step, _Handler]] = {
    Step.ORDER: _receive_order,
    Step.AMOUNT: _receive_amount,
    Step.PHONE: _answer_phone,
    Step.CONFIRM: _reprompt,
    Step.LANGUAGE: _reprompt,
    Step.PLAN: _reprompt,
}

# The question each step asks, for asking again after help, a language switch or a stray event.
_QUESTIONS: Final[Mapping[Step, _Handler]] = {
    Step.ORDER: _ask_order,
    Step.AMOUNT: _ask_amount_again,
    Step.PHONE: _ask_phone_again,
    Step.CONFIRM: _confirm_again,
    Step.LANGUAGE: _ask_language,
    Step.PLAN: _offer_again,
}
