"""A process killed (SIGKILL) between settling a payment and sending its messages.

Fault test 5 of issue #5: real ``lipa serve`` processes on PostgreSQL, a fake Bot API that is
down while the payment settles, and a restart that sends each message once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from checkout.domain.records import Channel
from checkout.payments.ports import NewPayment
from lipa.demo import free_port
from lipa.settings import Settings
from lipa_testing.telegram_api import FakeTelegram
from storage.database import create_engine, session_factory
from storage.unit_of_work import unit_of_work_factory

ROOT = Path(__file__).resolve().parents[2]
SECRET = "kill-test-callback-secret"
CUSTOMER_CHAT = 8800
STAFF_CHAT = -1001


class ServeProcess:
    """``python -m lipa serve`` in a child process."""

    def __init__(self, environment: dict[str, str], port: int) -> None:
        self._environment = environment
        self.port = port
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lipa",
            "serve",
            env=self._environment,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(30), aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def test_messages_queued_before_a_kill_are_sent_once_after_restart(
    telegram: FakeTelegram, pg_database_url: str
) -> None:
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
        MPESA_CALLBACK_SECRET=SECRET,
        PORT=str(port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        STAFF_CHAT_ID=str(STAFF_CHAT),
    )
    engine = create_engine(pg_database_url)
    units = unit_of_work_factory(session_factory(engine))
    now = datetime.now(UTC)
    async with units() as unit:
        await unit.orders.create("K-1", 1500, known=True)
        payment = await unit.payments.create_pending(
            NewPayment(
                "K-1", None, Channel.TELEGRAM, str(CUSTOMER_CHAT), 1500, "254712345678", "en"
            ),
            now=now,
        )
        await unit.payments.mark_requested(
            payment.id, merchant_request_id="m-1", checkout_request_id="ws_CO_kill"
        )
        await unit.commit()

    first = ServeProcess(environment, port)
    second = ServeProcess(environment, port)
    try:
        await first.start()
        await telegram.go_down("502")
        callback = {
            "Body": {
                "stkCallback": {
                    "MerchantRequestID": "m-1",
                    "CheckoutRequestID": "ws_CO_kill",
                    "ResultCode": 0,
                    "ResultDesc": "The service request is processed successfully.",
                    "CallbackMetadata": {
                        "Item": [
                            {"Name": "Amount", "Value": 1500.0},
                            {"Name": "MpesaReceiptNumber", "Value": "KILLTEST01"},
                            {"Name": "TransactionDate", "Value": 20261128101500},
                            {"Name": "PhoneNumber", "Value": 254712345678},
                        ]
                    },
                }
            }
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{port}/mpesa/callback/{SECRET}", data=json.dumps(callback)
            ) as answer,
        ):
            assert answer.status == 200
        async with units() as unit:
            settled = await unit.payments.get(payment.id)
        assert settled is not None
        assert settled.status.value == "paid"
        await asyncio.sleep(0.5)  # the sender tries, Telegram is down
        await first.kill()
        assert telegram.texts_to(CUSTOMER_CHAT) == []

        await telegram.come_back()
        await second.start()
        message = await telegram.wait_for_message_to(CUSTOMER_CHAT, "KILLTEST01", timeout=30)
        assert "fully paid" in message.text
        await telegram.wait_for_message_to(STAFF_CHAT, "K-1", timeout=30)
        await asyncio.sleep(1.0)
        assert len(telegram.texts_to(CUSTOMER_CHAT)) == 1
        assert len(telegram.texts_to(STAFF_CHAT)) == 1
    finally:
        await first.stop()
        await second.stop()
        await engine.dispose()
