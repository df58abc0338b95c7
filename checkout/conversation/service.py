"""The conversation service: one event in, what it led to out, for any channel.

It loads the chat's state, runs the flow, stores the new state with a version check (two
updates for the same chat at once: the loser re-runs on the winner's state), then carries out
the flow's effects. On USSD, which must answer within a second and whose phone cannot show a
prompt while the session is open, effects never wait for Daraja: a push is queued for after
the session and a status report tells what is stored.

It returns what happened (:class:`checkout.conversation.outcomes.EventOutcome`), never a
sentence: :mod:`checkout.conversation.presenter` says it, and
:class:`checkout.conversation.replying.Conversations` puts the two together for the channels.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, Unpack
from weakref import WeakValueDictionary

from checkout.bnpl.desk import PlanDesk
from checkout.bnpl.eligibility import PlanEligibility
from checkout.bnpl.ports import PlanUnitOfWork, with_plans
from checkout.bnpl.records import PlanStatus
from checkout.bnpl.rules import PlanRules
from checkout.conversation import flow
from checkout.conversation.model import (
    ChangeLanguage,
    ConversationState,
    DeclineOrder,
    Event,
    PlanEffect,
    RememberPhone,
    ReportHistory,
    ReportOrderPaid,
    ReportStatus,
    ShowOrders,
    StartPayment,
    Turn,
    VerifyPayment,
)
from checkout.conversation.open_orders import OpenOrders
from checkout.conversation.outcomes import (
    CodeChecked,
    EffectOutcome,
    EventOutcome,
    HistoryFound,
    OrderPaidFound,
    PlanDeskNews,
    StatusFound,
    VerifyOff,
)
from checkout.conversation.ports import ConversationUnitOfWork, ConversationUnitOfWorkFactory
from checkout.conversation.resume import Unfinished, unfinished
from checkout.conversation.steps.call import FlowSettings
from checkout.domain.outcomes import PushRefused
from checkout.domain.records import Channel, Customer, Language, Order
from checkout.domain.time import Clock
from checkout.payments.limits import sender_of
from checkout.payments.ports import OrderRepository
from checkout.payments.start import PaymentService
from checkout.till.verify.service import VerifyService

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Channels whose answer cannot wait for Daraja: pushes are queued, status is what is stored.
ANSWER_AT_ONCE = frozenset({Channel.USSD})


class ConversationBusy(Exception):
    """The chat's state kept changing under us; the event was not applied."""


@dataclass(slots=True)
class _Lookups:
    """The flow's read-only view of the world during one event."""

    orders: OrderRepository
    saved_phone: str | None
    has_open_plans: bool = False
    customer_id: int | None = None
    now: datetime | None = None
    # The plans' view of this event's unit and the eligibility question (None: no plans).
    plans: PlanUnitOfWork | None = None
    eligibility: PlanEligibility | None = None

    async def find_order(self, reference: str) -> Order | None:
        return await self.orders.get(reference)

    async def may_have_plan(self, order_reference: str, balance: int, phone: str | None) -> bool:
        if self.plans is None or self.eligibility is None or self.now is None:
            return False
        refused = await self.eligibility.refusal(
            self.plans,
            customer_id=self.customer_id,
            phone=phone,
            order_reference=order_reference,
            balance=balance,
            now=self.now,
        )
        return refused is None


class Sender(TypedDict, total=False):
    """Who sent an event, as the channel knows them (kept on the customer record); a channel
    leaves out what it does not know. ``name`` is the sender's Telegram first name."""

    telegram_user_id: int | None
    phone: str | None
    name: str | None


