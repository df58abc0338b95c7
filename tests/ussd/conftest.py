"""USSD fixtures: the checkout services on a real database, served over a real socket."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from checkout.channels.gsm import SCREEN_LENGTH, gsm7_length, is_gsm7
from checkout.channels.ussd.deferred_pushes import PushPolicy, PushWorker
from checkout.channels.ussd.sessions import RESUME_WINDOW, UssdService
from checkout.channels.ussd.telegram_copies import TelegramCopies
from checkout.conversation import flow
from checkout.conversation.open_orders import OpenOrders
from checkout.conversation.replying import Conversations, chat_conversations
from checkout.conversation.service import ConversationService
from checkout.domain.records import Language
from checkout.payments.limits import PushLimiter, PushLimits
from checkout.payments.settling.settle import SettlementService, StaffChat
from checkout.payments.start import PaymentService
from lipa_testing.clocks import SettableClock
from lipa_testing.gateway import FakeGateway
from storage.unit_of_work import SqlUnitOfWork
from webhook.app import WebhookConfig, create_app
from webhook.mpesa import SourceCheck
from webhook.ussd import ANSWER_SECONDS, USSD_EVENTS_PATH, USSD_PATH, UssdHandler

UowFactory = Callable[[], SqlUnitOfWork]
CALLER = "+254712345678"
CALLER_KEY = "254712345678"


def assert_fits(answer: str) -> None:
    """An answer a basic phone shows whole: CON/END, GSM alphabet only, one screen."""
    assert answer.startswith(("CON ", "END ")), answer
    assert is_gsm7(answer), answer
    assert gsm7_length(answer) <= SCREEN_LENGTH, (gsm7_length(answer), answer)


@dataclass
class UssdShop:
    """The USSD checkout around one database: services, a fake gateway and an HTTP client."""

    uow: UowFactory
    clock: SettableClock
    gateway: FakeGateway
    settlement: SettlementService
    payments: PaymentService
    chat: Conversations
    ussd: UssdService
    pushes: PushWorker
    client: TestClient[Any, Any]
    sessions: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def phone(self, number: str = CALLER) -> Phone:
        """A handset dialling the service code, in a new session."""
        return Phone(self.client, number, f"ATUid_{next(self.sessions):04d}")

    async def outbox(self) -> list[dict[str, Any]]:
        """Every queued message (claimed, so each is returned once)."""
        async with self.uow() as unit:
            claimed = await unit.outbox.claim_due(
                now=self.clock() + timedelta(days=1), limit=100, lease_seconds=1
            )
            await unit.commit()
        return [{"channel": m.channel.value, "chat": m.chat_key, **m.payload} for m in claimed]


class Phone:
    """One USSD session from a handset: keeps every input so far, as the gateway sends them."""

    def __init__(self, client: TestClient[Any, Any], number: str, session_id: str) -> None:
        self.client = client
        self.number = number
        self.session_id = session_id
        self.text: str | None = None

    async def dial(self) -> str:
        """Start the session (empty text): the first screen."""
        self.text = ""
        return await self.post(self.text)

    async def send(self, answer: str) -> str:
        """Answer the screen shown: the gateway appends the input to the text."""
        assert self.text is not None, "dial first"
        self.text = f"{self.text}*{answer}" if self.text else answer
        return await self.post(self.text)

    async def post(self, text: str, *, number: str | None = None) -> str:
        """POST one gateway request with ``text`` and return the answer (checked to fit)."""
        response = await self.client.post(
            USSD_PATH,
            data={
                "sessionId": self.session_id,
                "serviceCode": "*384*1042#",
                "phoneNumber": number or self.number,
                "networkCode": "63902",
                "text": text,
            },
        )
        assert response.status == 200
        assert response.content_type == "text/plain"
        answer = await response.text()
        assert_fits(answer)
        return answer

    async def end(self, status: str, *, error: str = "") -> int:
        """POST the gateway's end-of-session notice for this session."""
        response = await self.client.post(
            USSD_EVENTS_PATH,
            data={
                "date": "2026-11-28 09:03:00",
                "sessionId": self.session_id,
                "serviceCode": "*384*1042#",
                "networkCode": "63902",
                "phoneNumber": self.number,
                "status": status,
                "cost": "0.0",
                "durationInMillis": "25000",
                "hopsCount": "4",
                "input": self.text or "",
                "lastAppResponse": "CON ...",
                "errorMessage": error,
            },
        )
        return response.status


MakeShop = Callable[..., Awaitable[UssdShop]]


@pytest.fixture
async def make_shop(uow: UowFactory) -> AsyncIterator[MakeShop]:
    """Build USSD shops on the test database (stopped at the end)."""
    clients: list[TestClient[Any, Any]] = []

    async def make(
        *,
        business: str = "Wildwash",
        language: Language = "en",
        accept_unknown_orders: bool = True,
        seed: bool = True,
        push_delay: float = 0.0,
        sources: SourceCheck | None = None,
        limits: PushLimits | None = None,
        answer_seconds: float = ANSWER_SECONDS,
        resume_window: timedelta = RESUME_WINDOW,
        push_policy: PushPolicy | None = None,
    ) -> UssdShop:
        clock = SettableClock()
        gateway = FakeGateway()
        copies = TelegramCopies(clock=clock)
        settlement = SettlementService(
            uow, clock=clock, staff=StaffChat("-100"), listeners=[copies]
        )
        woken: list[PushWorker] = []
        payments = PaymentService(
            uow,
            gateway,
            settlement,
            clock=clock,
            push_delay=timedelta(seconds=push_delay),
            on_queued=lambda: woken[0].wake(),
            limiter=PushLimiter(limits) if limits is not None else None,
        )
        settings = flow.FlowSettings(
            business, accept_unknown_orders=accept_unknown_orders, default_language=language
        )
        orders = OpenOrders(uow, clock=clock, business_name=business)
        chat = chat_conversations(
            ConversationService(uow, payments, settings, clock=clock, orders=orders)
        )
        ussd = UssdService(
            uow, chat, clock=clock, default_language=language, resume_window=resume_window
        )
        pushes = PushWorker(
            uow, payments, clock=clock, copies=copies, policy=push_policy or PushPolicy()
        )
        woken.append(pushes)
        app = create_app(
            WebhookConfig(
                settlement=settlement,
                callback_secret="s",
                ussd=UssdHandler(ussd, sources, answer_seconds=answer_seconds),
            )
        )
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        if seed:
            async with uow() as unit:
                if await unit.orders.get("WW-1042") is None:
                    await unit.orders.create("WW-1042", 1500, known=True)
                    await unit.orders.create("WW-7", 900, known=True)
                    await unit.orders.record_paid("WW-7", 900)
                    await unit.orders.create("ABCDEFGHIJKL", 250_000, known=True)
                    await unit.commit()
        return UssdShop(uow, clock, gateway, settlement, payments, chat, ussd, pushes, client)

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def shop(make_shop: MakeShop) -> UssdShop:
    """A USSD shop in English with WW-1042 (KES 1,500 due), WW-7 (paid) and ABCDEFGHIJKL."""
    return await make_shop()
