"""On WhatsApp too: the other way to pay after an unreachable prompt, and "orders"."""

from __future__ import annotations

from datetime import UTC, datetime

from lipa_testing.whatsapp_api import FakeWhatsApp
from tests.e2e.conftest import StartService
from tests.e2e.test_whatsapp_checkout import started
from tests.e2e.whatsapp_support import CUSTOMER


async def test_a_whatsapp_customer_whose_prompt_never_arrives_gets_the_paybill(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    await started(start_service, whatsapp, sqlite_url)
    await whatsapp.customer_sends_text(CUSTOMER, "PAY WW-1042")
    await whatsapp.wait_for_message_to(CUSTOMER, "1,500")
    await whatsapp.customer_chooses(CUSTOMER, "amount:1500")
    await whatsapp.wait_for_message_to(CUSTOMER, "M-Pesa number")
    await whatsapp.customer_sends_text(CUSTOMER, "0700 000 004")  # never answers: 1037
    await whatsapp.wait_for_message_to(CUSTOMER, "Pay KES 1,500 for order WW-1042")
    await whatsapp.customer_chooses(CUSTOMER, "pay")
    outcome = await whatsapp.wait_for_message_to(CUSTOMER, "Other way to pay")
    assert "M-Pesa → Lipa na M-Pesa → Pay Bill. Business number: 174379." in outcome.text
    assert "Account number: WW-1042. Amount: KES 1,500." in outcome.text
    assert "*234#" in outcome.text
    assert "retry" in outcome.choice_ids


async def test_a_whatsapp_customer_lists_the_orders_made_for_their_number(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    service = await started(start_service, whatsapp, sqlite_url)
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        await unit.order_book.create_if_absent(
            "WW-2001", 900, description="Shirts", customer_phone=CUSTOMER, now=datetime.now(UTC)
        )
        await unit.commit()
    await whatsapp.customer_sends_text(CUSTOMER, "oda")
    listed = await whatsapp.wait_for_message_to(CUSTOMER, "WW-2001")
    assert "WW-2001: KES 900 to pay - Shirts" in listed.text
    assert listed.choice_ids == ["orders:pay:WW-2001", "orders:no:WW-2001"]
