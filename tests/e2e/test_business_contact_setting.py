"""BUSINESS_CONTACT reaches the texts that send customers to the business."""

from __future__ import annotations

from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings


async def test_the_service_takes_business_contact_from_its_settings(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(
        telegram, sqlite_url, mode="polling", business_contact="0722 000 111"
    )
    service = await start_service(settings)
    assert service.lipa is not None
    contact = service.lipa.contact
    assert contact.contact_us("en") == "contact us on 0722 000 111"
