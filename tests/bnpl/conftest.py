"""Buy-Now-Pay-Later fixtures: the services wired as in ``lipa.app``, a fake gateway, a clock.

The clock is moved by hand, so a plan's weeks run in milliseconds; every service reads the
same database (SQLite and PostgreSQL, through ``uow``), so a "restart" is a new :class:`Shop`
on the same database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from checkout.bnpl.collect import CollectReport, InstallmentCollector
from checkout.bnpl.desk import PlanDesk
from checkout.bnpl.ledger import PlanLedger
from checkout.bnpl.pushes import PlanPusher
from checkout.bnpl.records import InstallmentStatus, NewPlan, Plan, PlanStatus
from checkout.bnpl.rules import PAY_LATER, PlanRules, schedule
from checkout.conversation.model import Button, ButtonPressed, Command, Event, Reply, TextMessage
from checkout.conversation.replying import Conversations, chat_conversations
from checkout.conversation.service import ConversationService
from checkout.conversation.steps.call import FlowSettings
from checkout.domain.records import Channel, Language, Order, PaymentStatus
from checkout.domain.time import NAIROBI
from checkout.payments.gateway import PaymentResult
from checkout.payments.limits import PushLimiter, PushLimits
from checkout.payments.settling.settle import SettlementService, SettleOutcome, StaffChat
from checkout.payments.start import PaymentService
from lipa_testing.clocks import SettableClock
from lipa_testing.gateway import FakeGateway, failed, paid
from storage.unit_of_work import SqlUnitOfWork

# The real service on real sockets, for the end-to-end test.
from tests.e2e.conftest import sqlite_url, start_service, telegram

__all__ = ["sqlite_url", "start_service", "telegram"]

UowFactory = Callable[[], SqlUnitOfWork]
CHAT = "42"
STAFF = "-100"
ORDER = "WW-1042"
BALANCE = 3000
# Saturday 28 November 2026, 12:00 in Nairobi.
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
RULES = PlanRules(
    deposit_percent=25,
    options=(2, 3, 4),
    interval_days=7,
    collection_hour=10,
    min_order=500,
    max_outstanding=20_000,
    require_paid_history=False,
)


def nairobi(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A Nairobi wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=NAIROBI)


def buttons(reply: Reply) -> list[Button]:
    """Every button of a reply, row by row."""
    return [button for row in reply.buttons for button in row]


def data_of(reply: Reply) -> list[str]:
    """The callback data of every button of a reply."""
    return [button.data for button in buttons(reply)]


@dataclass
class Shop:
    """The services of one process around the test database."""

    uow: UowFactory
    clock: SettableClock
    gateway: FakeGateway
    settlement: SettlementService
    payments: PaymentService
    desk: PlanDesk
    chat: Conversations
    collector: InstallmentCollector

    async def say(self, *events: Event, chat: str = CHAT) -> list[Reply]:
        """Feed events to the chat; the replies to the last one."""
        replies: list[Reply] = []
        for event in events:
            replies = await self.chat.handle(Channel.TELEGRAM, chat, event, telegram_user_id=42)
        return replies

    async def messages(self) -> list[dict[str, Any]]:
        """The outbox messages queued since the last call (they are marked sent)."""
        async with self.uow() as unit:
            claimed = await unit.outbox.claim_due(
                now=self.clock() + timedelta(days=400), limit=500, lease_seconds=1
            )
            for message in claimed:
                await unit.outbox.mark_sent(message.id, now=self.clock())
            await unit.commit()
        return [{"chat": message.chat_key, **message.payload} for message in claimed]

    async def customer_messages(self) -> list[dict[str, Any]]:
        """The new outbox messages for the customer's chat."""
        return [message for message in await self.messages() if message["chat"] == CHAT]

    async def settle_last(self, code: int = 0, *, chat: str = CHAT) -> SettleOutcome:
        """Answer the chat's latest pending push with ``code`` (0: paid, the amount asked)."""
        async with self.uow() as unit:
            recent = await unit.payments.recent_for_chat(Channel.TELEGRAM, chat, 100)
        pending = next(
            p for p in recent if p.checkout_request_id and p.status is PaymentStatus.PENDING
        )
        request = pending.checkout_request_id
        assert request is not None
        result: PaymentResult = (
            paid(request, pending.amount, receipt=f"RCPT{pending.id}")
            if code == 0
            else failed(request, code)
        )
        return await self.settlement.settle(result, source="callback")

    async def collect(self, at: datetime | None = None) -> CollectReport:
        """One collection pass at ``at`` (the clock moves there first)."""
        if at is not None:
            self.clock.now = at
        return await self.collector.run_once()

    async def plan(self, plan_id: int = 1) -> Plan:
        async with self.uow() as unit:
            found = await unit.plans.get(plan_id)
        assert found is not None
        return found

    async def order(self, reference: str = ORDER) -> Order:
        async with self.uow() as unit:
            found = await unit.orders.get(reference)
        assert found is not None
        return found

    def pushed_amounts(self) -> list[object]:
        return [push["amount"] for push in self.gateway.pushes]


