"""Faults injected on real sockets: duplicated and lost callbacks, Daraja and Telegram outages.

Issue #5's fault tests 1-4 and 6 (the process kill is in test_process_kill.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from checkout.conversation.model import StartPayment
from checkout.domain.outcomes import PushRefused
from checkout.domain.records import Channel, Customer, PaymentStatus
from checkout.domain.replies import Reply
from checkout.i18n.payments.messages import start_replies
from daraja import parse_callback
from daraja.errors import CallbackError
from daraja.simulator.faults import Endpoint, Fault
from daraja.simulator.phones import SimulatorPhone
from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import SimulatorSettings
from lipa.app import Lipa, utc_now
from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram
from storage.models import OutboxRow, PaymentRow
from tests.e2e.callback_relay import CallbackRelay
from tests.e2e.conftest import StartService, service_settings

STAFF_CHAT = -1001
FIRST_CHAT = 7000


@pytest.fixture
async def simulator() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(SimulatorSettings(callback_delay=0.1, seed=5)) as server:
        yield server


@pytest.fixture
async def relay() -> AsyncIterator[CallbackRelay]:
    relay = CallbackRelay()
    await relay.start()
    yield relay
    await relay.stop()


def paying_phone(number: int) -> str:
    """A phone the simulator's customer pays from (any non-test number pays by default)."""
    return f"2547110{number:05d}"


async def start_payments(service: Service, phones: Sequence[str], amount: int = 100) -> None:
    """Start one payment per phone, each from its own Telegram chat, for its own order."""
    lipa = service.lipa
    assert lipa is not None
    customers = []
    async with lipa.units() as unit:
        for index in range(len(phones)):
            await unit.orders.create(f"F-{index}", amount, known=True)
            customers.append(
                await unit.customers.get_or_create(
                    Channel.TELEGRAM, str(FIRST_CHAT + index), language="en", now=utc_now()
                )
            )
        await unit.commit()
    await asyncio.gather(
        *(
            lipa.payments.start(
                customer, "en", StartPayment(f"F-{index}", amount, phone, order_known=True)
            )
            for index, (customer, phone) in enumerate(zip(customers, phones, strict=True))
        )
    )


async def started_replies(lipa: Lipa, customer: Customer, request: StartPayment) -> list[Reply]:
    """Ask the payment service for a push, and what the chat says of it."""
    started = await lipa.payments.start(customer, "en", request)
    assert not isinstance(started, PushRefused)  # no sender: no push limit applies
    return start_replies("en", started)


async def wait_until_settled_and_sent(service: Service, within: float = 30.0) -> None:
    """Wait until no payment is pending and every outbox message is delivered."""
    lipa = service.lipa
    assert lipa is not None
    async with asyncio.timeout(within):
        while True:
            async with lipa.engine.connect() as connection:
                pending = await connection.scalar(
                    select(func.count()).where(PaymentRow.status == "pending")
                )
                unsent = await connection.scalar(
                    select(func.count()).where(
                        OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None)
                    )
                )
            if pending == 0 and unsent == 0:
                return
            await asyncio.sleep(0.1)


async def statuses(service: Service) -> dict[str, PaymentStatus]:
    lipa = service.lipa
    assert lipa is not None
    async with lipa.engine.connect() as connection:
        rows = await connection.execute(select(PaymentRow.phone, PaymentRow.status))
        return {phone: PaymentStatus(status) for phone, status in rows}


