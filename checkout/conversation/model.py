"""The vocabulary of a conversation: events in, replies and effects out, and the stored state.

Every channel (Telegram, USSD, the terminal demo) turns what the customer did into an
:data:`Event`, feeds it to the flow, and renders the :class:`Reply` objects it gets back. The
flow never performs I/O itself; it asks for work through :data:`Effect` values that the
checkout service carries out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from checkout.bnpl.requests import AcceptPlan as AcceptPlan
from checkout.bnpl.requests import ActOnPlan as ActOnPlan
from checkout.bnpl.requests import OfferPlan as OfferPlan
from checkout.bnpl.requests import PlanEffect as PlanEffect
from checkout.bnpl.requests import ShowPlans as ShowPlans
from checkout.domain.records import Language
from checkout.domain.replies import Button as Button
from checkout.domain.replies import Reply as Reply
from checkout.domain.replies import reply_from_payload as reply_from_payload
from checkout.domain.replies import reply_to_payload as reply_to_payload
from checkout.payments.requests import StartPayment as StartPayment

# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextMessage:
    """The customer typed free text."""

    text: str


@dataclass(frozen=True, slots=True)
class Command:
    """The customer sent ``/name argument`` (``/start pay_WW-1042`` → name ``start``)."""

    name: str
    argument: str = ""


@dataclass(frozen=True, slots=True)
class ContactShared:
    """The customer shared a contact; ``is_own`` tells whether it is the sender's own number."""

    phone: str
    is_own: bool


@dataclass(frozen=True, slots=True)
class ButtonPressed:
    """The customer pressed an inline button carrying ``data`` (at most 64 bytes)."""

    data: str


Event = TextMessage | Command | ContactShared | ButtonPressed

# --- effects -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeLanguage:
    """Remember the customer's language."""

    language: Language


@dataclass(frozen=True, slots=True)
class RememberPhone:
    """Remember the customer's phone (normalised) for a one-tap choice next time."""

    phone: str


@dataclass(frozen=True, slots=True)
class ReportStatus:
    """Tell the customer the state of their latest payment (asking Daraja if still pending)."""


@dataclass(frozen=True, slots=True)
class ReportHistory:
    """Show the customer their last payments with receipt numbers."""

    limit: int = 10


@dataclass(frozen=True, slots=True)
class ReportOrderPaid:
    """Tell the customer the order is paid in full, with the receipt of its last payment."""

    order_reference: str


@dataclass(frozen=True, slots=True)
class VerifyPayment:
    """ "I already paid": ask M-Pesa whether ``code`` paid ``order_reference`` (and credit it)."""

    order_reference: str
    code: str


@dataclass(frozen=True, slots=True)
class ShowOrders:
    """Show the customer's open orders (unpaid, part-paid, on a plan) with "Pay"."""


@dataclass(frozen=True, slots=True)
class DeclineOrder:
    """The customer says an unpaid order the business made for them is "Not mine"."""

    order_reference: str


OrdersEffect = ShowOrders | DeclineOrder
Effect = (
    StartPayment
    | ChangeLanguage
    | RememberPhone
    | ReportStatus
    | ReportHistory
    | ReportOrderPaid
    | VerifyPayment
    | PlanEffect
    | OrdersEffect
)

# --- state ---------------------------------------------------------------------------------


class Step(StrEnum):
    """Where the customer is in the checkout."""

    IDLE = "idle"
    ORDER = "order"  # asked for the order number
    AMOUNT = "amount"  # asked for the amount (or to press "Pay KES <balance>")
    PHONE = "phone"  # asked for the paying phone number
    CONFIRM = "confirm"  # shown "Pay KES … for order … from …?"
    PAYING = "paying"  # the push was requested; waiting for the outcome
    LANGUAGE = "language"  # asked to choose a language
    PLAN = "plan"  # shown a Buy-Now-Pay-Later offer to choose from
    CODE = "code"  # "I already paid": asked for the M-Pesa code of the payment


@dataclass(slots=True)
class ConversationState:
    """What the flow remembers about one chat between events; stored as JSON.

    ``data`` holds the order in progress: ``order_reference`` (str), ``order_known`` (bool),
    ``balance`` (int, for known orders), ``amount`` (int), ``phone`` (normalised str), and
    ``later`` (bool) once "Pay later" was chosen.
    """

    step: Step = Step.IDLE
    language: Language = "en"
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict of the state (``updated_at`` is stored in its own column)."""
        return {"step": self.step.value, "language": self.language, "data": dict(self.data)}

    @classmethod
    def from_json(
        cls, raw: dict[str, Any], *, updated_at: datetime | None = None
    ) -> ConversationState:
        """Rebuild a state from :meth:`to_json` output; unknown steps fall back to idle."""
        try:
            step = Step(raw.get("step", Step.IDLE))
        except ValueError:
            step = Step.IDLE
        language = raw.get("language", "en")
        if language not in ("en", "sw"):
            language = "en"
        data = raw.get("data")
        return cls(
            step=step,
            language=language,
            data=dict(data) if isinstance(data, dict) else {},
            updated_at=updated_at,
        )


@dataclass(frozen=True, slots=True)
class Turn:
    """What the flow decided for one event: the new state, replies to show, effects to run."""

    state: ConversationState
    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = ()