def make_shop(
    uow: UowFactory,
    *,
    clock: SettableClock | None = None,
    rules: PlanRules = RULES,
    offering: bool = True,
    gateway: FakeGateway | None = None,
    limits: PushLimits | None = None,
    ussd_code: str = "",
    sms: bool = False,
) -> Shop:
    """The services wired as ``lipa.app.open_lipa`` wires them (with ``limits``, limited)."""
    clock = clock or SettableClock()
    gateway = gateway or FakeGateway()
    staff = StaffChat(STAFF)
    ledger = PlanLedger(clock=clock, rules=rules, offering=offering, staff=staff)
    settlement = SettlementService(uow, clock=clock, staff=staff, outcome_hook=ledger)
    limiter = PushLimiter(limits, staff=staff) if limits is not None else None
    payments = PaymentService(uow, gateway, settlement, clock=clock, limiter=limiter)
    pusher = PlanPusher(uow, payments, clock=clock)
    desk = PlanDesk(uow, pusher, ledger, clock=clock, offering=offering)
    flow_settings = FlowSettings("Wildwash", plans=rules if offering else None)
    chat = chat_conversations(
        ConversationService(uow, payments, flow_settings, clock=clock, plans=desk)
    )
    collector = InstallmentCollector(uow, pusher, ledger, clock=clock, ussd_code=ussd_code, sms=sms)
    return Shop(uow, clock, gateway, settlement, payments, desk, chat, collector)


@pytest.fixture
async def shop(uow: UowFactory) -> Shop:
    """A shop with order WW-1042 of KES 3,000 to pay."""
    made = make_shop(uow)
    async with uow() as unit:
        await unit.orders.create(ORDER, BALANCE, known=True)
        await unit.commit()
    return made


async def seed_active_plan(
    uow: UowFactory,
    *,
    reference: str,
    chat_key: str,
    phone: str,
    taken_at: datetime,
    channel: Channel = Channel.TELEGRAM,
    language: Language = "en",
) -> None:
    """Store an order of KES 3,000 with an active plan of 3 taken at ``taken_at``, deposit paid."""
    option = schedule(BALANCE, RULES, 3, taken_at)
    assert option is not None
    async with uow() as unit:
        customer = await unit.customers.get_or_create(
            channel, chat_key, language=language, now=taken_at
        )
        await unit.orders.create(reference, BALANCE, known=True)
        new = NewPlan(reference, customer, language, phone, option)
        plan = await unit.plans.create(new, now=taken_at)
        await unit.plans.set_status(plan.id, PlanStatus.ACTIVE, now=taken_at)
        for item in plan.installments:
            if item.number == 0:
                item = replace(item, status=InstallmentStatus.PAID, paid_at=taken_at)
            else:
                remind = item.due_at - timedelta(days=1)
                item = replace(item, next_attempt_at=item.due_at, remind_at=remind)
            await unit.plans.save_installment(item)
        await unit.commit()


async def offer(shop: Shop, phone: str = "0712 345 678") -> Reply:
    """The customer asks to pay WW-1042 later and gives the paying number: the offer."""
    await shop.say(Command("start", f"pay_{ORDER}"), ButtonPressed(PAY_LATER))
    replies = await shop.say(TextMessage(phone))
    return replies[-1]


async def take_plan(shop: Shop, count: int = 3, *, pay_deposit: bool = True) -> list[Reply]:
    """Take the plan of ``count`` installments; pay its deposit unless told not to."""
    shown = await offer(shop)
    choice = next(b.data for b in buttons(shown) if b.data.startswith(f"plan:{count}:"))
    replies = await shop.say(ButtonPressed(choice))
    if pay_deposit:
        await shop.settle_last(0)
    return replies
