"""Every channel is optional: a shop without Telegram starts, serves and settles; none at all stops.

The real service on real sockets, the in-process Daraja simulator and a fake SMS API; no
Telegram server exists in these tests, so any call to Telegram would fail them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from checkout.domain.records import PaymentStatus
from lipa.channels import NoCustomerChannel
from lipa.service import Service
from lipa.settings import Settings
from lipa_testing.sms_api import FakeSmsApi
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import seed
from tests.e2e.test_ussd_checkout import CALLER, PAY_WW_1042, Handset, wait_for_status

API_TOKEN = "orders-api-token-for-tests"


@pytest.fixture
async def sms_api() -> AsyncIterator[FakeSmsApi]:
    """A local fake of Africa's Talking's SMS API."""
    async with FakeSmsApi() as fake:
        yield fake


def settings_without_telegram(database_url: str, **extra: Any) -> Settings:
    """A service on the simulator with no Telegram token (and nothing else unless given)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "telegram_api_base_url": "http://127.0.0.1:9/bot",  # nothing listens: never called
        "mpesa_environment": "simulator",
        "mpesa_callback_secret": "callback-secret-for-tests",
        "host": "127.0.0.1",
        # A free port bound at start, which the public URL follows (see lipa.service).
        "port": 0,
        "public_base_url": "http://127.0.0.1:0",
        # The payment link page is a channel of its own (on by default): these shops go without.
        "web_checkout_enabled": False,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def ussd_only(sms_api: FakeSmsApi, database_url: str) -> Settings:
    return settings_without_telegram(
        database_url,
        at_username=sms_api.username,
        at_api_key=sms_api.api_key,
        at_api_base_url=sms_api.base_url,
        ussd_push_delay_seconds=0.1,
    )


def channel_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("channels:")]


async def test_a_ussd_only_shop_starts_serves_ussd_and_healthz_and_a_checkout_settles(
    sms_api: FakeSmsApi,
    start_service: StartService,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    service = await start_service(ussd_only(sms_api, database_url))
    assert service.application is None
    assert channel_lines(caplog) == [
        "channels: Telegram off, USSD on, WhatsApp off, web off, orders API off; "
        "staff notices go to the log (Telegram is off)"
    ]
    async with (
        aiohttp.ClientSession() as http,
        http.get(service.base_url + "/healthz") as health,
    ):
        assert health.status == 200
    await seed(service)
    handset = Handset(service)
    assert (await handset.answer()).startswith("CON Wildwash - pay with M-Pesa\n1. Pay an order")
    assert await handset.answer(*PAY_WW_1042) == (
        "END You will get an M-Pesa prompt. Enter your PIN to pay."
    )
    await wait_for_status(service, PaymentStatus.PAID)
    receipt = await sms_api.wait_for(CALLER, "receipt")
    assert receipt.message.startswith("Paid: KES 1,500 for order WW-1042. M-Pesa receipt ")


async def test_without_telegram_the_staff_notice_is_kept_in_the_outbox_and_logged(
    sms_api: FakeSmsApi,
    start_service: StartService,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    service = await start_service(ussd_only(sms_api, database_url))
    await seed(service)
    await Handset(service).answer(*PAY_WW_1042)
    await wait_for_status(service, PaymentStatus.PAID)
    await sms_api.wait_for(CALLER, "receipt")
    assert service.lipa is not None
    for _ in range(100):
        notices = [
            r.getMessage() for r in caplog.records if r.getMessage().startswith("staff notice:")
        ]
        if notices:
            break
        await asyncio.sleep(0.05)
    assert len(notices) == 1, notices
    assert "WW-1042" in notices[0]
    assert "2547****5678" in notices[0]
    assert "254712345678" not in notices[0]
    # Delivered (to the log) like any message, so nothing stays due: poll, as marks are
    # recorded a moment after the send.
    async with asyncio.timeout(5):
        while True:
            async with service.lipa.units() as unit:
                if await unit.outbox.next_due_at() is None:
                    break
            await asyncio.sleep(0.05)


async def test_an_orders_api_only_shop_starts_and_its_orders_have_no_telegram_link(
    start_service: StartService, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    service = await start_service(settings_without_telegram(sqlite_url, api_token=API_TOKEN))
    assert channel_lines(caplog) == [
        "channels: Telegram off, USSD off, WhatsApp off, web off, orders API on; "
        "staff notices go to the log (Telegram is off)"
    ]
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.post(service.base_url + "/api/orders", json={"amount": 800}) as created,
    ):
        assert created.status == 201
        body = await created.json()
    assert body["pay_url"] is None
    assert body["amount_due"] == 800
    async with (
        aiohttp.ClientSession() as http,
        http.post(service.base_url + "/ussd", data={"text": ""}) as ussd,
    ):
        assert ussd.status == 404  # USSD is off: no route


async def test_with_telegram_the_start_line_says_so_and_staff_notices_go_there(
    telegram: FakeTelegram,
    start_service: StartService,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await start_service(service_settings(telegram, sqlite_url, mode="webhook"))
    assert channel_lines(caplog) == [
        "channels: Telegram on (webhook), USSD off, WhatsApp off, web on, orders API off; "
        "staff notices go to Telegram"
    ]


async def test_a_service_with_no_customer_channel_does_not_start(sqlite_url: str) -> None:
    service = Service(settings_without_telegram(sqlite_url))
    with pytest.raises(NoCustomerChannel, match="no customer channel is on"):
        await service.start()
    assert service.lipa is None
    assert service.port is None
