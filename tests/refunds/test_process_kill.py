"""A refund's sender killed (SIGKILL) between Daraja taking the reversal and its Result.

Real ``lipa serve`` processes on PostgreSQL and one Daraja simulator they share: the refund is
approved, the first process reverses it and is killed before the Result comes; a second
process on the same address takes the Result. The money goes back once and the customer is
told once.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from checkout.domain.records import PaymentStatus, StaffChat
from checkout.domain.refunds import RefundState
from checkout.refunds.desk import RefundDesk
from checkout.refunds.notices import RefundNotices
from checkout.refunds.rules import RefundRules, staff_actor
from daraja.simulator.keys import simulator_keys
from daraja.simulator.ledger import Kind
from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import SimulatorSettings
from lipa.demo import free_port
from lipa.settings import Settings
from lipa_testing.telegram_api import FakeTelegram
from storage.database import create_engine, session_factory
from storage.unit_of_work import unit_of_work_factory
from tests.e2e.test_process_kill import ROOT, ServeProcess
from tests.staff.seeding import Seed, seed

pytestmark = pytest.mark.postgres

CUSTOMER_CHAT = 5001  # the seeded payment's chat
STAFF_CHAT = -1001
RECEIPT = "KILLRF0001"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def test_a_sender_killed_before_the_result_never_sends_twice(
    telegram: FakeTelegram, pg_database_url: str, tmp_path: Path
) -> None:
    settings = SimulatorSettings(result_delay=8.0, seed=7)
    simulator = SimulatorServer(settings)
    await simulator.start()
    certificate = tmp_path / "simulator.cer"
    certificate.write_bytes(simulator_keys().certificate_pem)
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in {name.upper() for name in Settings.model_fields}
    }
    environment.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=pg_database_url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TELEGRAM_MODE="webhook",
        TELEGRAM_WEBHOOK_SECRET="kill-test-webhook-secret",
        MPESA_ENVIRONMENT="simulator",
        MPESA_API_BASE_URL=simulator.base_url,
        MPESA_CALLBACK_SECRET="refund-kill-callback-secret",
        MPESA_INITIATOR_NAME=settings.initiator_name,
        MPESA_INITIATOR_PASSWORD=settings.initiator_password,
        MPESA_CERTIFICATE_PATH=str(certificate),
        PORT=str(port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        STAFF_CHAT_ID=str(STAFF_CHAT),
        STAFF_USER_IDS="7001,7002",
    )
    engine = create_engine(pg_database_url)
    units = unit_of_work_factory(session_factory(engine))
    now = datetime.now(UTC)
    payment = await seed(
        units,
        Seed("WW-1042", 1500, PaymentStatus.PAID, now - timedelta(minutes=5), receipt=RECEIPT),
    )
    simulator.daraja.ledger.record_stk(
        RECEIPT,
        now - timedelta(minutes=5),
        shortcode="174379",
        phone=payment.phone,
        amount=1500,
        reference="WW-1042",
        organisation="Wildwash",
    )
    desk = RefundDesk(
        units,
        clock=lambda: datetime.now(UTC),
        rules=RefundRules(),
        notices=RefundNotices(clock=lambda: datetime.now(UTC), staff=StaffChat(str(STAFF_CHAT))),
    )
    first = ServeProcess(environment, port)
    second = ServeProcess(environment, port)
    try:
        asked = await desk.request(RECEIPT, amount=None, reason="paid twice", by=staff_actor(7001))
        assert asked.refund is not None
        refund_id = asked.refund.id
        await desk.approve(refund_id, user_id=7002)
        await first.start()  # its sender's first pass sends the approved refund
        async with asyncio.timeout(30):
            while True:
                view = await desk.get(refund_id)
                assert view is not None
                if view.refund.state is RefundState.SENT:
                    break
                await asyncio.sleep(0.1)
        await first.kill()  # Daraja took the reversal; its Result is still to come

        await second.start()
        message = await telegram.wait_for_message_to(CUSTOMER_CHAT, "on its way back", timeout=40)
        assert "KES 1,500 for order WW-1042" in message.text
        view = await desk.get(refund_id)
        assert view is not None
        assert view.refund.state is RefundState.COMPLETED
        assert view.refund.attempts == 1
        reversals = [t for t in simulator.daraja.ledger.all() if t.kind is Kind.REVERSAL]
        assert [t.reverses for t in reversals] == [RECEIPT]
        await asyncio.sleep(1.0)
        backs = [t for t in telegram.texts_to(CUSTOMER_CHAT) if "on its way back" in t]
        assert len(backs) == 1
    finally:
        await first.stop()
        await second.stop()
        await simulator.stop()
        await engine.dispose()
