"""Outcomes reach WhatsApp customers through the outbox, within WhatsApp's rules.

Inside the 24-hour window a message goes out as the chat shows it; outside it as an approved
template, or by SMS without one. WhatsApp's refusals are handled as their codes mean, and a
``failed`` status of an outcome sends it again by SMS. Nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from checkout.conversation.model import Button, Reply, reply_to_payload
from checkout.domain.records import Channel
from lipa.service import Service
from lipa_testing.sms_api import FakeSmsApi
from lipa_testing.whatsapp_api import FakeWhatsApp
from storage.models import OutboxRow, WhatsAppOutboundRow
from tests.e2e.conftest import StartService
from tests.e2e.whatsapp_support import CUSTOMER, whatsapp_settings

PAID = Reply("Paid: KES 1,500 for order WW-1042. M-Pesa receipt NLJ7RT61SV.")
REMINDER = Reply(
    "Reminder: KES 500 for order WW-1042 is due tomorrow.",
    buttons=((Button("Pay now", "plan:next:7"),),),
)


@pytest.fixture
async def sms_api() -> AsyncIterator[FakeSmsApi]:
    """A local fake of Africa's Talking's SMS API."""
    async with FakeSmsApi() as fake:
        yield fake


def sms_settings(sms_api: FakeSmsApi) -> dict[str, Any]:
    return {
        "at_username": sms_api.username,
        "at_api_key": sms_api.api_key,
        "at_api_base_url": sms_api.base_url,
    }


async def started(
    start_service: StartService, whatsapp: FakeWhatsApp, url: str, **extra: Any
) -> Service:
    service = await start_service(whatsapp_settings(whatsapp, url, **extra))
    whatsapp.webhook_url = service.base_url + "/whatsapp/webhook"
    return service


async def queue(service: Service, reply: Reply, key: str) -> None:
    """Queue a message for the customer as settlement does, and wake the sender."""
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        await unit.outbox.add(
            channel=Channel.WHATSAPP,
            chat_key=CUSTOMER,
            payload=reply_to_payload(reply),
            now=datetime.now(UTC),
            dedupe_key=key,
        )
        await unit.commit()
    service.lipa.delivery.wake()


async def recorded_kinds(service: Service, count: int) -> list[str]:
    """The kinds of the sent messages recorded, once there are ``count`` of them."""
    assert service.lipa is not None
    async with asyncio.timeout(10):
        while True:
            async with service.lipa.engine.connect() as connection:
                rows = list(
                    await connection.scalars(
                        select(WhatsAppOutboundRow.kind).order_by(WhatsAppOutboundRow.created_at)
                    )
                )
            if len(rows) >= count:
                return rows
            await asyncio.sleep(0.05)


async def customer_writes(whatsapp: FakeWhatsApp) -> int:
    """The customer says hello (opening the window); how many messages they had got so far."""
    await whatsapp.customer_sends_text(CUSTOMER, "hello")
    await whatsapp.wait_for_message_to(CUSTOMER, "Welcome")
    return len(whatsapp.sent_to(CUSTOMER))


async def test_an_outcome_outside_the_window_goes_out_as_the_payment_template(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    service = await started(start_service, whatsapp, sqlite_url)
    await queue(service, PAID, "paid")
    message = await whatsapp.wait_for_message_to(CUSTOMER, "NLJ7RT61SV")
    assert message.template_name == "payment_result"
    await queue(service, REMINDER, "reminder")
    reminder = await whatsapp.wait_for_message_to(CUSTOMER, "due tomorrow")
    assert reminder.template_name == "installment_reminder"
    assert await recorded_kinds(service, 2) == ["template", "template"]


async def test_131047_from_whatsapp_switches_to_the_template(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    service = await started(start_service, whatsapp, sqlite_url)
    seen = await customer_writes(whatsapp)
    # WhatsApp's clock says the window closed (Lipa's record says it is open).
    whatsapp.customer_wrote_at(CUSTOMER, datetime.now(UTC) - timedelta(hours=25))
    await queue(service, PAID, "paid")
    message = await whatsapp.wait_for_message_to(CUSTOMER, "NLJ7RT61SV", after=seen)
    assert message.template_name == "payment_result"
    assert [refusal.code for refusal in whatsapp.refused] == [131047]


async def test_without_a_template_an_outcome_outside_the_window_goes_by_sms(
    whatsapp: FakeWhatsApp, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    service = await started(
        start_service, whatsapp, sqlite_url, templates=False, **sms_settings(sms_api)
    )
    await queue(service, PAID, "paid")
    sms = await sms_api.wait_for(f"+{CUSTOMER}", "NLJ7RT61SV")
    assert "WW-1042" in sms.message
    assert whatsapp.sent == []
    assert await recorded_kinds(service, 1) == ["sms"]


async def test_a_rate_limit_waits_and_the_message_goes_out_after(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    service = await started(start_service, whatsapp, sqlite_url)
    seen = await customer_writes(whatsapp)
    whatsapp.fail_next(130429, times=2)
    await queue(service, PAID, "paid")
    message = await whatsapp.wait_for_message_to(CUSTOMER, "NLJ7RT61SV", after=seen)
    assert message.type == "text"
    assert [refusal.code for refusal in whatsapp.refused] == [130429, 130429]
    await asyncio.sleep(0.3)
    assert len([m for m in whatsapp.sent_to(CUSTOMER) if "NLJ7RT61SV" in m.text]) == 1


async def test_a_reply_refused_by_a_rate_limit_is_delivered_by_the_outbox(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    await started(start_service, whatsapp, sqlite_url)
    whatsapp.fail_next(131056)
    await whatsapp.customer_sends_text(CUSTOMER, "help")
    help_text = await whatsapp.wait_for_message_to(CUSTOMER)
    assert [refusal.code for refusal in whatsapp.refused] == [131056]
    assert help_text.text  # the refused reply, sent again


async def test_a_failed_status_sends_the_receipt_again_by_sms_once(
    whatsapp: FakeWhatsApp, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    service = await started(start_service, whatsapp, sqlite_url, **sms_settings(sms_api))
    seen = await customer_writes(whatsapp)
    await queue(service, PAID, "paid")
    message = await whatsapp.wait_for_message_to(CUSTOMER, "NLJ7RT61SV", after=seen)
    assert await recorded_kinds(service, 2) == ["reply", "outbox"]  # the menu, the outcome
    await whatsapp.report_status(message.message_id, "sent")
    failed = await whatsapp.report_status(message.message_id, "failed", error_code=131026)
    sms = await sms_api.wait_for(f"+{CUSTOMER}", "NLJ7RT61SV")
    assert "WW-1042" in sms.message
    await whatsapp.redeliver(failed)
    await whatsapp.report_status(message.message_id, "delivered")  # late: changes nothing
    await asyncio.sleep(0.5)
    assert len(sms_api.messages_to(f"+{CUSTOMER}")) == 1
    assert service.lipa is not None
    async with service.lipa.engine.connect() as connection:
        status = await connection.scalar(
            select(WhatsAppOutboundRow.status).where(
                WhatsAppOutboundRow.message_id == message.message_id
            )
        )
    assert status == "failed"


async def test_an_undeliverable_customer_is_given_up_and_the_staff_told_once(
    whatsapp: FakeWhatsApp,
    start_service: StartService,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    service = await started(start_service, whatsapp, sqlite_url)
    await customer_writes(whatsapp)
    whatsapp.fail_next(131026, times=2)
    await queue(service, PAID, "paid")
    await queue(service, Reply("Second message"), "second")
    assert service.lipa is not None

    async def given_up() -> int:
        async with service.lipa.engine.connect() as connection:  # type: ignore[union-attr]
            rows = await connection.scalars(
                select(OutboxRow.failed_at).where(OutboxRow.channel == "whatsapp")
            )
            return sum(1 for row in rows if row is not None)

    async with asyncio.timeout(10):
        while await given_up() < 2:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    async with asyncio.timeout(10):
        while not any("staff notice: WhatsApp" in r.getMessage() for r in caplog.records):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    notices = [r for r in caplog.records if "staff notice: WhatsApp" in r.getMessage()]
    assert len(notices) == 1
    assert CUSTOMER not in notices[0].getMessage()  # the number is masked
