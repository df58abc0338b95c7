"""A customer pays on Telegram; the platform receives the outcome as signed events."""

from __future__ import annotations

import asyncio

from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import CUSTOMER, reach_confirmation, seed
from tests.events.receiver import Receiver

SECRET = "event-secret-for-tests-0123"


async def test_a_telegram_payment_reaches_the_platform_as_signed_events(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    receiver = Receiver(SECRET.encode())
    url = await receiver.start()
    try:
        settings = service_settings(
            telegram,
            sqlite_url,
            mode="polling",
            event_webhook_urls=[url],
            event_webhook_secret=SECRET,
        )
        service = await start_service(settings)
        await seed(service)
        await reach_confirmation(telegram)
        await telegram.user_presses_button(CUSTOMER, "pay")
        await telegram.wait_for_message_to(CUSTOMER, "receipt", timeout=10)
        async with asyncio.timeout(10):
            await receiver.wait_for_events(2)
    finally:
        await receiver.stop()
    (settled,) = receiver.events_of("payment.settled")
    (paid,) = receiver.events_of("order.paid")
    assert settled["data"]["payment"]["status"] == "paid"
    assert settled["data"]["payment"]["order_reference"] == "WW-1042"
    assert paid["data"]["order"] == {
        "reference": "WW-1042",
        "status": "paid",
        "amount_due": 1500,
        "amount_paid": 1500,
        "balance": 0,
        "description": None,
        "customer_phone": None,
    }
    assert receiver.redeliveries == 0
