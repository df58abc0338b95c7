"""A paid payment's message in Telegram carries its receipt link, which opens the PDF."""

from __future__ import annotations

import io
import re

import aiohttp
from pypdf import PdfReader

from checkout.domain.records import PaymentStatus
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings, sqlite_url, start_service, telegram
from tests.e2e.test_telegram_checkout import CUSTOMER, reach_confirmation, seed

__all__ = ["sqlite_url", "start_service", "telegram"]


async def test_the_paid_message_in_telegram_links_the_pdf_receipt(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    await seed(service)
    await reach_confirmation(telegram)
    await telegram.user_presses_button(CUSTOMER, "pay")
    paid = await telegram.wait_for_message_to(CUSTOMER, "Your receipt", timeout=10)
    link = re.search(rf"{re.escape(service.base_url)}/receipts/[0-9a-f]{{32}}\?lang=en", paid.text)
    assert link is not None, paid.text
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        [payment] = await unit.order_book.payments_for_order("WW-1042")
    assert payment.status is PaymentStatus.PAID
    assert payment.receipt_number is not None
    async with aiohttp.ClientSession() as http, http.get(link.group(0)) as answer:
        assert answer.status == 200
        body = await answer.read()
    assert payment.receipt_number in PdfReader(io.BytesIO(body)).pages[0].extract_text()


async def test_without_the_web_checkout_the_paid_message_has_no_link(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(telegram, sqlite_url, mode="polling", web_checkout_enabled=False)
    service = await start_service(settings)
    await seed(service)
    await reach_confirmation(telegram)
    await telegram.user_presses_button(CUSTOMER, "pay")
    paid = await telegram.wait_for_message_to(CUSTOMER, "receipt", timeout=10)
    assert "/receipts/" not in paid.text
