"""What one event in a chat led to, for the chat presenter to put into words.

:meth:`checkout.conversation.service.ConversationService.answer` runs the flow and carries out
its effects; it returns an :class:`EventOutcome`: the flow's own replies (the dialogue's
prompts), where the conversation now stands, and what each effect came to, in order. The
effects' outcomes are the services' own records where they have one (a push asked for, the
open orders, a code's check); the records here only name what a look-up found.
:mod:`checkout.conversation.presenter` says all of it; nothing here is a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout.bnpl.news import PlanNews
from checkout.conversation.model import Reply, Step
from checkout.conversation.open_orders import OrderDeclined, OrdersListed
from checkout.domain.outcomes import PaymentRefused, PushNotSent, PushRefused, PushStarted
from checkout.domain.records import Language, Payment
from checkout.till.verify.status import Verified


@dataclass(frozen=True, slots=True)
class StatusFound:
    """``/status``: the chat's latest payment (None: it has none)."""

    latest: Payment | None


@dataclass(frozen=True, slots=True)
class HistoryFound:
    """``/history``: the chat's last payments, newest first."""

    payments: tuple[Payment, ...]


@dataclass(frozen=True, slots=True)
class OrderPaidFound:
    """An order the customer chose is paid in full: its last paid payment, if any."""

    order_reference: str
    last_paid: Payment | None


@dataclass(frozen=True, slots=True)
class CodeChecked:
    """A code the customer gave for ``order_reference`` ("I already paid"), as asked."""

    order_reference: str
    verified: Verified


@dataclass(frozen=True, slots=True)
class VerifyOff:
    """A code the customer gave while this business cannot ask M-Pesa about codes."""

    code: str


@dataclass(frozen=True, slots=True)
class PlanDeskNews:
    """What the plan desk did with a plan effect (an offer, a push, the plans listed, ...)."""

    news: tuple[PlanNews, ...]


# What one effect came to. A push asked for is the payments' own outcome (a push held back by
# a limit is the event's ``refused``), the open orders' answers are their service's.
EffectOutcome = (
    PushStarted
    | PushNotSent
    | PaymentRefused
    | StatusFound
    | HistoryFound
    | OrderPaidFound
    | CodeChecked
    | VerifyOff
    | PlanDeskNews
    | OrdersListed
    | OrderDeclined
)


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """What one event led to.

    ``prompts``: the flow's replies for the event (the dialogue, said by the flow itself);
    ``effects``: what each effect the flow asked for came to, in the flow's order;
    ``refused``: a push the limits held back, which each channel says after everything else
    (:func:`checkout.i18n.payments.refusals.refusal_text`, shorter on USSD).
    """

    prompts: tuple[Reply, ...] = ()
    step: Step = Step.IDLE
    language: Language = "en"
    refused: PushRefused | None = None
    effects: tuple[EffectOutcome, ...] = ()
