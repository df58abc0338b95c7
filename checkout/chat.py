"""The conversation service: one event in, the customer's replies out, for any channel.

It loads the chat's state, runs the flow, stores the new state with a version check (two
updates for the same chat at once: the loser re-runs on the winner's state), then carries out
the flow's effects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from checkout import flow
from checkout.conversation import (
    ChangeLanguage,
    ConversationState,
    Event,
    RememberPhone,
    Reply,
    ReportHistory,
    ReportStatus,
    StartPayment,
    Turn,
)
from checkout.payments import PaymentService
from checkout.ports import Clock, OrderRepository, UnitOfWorkFactory
from checkout.records import Channel, Customer, Order

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class ConversationBusy(Exception):
    """The chat's state kept changing under us; the event was not applied."""


@dataclass(slots=True)
class _Lookups:
    """The flow's read-only view of the world during one event."""

    orders: OrderRepository
    saved_phone: str | None

    async def find_order(self, reference: str) -> Order | None:
        return await self.orders.get(reference)


class ConversationService:
    """Feeds events to the checkout flow and carries out what it decides."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        payments: PaymentService,
        settings: flow.FlowSettings,
        *,
        clock: Clock,
    ) -> None:
        self._units = units
        self._payments = payments
        self._settings = settings
        self._clock = clock

    async def handle(
        self,
        channel: Channel,
        chat_key: str,
        event: Event,
        *,
        telegram_user_id: int | None = None,
        phone: str | None = None,
    ) -> list[Reply]:
        """Apply one event from a chat and return what to show the customer."""
        customer, turn = await self._step(channel, chat_key, event, telegram_user_id, phone)
        replies = list(turn.replies)
        language = turn.state.language
        for effect in turn.effects:
            if isinstance(effect, StartPayment):
                replies += await self._payments.start(customer, language, effect)
            elif isinstance(effect, ReportStatus):
                replies += await self._payments.status(channel, chat_key, language)
            elif isinstance(effect, ReportHistory):
                replies += await self._payments.history(channel, chat_key, language, effect.limit)
        return replies

    async def _step(
        self,
        channel: Channel,
        chat_key: str,
        event: Event,
        telegram_user_id: int | None,
        phone: str | None,
    ) -> tuple[Customer, Turn]:
        for _attempt in range(MAX_ATTEMPTS):
            now = self._clock()
            async with self._units() as unit:
                customer = await unit.customers.get_or_create(
                    channel,
                    chat_key,
                    language=self._settings.default_language,
                    now=now,
                    telegram_user_id=telegram_user_id,
                    phone=phone,
                )
                stored = await unit.conversations.load(channel, chat_key)
                state = (
                    stored.state
                    if stored is not None
                    else ConversationState(language=customer.language, updated_at=now)
                )
                lookups = _Lookups(unit.orders, customer.phone)
                turn = await flow.handle(state, event, lookups, self._settings, now)
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