class ConversationService:
    """Feeds events to the checkout flow and carries out what it decides."""

    def __init__(
        self,
        units: ConversationUnitOfWorkFactory,
        payments: PaymentService,
        settings: FlowSettings,
        *,
        clock: Clock,
        plans: PlanDesk | None = None,
        orders: OpenOrders | None = None,
        verify: VerifyService | None = None,
    ) -> None:
        self._units = units
        self._payments = payments
        self._settings = settings
        self._clock = clock
        # Buy-Now-Pay-Later: offers, acceptance, /plans and the buttons on a plan.
        self._plans = plans
        # /orders and "Not mine".
        self._orders = orders
        # "I already paid": codes checked with M-Pesa (None: no initiator configured).
        self._verify = verify
        # One event at a time per chat in this process; the version check covers the rest.
        self._chat_locks: WeakValueDictionary[tuple[Channel, str], asyncio.Lock] = (
            WeakValueDictionary()
        )

    @property
    def plan_rules(self) -> PlanRules | None:
        """The plan desk's rules, which its offers and refusals are said by (None: no plans)."""
        return self._plans.rules if self._plans is not None else None

    @property
    def business_name(self) -> str | None:
        """The business's name, which the answer to "Not mine" says was told (None: no
        /orders)."""
        return self._orders.business_name if self._orders is not None else None

    async def answer(
        self,
        channel: Channel,
        chat_key: str,
        event: Event,
        **who: Unpack[Sender],
    ) -> EventOutcome:
        """Apply one event from a chat: the flow's prompts, the step the conversation is now
        in, and what each effect came to (:mod:`checkout.conversation.presenter` says it).

        ``who`` sent it is remembered on the customer record (the name for the staff)."""
        lock = self._chat_locks.setdefault((channel, chat_key), asyncio.Lock())
        async with lock:
            customer, turn = await self._step(channel, chat_key, event, who)
        language = turn.state.language
        at_once = channel in ANSWER_AT_ONCE
        refused: PushRefused | None = None
        effects: list[EffectOutcome] = []
        for effect in turn.effects:
            if isinstance(effect, StartPayment):
                # A push the customer asked for: the push limits apply to it.
                sender = sender_of(customer)
                started = await (
                    self._payments.queue(customer, language, effect, sender=sender)
                    if at_once
                    else self._payments.start(customer, language, effect, sender=sender)
                )
                if isinstance(started, PushRefused):
                    refused = started
                else:
                    effects.append(started)
            elif isinstance(effect, ReportStatus):
                latest = await self._payments.status(channel, chat_key, ask_daraja=not at_once)
                effects.append(StatusFound(latest))
            elif isinstance(effect, ReportHistory):
                payments = await self._payments.history(channel, chat_key, effect.limit)
                effects.append(HistoryFound(tuple(payments)))
            elif isinstance(effect, ReportOrderPaid):
                last = await self._payments.last_paid(effect.order_reference)
                effects.append(OrderPaidFound(effect.order_reference, last))
            elif isinstance(effect, VerifyPayment):
                effects.append(await self._verify_code(customer, language, effect, at_once))
            elif isinstance(effect, PlanEffect) and self._plans is not None:
                news = await self._plans.handle(customer, language, effect, at_once=at_once)
                effects.append(PlanDeskNews(tuple(news)))
            elif isinstance(effect, ShowOrders | DeclineOrder) and self._orders is not None:
                effects.append(await self._orders.handle(customer, effect))
        return EventOutcome(turn.replies, turn.state.step, language, refused, tuple(effects))

    async def unfinished(self, channel: Channel, chat_key: str) -> Unfinished | None:
        """The order a chat left half paid, if it can be carried on with (see
        :mod:`checkout.conversation.resume`); reads only."""
        async with self._units() as unit:
            stored = await unit.conversations.load(channel, chat_key)
            if stored is None:
                return None
            reference = stored.state.data.get("order_reference")
            order = await unit.orders.get(reference) if isinstance(reference, str) else None
        return unfinished(
            stored.state, order, now=self._clock(), idle_timeout=self._settings.idle_timeout
        )

    async def _has_open_plans(self, unit: ConversationUnitOfWork, customer: Customer) -> bool:
        """Whether a USSD caller has a plan to show under "My plans" (asked on USSD only:
        the chats list ``/plans`` among their commands)."""
        if customer.channel is not Channel.USSD or self._plans is None:
            return False
        plans = await with_plans(unit).plans.open_for_customer(customer.id)
        return any(plan.status is PlanStatus.PENDING_DEPOSIT or plan.next_unpaid for plan in plans)

    async def _verify_code(
        self, customer: Customer, language: Language, effect: VerifyPayment, at_once: bool
    ) -> CodeChecked | VerifyOff:
        """Ask M-Pesa about the code (queued for the next pass on channels that cannot wait)."""
        if self._verify is None:
            return VerifyOff(effect.code)
        verified = await self._verify.ask_for_customer(
            customer, language, effect.order_reference, effect.code, send_now=not at_once
        )
        return CodeChecked(effect.order_reference, verified)

    async def _step(
        self,
        channel: Channel,
        chat_key: str,
        event: Event,
        who: Sender,
    ) -> tuple[Customer, Turn]:
        for _attempt in range(MAX_ATTEMPTS):
            now = self._clock()
            async with self._units() as unit:
                customer = await unit.customers.get_or_create(
                    channel,
                    chat_key,
                    language=self._settings.default_language,
                    now=now,
                    **who,
                )
                stored = await unit.conversations.load(channel, chat_key)
                state = (
                    stored.state
                    if stored is not None
                    else ConversationState(language=customer.language, updated_at=now)
                )
                lookups = _Lookups(
                    unit.orders,
                    customer.phone,
                    await self._has_open_plans(unit, customer),
                    customer.id,
                    now,
                    with_plans(unit) if self._plans is not None else None,
                    self._plans.eligibility if self._plans is not None else None,
                )
                turn = await flow.handle(
                    state, event, lookups, self._settings, now, channel=channel
                )
                saved = await unit.conversations.save(
                    channel,
                    chat_key,
                    turn.state,
                    expected_version=stored.version if stored is not None else None,
                    now=now,
                )
                if not saved:
                    await unit.rollback()
                    continue
                for effect in turn.effects:
                    if isinstance(effect, ChangeLanguage):
                        await unit.customers.set_language(customer.id, effect.language, now=now)
                    elif isinstance(effect, RememberPhone):
                        await unit.customers.set_phone(customer.id, effect.phone, now=now)
                await unit.commit()
                return customer, turn
        log.warning("conversation %s:%s kept changing; event dropped", channel.value, chat_key)
        raise ConversationBusy(f"{channel.value}:{chat_key}")
