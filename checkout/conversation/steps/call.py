"""One event in hand: the flow's settings and lookups, the order in progress, the menu.

:class:`Call` carries the state, lookups, settings and clock of one event with helpers to
answer it; :class:`Draft` reads the order in progress from the stored state with its types
checked. Every step module builds on these.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from checkout.bnpl.rules import (
    PlanRules,
)
from checkout.conversation.model import (
    ConversationState,
    Effect,
    Step,
    Turn,
)
from checkout.domain.callbacks import (
    CANCEL,
)
from checkout.domain.phones import PhoneError, display_phone
from checkout.domain.records import Channel, Language, Order
from checkout.domain.replies import Button, Reply
from checkout.i18n.buttons import menu_buttons
from checkout.i18n.chat import chat_text


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

    @property
    def has_open_plans(self) -> bool:
        """Whether the customer has a plan still owing (USSD's menu offers "My plans")."""
        ...

    async def may_have_plan(self, order_reference: str, balance: int, phone: str | None) -> bool:
        """Whether this customer, paying from ``phone``, may have a plan for ``balance`` of the
        order (:class:`checkout.bnpl.eligibility.PlanEligibility`, the question every channel
        asks before showing "Pay later")."""
        ...


@dataclass(frozen=True, slots=True)
class Draft:
    """The order in progress, read from ``ConversationState.data`` with its types checked."""

    order_reference: str | None = None
    order_known: bool = False
    balance: int | None = None
    amount: int | None = None
    phone: str | None = None
    typing_amount: bool = False  # USSD: "Another amount" was chosen, so the amount is typed
    later: bool = False  # "Pay later" was chosen: once the number is known, a plan is offered

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> Draft:
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


@dataclass(frozen=True, slots=True)
class Call:
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
    def draft(self) -> Draft:
        return Draft.read(self.state.data)

    def say(self, key: str, **params: object) -> str:
        """A text in the customer's language; on USSD its ``ussd_`` wording, if it has one."""
        return chat_text(self.language, key, ussd=self.ussd, **params)

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


Handler = Callable[[Call, str], Awaitable[Turn]]


def greeting(call: Call) -> Reply:
    greeting = call.say("menu_greeting", business=call.settings.business_name)
    buttons = menu_buttons(call.language, channel=call.channel, plans=call.ctx.has_open_plans)
    return Reply(greeting, buttons=buttons)


def menu(call: Call, *before: Reply) -> Turn:
    """Back to idle with the greeting and the menu buttons, after ``before``."""
    return call.go(Step.IDLE, *before, greeting(call))


async def show_menu(call: Call, _: str) -> Turn:
    """The menu; while paying, the step and data stay so "Try again" and "Pay" still know it."""
    if call.state.step is Step.PAYING:
        return call.stay(greeting(call))
    return menu(call)


def displayable(phone: str | None) -> str | None:
    """``phone`` as customers read it, or None if there is none or it no longer validates."""
    if phone is None:
        return None
    try:
        return display_phone(phone)
    except PhoneError:
        return None