async def wait_until_all(service: Service, status: PaymentStatus, within: float) -> None:
    """Wait until every payment is in ``status`` (the caller asserts it afterwards)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while True:
                if set((await statuses(service)).values()) == {status}:
                    return
                await asyncio.sleep(0.1)


def assert_each_told_once(telegram: FakeTelegram, count: int) -> None:
    """Each customer got one outcome; a receipt follows only an outcome that promised it.

    A callback that reaches the service after the reconciler's query settled the payment
    brings the receipt the query lacked: one more message, never a second outcome.
    """
    for index in range(count):
        texts = telegram.texts_to(FIRST_CHAT + index)
        assert texts, index
        outcome, *rest = texts
        if rest:
            assert "M-Pesa receipt to follow." in outcome, (index, texts)
            (receipt,) = rest
            assert receipt.startswith("M-Pesa receipt "), (index, texts)
    staff = "\n".join(telegram.texts_to(STAFF_CHAT))
    for index in range(count):
        assert len(re.findall(rf"\bF-{index}\b", staff)) == 1, index


async def test_every_callback_ten_times_to_two_processes_settles_and_tells_once(
    telegram: FakeTelegram,
    start_service: StartService,
    simulator: SimulatorServer,
    relay: CallbackRelay,
    pg_database_url: str,
) -> None:
    relay.copies = 10
    first = await start_service(
        service_settings(
            telegram,
            pg_database_url,
            mode="webhook",
            mpesa_api_base_url=simulator.base_url,
            public_base_url=relay.url,
        )
    )
    second = await start_service(
        service_settings(
            telegram, pg_database_url, mode="webhook", mpesa_api_base_url=simulator.base_url
        )
    )
    relay.targets = [first.base_url, second.base_url]
    phones = [paying_phone(n) for n in range(24)] + [
        SimulatorPhone.CANCELS.value,
        SimulatorPhone.INSUFFICIENT_BALANCE.value,
    ]
    await start_payments(first, phones)
    await wait_until_settled_and_sent(first)
    await asyncio.sleep(0.5)  # let any stray duplicate finish (none may arrive)

    assert relay.received == len(phones)
    assert relay.statuses.count(200) == 10 * len(phones)
    found = await statuses(first)
    assert sum(status is PaymentStatus.PAID for status in found.values()) == 24
    assert found[SimulatorPhone.CANCELS.value] is PaymentStatus.CANCELLED
    assert_each_told_once(telegram, len(phones))
    lipa = first.lipa
    assert lipa is not None
    async with lipa.units() as unit:
        order = await unit.orders.get("F-0")
    assert order is not None
    assert order.amount_paid == 100  # ten callbacks, one payment


async def test_lost_callbacks_are_settled_by_reconciliation_with_the_right_outcome(
    telegram: FakeTelegram,
    start_service: StartService,
    simulator: SimulatorServer,
    relay: CallbackRelay,
    database_url: str,
) -> None:
    relay.loss = 0.3
    service = await start_service(
        service_settings(
            telegram,
            database_url,
            mode="polling",
            mpesa_api_base_url=simulator.base_url,
            public_base_url=relay.url,
            reconcile_after_seconds=0.5,
            payment_expiry_seconds=60,
        )
    )
    relay.targets = [service.base_url]
    expected = {paying_phone(n): PaymentStatus.PAID for n in range(17)}
    expected[SimulatorPhone.CANCELS.value] = PaymentStatus.CANCELLED
    expected[SimulatorPhone.INSUFFICIENT_BALANCE.value] = PaymentStatus.FAILED
    expected[SimulatorPhone.WRONG_PIN.value] = PaymentStatus.FAILED
    await start_payments(service, list(expected))
    await wait_until_settled_and_sent(service)
    assert relay.dropped >= 3
    assert await statuses(service) == expected
    assert_each_told_once(telegram, len(expected))


async def test_a_callback_later_than_the_query_gives_the_customer_the_receipt(
    telegram: FakeTelegram,
    start_service: StartService,
    simulator: SimulatorServer,
    relay: CallbackRelay,
    database_url: str,
) -> None:
    """The query settles the payment (no receipt); the late callback brings the receipt."""
    relay.delay = 2.0
    service = await start_service(
        service_settings(
            telegram,
            database_url,
            mode="polling",
            mpesa_api_base_url=simulator.base_url,
            public_base_url=relay.url,
            reconcile_after_seconds=0.3,
            payment_expiry_seconds=60,
        )
    )
    relay.targets = [service.base_url]
    await start_payments(service, [paying_phone(1)])
    await telegram.wait_for_message_to(FIRST_CHAT, "for your payment of", timeout=20)
    (prompt,) = simulator.daraja.prompts.values()
    receipt = prompt.receipt_number
    assert receipt is not None
    paid, receipt_message = telegram.texts_to(FIRST_CHAT)
    assert "M-Pesa receipt to follow." in paid
    assert receipt_message == (
        f"M-Pesa receipt {receipt} for your payment of KES 100 for order F-0."
    )
    lipa = service.lipa
    assert lipa is not None
    async with lipa.engine.connect() as connection:
        stored = (
            await connection.execute(
                select(PaymentRow.status, PaymentRow.receipt_number, PaymentRow.reported_amount)
            )
        ).one()
    assert tuple(stored) == ("paid", receipt, 100)
    await wait_until_settled_and_sent(service)
    assert len(telegram.texts_to(FIRST_CHAT)) == 2


class TestDarajaOutages:
    async def _service(
        self,
        telegram: FakeTelegram,
        start_service: StartService,
        simulator: SimulatorServer,
        url: str,
        **extra: Any,
    ) -> Service:
        values: dict[str, Any] = {
            "mpesa_api_base_url": simulator.base_url,
            "mpesa_timeout_seconds": 1.0,
            "reconcile_after_seconds": 0.5,
            "payment_expiry_seconds": 30,
            **extra,
        }
        return await start_service(service_settings(telegram, url, mode="polling", **values))

    async def test_a_busy_daraja_gets_a_plain_message_and_nothing_is_paid(
        self,
        telegram: FakeTelegram,
        start_service: StartService,
        simulator: SimulatorServer,
        sqlite_url: str,
    ) -> None:
        service = await self._service(telegram, start_service, simulator, sqlite_url)
        simulator.daraja.faults.add(Endpoint.STK_PUSH, Fault.SYSTEM_BUSY, times=None)
        lipa = service.lipa
        assert lipa is not None
        async with lipa.units() as unit:
            await unit.orders.create("F-0", 100, known=True)
            customer = await unit.customers.get_or_create(
                Channel.TELEGRAM, "7000", language="en", now=utc_now()
            )
            await unit.commit()
        replies = await started_replies(
            lipa, customer, StartPayment("F-0", 100, paying_phone(1), order_known=True)
        )
        assert "busy" in replies[0].text.lower()
        assert "500.003" not in replies[0].text
        assert (await statuses(service))[paying_phone(1)] is PaymentStatus.FAILED
        simulator.daraja.faults.clear()
        replies = await started_replies(
            lipa, customer, StartPayment("F-0", 100, paying_phone(1), order_known=True)
        )
        assert "PIN" in replies[0].text
        await wait_until_settled_and_sent(service)
        async with lipa.units() as unit:
            order = await unit.orders.get("F-0")
        assert order is not None
        assert order.amount_paid == 100

    async def test_a_push_whose_answer_never_comes_is_matched_by_its_callback(
        self,
        telegram: FakeTelegram,
        start_service: StartService,
        simulator: SimulatorServer,
        sqlite_url: str,
    ) -> None:
        service = await self._service(telegram, start_service, simulator, sqlite_url)
        simulator.daraja.faults.add(Endpoint.STK_PUSH, Fault.ACCEPT_THEN_HANG)
        await start_payments(service, [paying_phone(2)])
        await wait_until_settled_and_sent(service)
        assert (await statuses(service))[paying_phone(2)] is PaymentStatus.PAID
        assert "receipt" in telegram.texts_to(FIRST_CHAT)[0]

    async def test_a_push_lost_in_a_server_error_expires_politely(
        self,
        telegram: FakeTelegram,
        start_service: StartService,
        simulator: SimulatorServer,
        sqlite_url: str,
    ) -> None:
        service = await self._service(
            telegram,
            start_service,
            simulator,
            sqlite_url,
            reconcile_after_seconds=0.2,
            payment_expiry_seconds=1.0,
        )
        simulator.daraja.faults.add(Endpoint.STK_PUSH, Fault.SERVER_ERROR)
        await start_payments(service, [paying_phone(3)])
        await wait_until_settled_and_sent(service)
        assert (await statuses(service))[paying_phone(3)] is PaymentStatus.EXPIRED
        (message,) = telegram.sent_to(FIRST_CHAT)
        assert message.callback_data[0] == "retry"
        assert message.callback_data[1].startswith("paid:")

    async def test_queries_failing_while_daraja_is_down_resume_when_it_returns(
        self,
        telegram: FakeTelegram,
        start_service: StartService,
        simulator: SimulatorServer,
        relay: CallbackRelay,
        database_url: str,
    ) -> None:
        relay.loss = 1.0  # every callback lost: only queries can settle
        service = await self._service(
            telegram, start_service, simulator, database_url, public_base_url=relay.url
        )
        relay.targets = [service.base_url]
        simulator.daraja.faults.add(Endpoint.STK_QUERY, Fault.SERVER_ERROR, times=None)
        await start_payments(service, [paying_phone(n) for n in range(5)])
        await asyncio.sleep(2.0)
        assert set((await statuses(service)).values()) == {PaymentStatus.PENDING}
        simulator.daraja.faults.clear()
        await wait_until_settled_and_sent(service)
        assert set((await statuses(service)).values()) == {PaymentStatus.PAID}
        assert_each_told_once(telegram, 5)


async def test_telegram_down_then_throttling_delivers_every_message_once(
    telegram: FakeTelegram,
    start_service: StartService,
    simulator: SimulatorServer,
    database_url: str,
) -> None:
    service = await start_service(
        service_settings(
            telegram, database_url, mode="webhook", mpesa_api_base_url=simulator.base_url
        )
    )
    await telegram.go_down("502")
    await start_payments(service, [paying_phone(n) for n in range(10)])
    lipa = service.lipa
    assert lipa is not None
    # The simulated phones approve and the callbacks settle while Telegram is down (waited
    # for, not slept on: a fixed 1.5 s was too short for a machine under load).
    await wait_until_all(service, PaymentStatus.PAID, within=20)
    assert set((await statuses(service)).values()) == {PaymentStatus.PAID}
    assert telegram.sent == []
    await telegram.come_back()
    telegram.flood_for(1.0, retry_after=1)
    await wait_until_settled_and_sent(service, within=60)
    assert telegram.too_many_requests > 0
    assert_each_told_once(telegram, 10)


class TestForgedCallbacks:
    @pytest.fixture
    async def service(
        self,
        telegram: FakeTelegram,
        start_service: StartService,
        simulator: SimulatorServer,
        relay: CallbackRelay,
        database_url: str,
    ) -> Service:
        relay.loss = 1.0  # the real callbacks never arrive: only forgeries do
        service = await start_service(
            service_settings(
                telegram,
                database_url,
                mode="polling",
                mpesa_api_base_url=simulator.base_url,
                public_base_url=relay.url,
                mpesa_confirm_with_query=True,
                reconcile_after_seconds=3600,
                payment_expiry_seconds=7200,
            )
        )
        await start_payments(service, [SimulatorPhone.HOLDS_PROMPT.value, paying_phone(9)])
        return service

    async def _checkout_id(self, service: Service, phone: str) -> str:
        lipa = service.lipa
        assert lipa is not None
        async with lipa.engine.connect() as connection:
            found = await connection.scalar(
                select(PaymentRow.checkout_request_id).where(PaymentRow.phone == phone)
            )
        assert found is not None
        return str(found)

    async def _post(self, service: Service, secret: str, body: bytes) -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{service.base_url}/mpesa/callback/{secret}", data=body) as response,
        ):
            return response.status

    async def _nothing_changed(self, service: Service, telegram: FakeTelegram) -> None:
        assert set((await statuses(service)).values()) == {PaymentStatus.PENDING}
        lipa = service.lipa
        assert lipa is not None
        async with lipa.engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(OutboxRow)) == 0
        assert telegram.sent == []

    def _success(self, checkout_id: str, amount: int = 100) -> dict[str, Any]:
        return {
            "Body": {
                "stkCallback": {
                    "MerchantRequestID": "forged",
                    "CheckoutRequestID": checkout_id,
                    "ResultCode": 0,
                    "ResultDesc": "The service request is processed successfully.",
                    "CallbackMetadata": {
                        "Item": [
                            {"Name": "Amount", "Value": float(amount)},
                            {"Name": "MpesaReceiptNumber", "Value": "FORGED0001"},
                            {"Name": "TransactionDate", "Value": 20261128101500},
                            {"Name": "PhoneNumber", "Value": 254700000006},
                        ]
                    },
                }
            }
        }

    async def test_forgeries_change_nothing(
        self, service: Service, telegram: FakeTelegram, simulator: SimulatorServer
    ) -> None:
        checkout_id = await self._checkout_id(service, SimulatorPhone.HOLDS_PROMPT.value)
        body = json.dumps(self._success(checkout_id)).encode()
        assert await self._post(service, "wrong-secret", body) == 404
        unknown = json.dumps(self._success("ws_CO_unknown")).encode()
        assert await self._post(service, "callback-secret-for-tests", unknown) == 200
        # Right secret, real pending payment, but Daraja says the prompt is still open.
        assert await self._post(service, "callback-secret-for-tests", body) == 200
        await self._nothing_changed(service, telegram)

    async def test_a_forged_success_contradicted_by_daraja_is_not_paid(
        self, service: Service, telegram: FakeTelegram, simulator: SimulatorServer
    ) -> None:
        checkout_id = await self._checkout_id(service, SimulatorPhone.HOLDS_PROMPT.value)
        await simulator.daraja.settle(checkout_id, 1032)  # the customer really cancelled
        body = json.dumps(self._success(checkout_id)).encode()
        assert await self._post(service, "callback-secret-for-tests", body) == 200
        found = await statuses(service)
        assert found[SimulatorPhone.HOLDS_PROMPT.value] is PaymentStatus.CANCELLED
        staff = await telegram.wait_for_message_to(STAFF_CHAT, "not confirmed", timeout=10)
        assert "FORGED" not in staff.text

    async def test_a_thousand_malformed_bodies_get_4xx_and_change_nothing(
        self, service: Service, telegram: FakeTelegram
    ) -> None:
        checkout_id = await self._checkout_id(service, paying_phone(9))
        bodies = malformed_bodies(self._success(checkout_id), count=1000, seed=20261128)
        async with aiohttp.ClientSession() as session:

            async def post(body: bytes) -> int:
                async with session.post(
                    f"{service.base_url}/mpesa/callback/callback-secret-for-tests", data=body
                ) as response:
                    await response.read()
                    return response.status

            codes: list[int] = []
            for start in range(0, len(bodies), 50):
                codes += await asyncio.gather(*(post(body) for body in bodies[start : start + 50]))
        assert all(400 <= code < 500 for code in codes), sorted(set(codes))
        await self._nothing_changed_but_every_body_kept(service, telegram, bodies)

    async def _nothing_changed_but_every_body_kept(
        self, service: Service, telegram: FakeTelegram, bodies: list[bytes]
    ) -> None:
        # No payment changed and no customer heard anything; each body is kept and the staff
        # get one alert per body, naming it for a replay (issue 19, item 6).
        assert set((await statuses(service)).values()) == {PaymentStatus.PENDING}
        lipa = service.lipa
        assert lipa is not None
        kept = await lipa.settlement.bodies.recent(limit=2 * len(bodies))
        assert sorted(body.received.body for body in kept) == sorted(bodies)
        async with lipa.engine.connect() as connection:
            alerts = (await connection.execute(select(OutboxRow.chat_key, OutboxRow.payload))).all()
        assert {chat_key for chat_key, _ in alerts} == {str(STAFF_CHAT)}
        assert sorted(payload["line"] for _, payload in alerts) == sorted(
            f"CALLBACK {body.id} REFUSED: lipa callbacks replay {body.id}" for body in kept
        )
        assert {message.chat_id for message in telegram.sent} <= {STAFF_CHAT}


def malformed_bodies(valid: dict[str, Any], *, count: int, seed: int) -> list[bytes]:
    """``count`` distinct bodies that Daraja's callback parser must refuse."""
    rng = random.Random(seed)
    junk: list[Any] = [None, True, False, -1, 0, 1.5, 1e309, "", "x" * 5000, [], {}, "0", [1]]
    keys = [
        "Body",
        "stkCallback",
        "ResultCode",
        "CheckoutRequestID",
        "MerchantRequestID",
        "ResultDesc",
        "CallbackMetadata",
        "Item",
        "Value",
        "Name",
    ]
    bodies: set[bytes] = set()

    def mutate(node: Any, depth: int) -> Any:
        if isinstance(node, dict):
            node = dict(node)
            if node and rng.random() < 0.3:
                node.pop(rng.choice(sorted(node)))
            for key in list(node):
                if rng.random() < 0.25:
                    node[key] = rng.choice(junk)
                elif rng.random() < 0.5:
                    node[key] = mutate(node[key], depth + 1)
            if rng.random() < 0.1:
                node[rng.choice(keys)] = rng.choice(junk)
            return node
        if isinstance(node, list):
            node = [mutate(item, depth + 1) for item in node]
            if node and rng.random() < 0.3:
                node[rng.randrange(len(node))] = rng.choice(junk)
            return node
        return rng.choice(junk) if rng.random() < 0.3 else node

    raw_junk = [b"", b"{", b"null", b"[]", b"\xff\xfe", b'{"Body": }', b"NaN", b'"Body"']
    while len(bodies) < count:
        if rng.random() < 0.05:
            body = rng.choice(raw_junk) + str(rng.random()).encode()
        else:
            body = json.dumps(mutate(valid, 0)).encode()
            if rng.random() < 0.05:
                body = body[: rng.randrange(1, len(body))]
        try:
            parse_callback(body)
        except CallbackError:
            bodies.add(body)
    return sorted(bodies)
