"""BUSINESS_CONTACT reaches the texts that send customers to the business."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checkout.i18n.texts import contact_us, set_business_contact
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings


@pytest.fixture
def no_contact_after() -> Iterator[None]:
    yield
    set_business_contact(None)


@pytest.mark.usefixtures("no_contact_after")
async def test_the_service_takes_business_contact_from_its_settings(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(
        telegram, sqlite_url, mode="polling", business_contact="0722 000 111"
    )
    await start_service(settings)
    assert contact_us("en") == "contact us on 0722 000 111"
