"""A customer pays by USSD: the real service, the Daraja simulator and a fake SMS API, on sockets.

The USSD gateway is played by the test (form POSTs to ``/ussd``); the outcome must arrive at
the fake Africa's Talking SMS API, whatever Daraja and the SMS gateway do meanwhile.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from checkout.channels.gsm import gsm7_length, is_gsm7
from checkout.domain.records import Channel, PaymentStatus
from daraja.simulator.faults import Endpoint, Fault
from daraja.simulator.settings import SimulatorSettings
from lipa.service import Service
from lipa_testing.sms_api import FakeSmsApi
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import CUSTOMER, STAFF_CHAT, reach_confirmation, seed

CALLER = "+254712345678"
PAY_WW_1042 = ("1", "WW-1042", "1", "1")
# What the gateway allows an answer; the test demands the USSD answer well within it.
ANSWER_WITHIN = 1.0


@pytest.fixture
async def sms_api() -> AsyncIterator[FakeSmsApi]:
    """A local fake of Africa's Talking's SMS API."""
    async with FakeSmsApi() as fake:
        yield fake


def ussd_settings(
    telegram: FakeTelegram, sms_api: FakeSmsApi, database_url: str, **extra: Any
) -> Any:
    """Service settings with SMS through the fake API (which turns the USSD routes on)."""
    return service_settings(
        telegram,
        database_url,
        mode="polling",
        at_username=sms_api.username,
        at_api_key=sms_api.api_key,
        at_sender_id="WILDWASH",
        at_api_base_url=sms_api.base_url,
        ussd_push_delay_seconds=0.1,
        **extra,
    )


class Handset:
    """A phone in one USSD session, as the gateway relays it: every input so far in ``text``."""

    def __init__(self, service: Service, phone: str = CALLER, session: str = "ATUid_e2e1") -> None:
        self.url = service.base_url + "/ussd"
        self.phone = phone
        self.session = session
        self.text: str | None = None
        self.slowest = 0.0

    async def answer(self, *inputs: str) -> str:
        """Dial (no inputs yet) or send each input; the last screen, each timed and checked."""
        shown = ""
        async with aiohttp.ClientSession() as http:
            if self.text is None:
                self.text = ""
                shown = await self._post(http)
            for given in inputs:
                self.text = f"{self.text}*{given}" if self.text else given
                shown = await self._post(http)
        return shown

    async def _post(self, http: aiohttp.ClientSession) -> str:
        form = {
            "sessionId": self.session,
            "serviceCode": "*384*1042#",
            "phoneNumber": self.phone,
            "networkCode": "63902",
            "text": self.text or "",
        }
        started = time.monotonic()
        async with http.post(self.url, data=form) as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            shown = await response.text()
        self.slowest = max(self.slowest, time.monotonic() - started)
        assert shown.startswith(("CON ", "END "))
        assert is_gsm7(shown)
        assert gsm7_length(shown) <= 160
        return shown


async def payment_status(service: Service, phone: str = "254712345678") -> PaymentStatus | None:
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        payment = await unit.payments.latest_for_chat(Channel.USSD, phone)
    return payment.status if payment is not None else None


async def wait_for_status(
    service: Service,
    status: PaymentStatus,
    timeout: float = 10.0,  # noqa: ASYNC109 - like asyncio.wait_for
) -> None:
    async with asyncio.timeout(timeout):
        # The payment lives in the database, which has no event to wait on: poll it.
        while await payment_status(service) is not status:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def one_sms(text: str) -> None:
    assert is_gsm7(text), text
    assert gsm7_length(text) <= 160, text


async def test_a_customer_pays_by_ussd_and_gets_the_receipt_by_sms(
    telegram: FakeTelegram, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(ussd_settings(telegram, sms_api, sqlite_url))
    await seed(service)
    handset = Handset(service)
    assert (await handset.answer()).startswith("CON Wildwash - pay with M-Pesa\n1. Pay an order")
    assert await handset.answer(*PAY_WW_1042) == (
        "END You will get an M-Pesa prompt. Enter your PIN to pay."
    )
    receipt = await sms_api.wait_for(CALLER, "receipt")
    assert receipt.sender == "WILDWASH"
    assert receipt.message.startswith("Paid: KES 1,500 for order WW-1042. M-Pesa receipt ")
    # Issue 16: the outcome carries the receipt's short link, on its own line, in one SMS.
    outcome, link = receipt.message.split("\nReceipt: ")
    assert outcome.endswith("The order is fully paid. Thank you!")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_-]{22}", link)
    one_sms(receipt.message)
    async with aiohttp.ClientSession() as http, http.get(link) as opened:
        assert opened.headers["Content-Type"] == "application/pdf"
    staff = await telegram.wait_for_message_to(STAFF_CHAT, "via USSD", timeout=10)
    assert "WW-1042" in staff.text
    assert "2547****5678" in staff.text
    assert service.lipa is not None
    assert service.lipa.simulator is not None
    assert service.lipa.simulator.daraja.counters.push_requests == 1
    assert len(sms_api.messages) == 1
    assert handset.slowest < ANSWER_WITHIN


async def test_a_customer_pays_in_swahili_and_gets_the_receipt_in_swahili(
    telegram: FakeTelegram, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(ussd_settings(telegram, sms_api, sqlite_url))
    await seed(service)
    handset = Handset(service)
    assert (await handset.answer("3", "2")).startswith("CON Sawa, tutaendelea kwa Kiswahili.")
    assert await handset.answer(*PAY_WW_1042) == (
        "END Utapokea ombi la M-Pesa. Weka PIN yako ili kulipa."
    )
    receipt = await sms_api.wait_for(CALLER, "Risiti")
    assert receipt.message.startswith("Imelipwa: KES 1,500 kwa oda WW-1042. Risiti ya M-Pesa ")
    one_sms(receipt.message)


async def test_a_failed_payment_sms_says_why_and_what_to_do(
    telegram: FakeTelegram, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(ussd_settings(telegram, sms_api, sqlite_url))
    await seed(service)
    cancels = "+254700000002"  # the simulator's customer who cancels the prompt
    await Handset(service, cancels).answer(*PAY_WW_1042)
    sms = await sms_api.wait_for(cancels, "Not paid")
    assert sms.message == (
        "Not paid: KES 1,500 for order WW-1042. You cancelled the M-Pesa prompt. "
        "Try again when you are ready."
    )


async def test_the_answer_does_not_wait_for_a_hanging_daraja(
    telegram: FakeTelegram, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    settings = ussd_settings(telegram, sms_api, sqlite_url, mpesa_timeout_seconds=2)
    service = await start_service(
        settings, simulator=SimulatorSettings(callback_delay=0.2, hang_seconds=3, seed=7)
    )
    await seed(service)
    assert service.lipa is not None
    assert service.lipa.simulator is not None
    faults = service.lipa.simulator.daraja.faults
    faults.add(Endpoint.STK_PUSH, Fault.HANG, times=None)
    faults.add(Endpoint.STK_QUERY, Fault.HANG, times=None)
    handset = Handset(service)
    assert await handset.answer(*PAY_WW_1042) == (
        "END You will get an M-Pesa prompt. Enter your PIN to pay."
    )
    # The push is stuck in the hanging Daraja while the customer asks again.
    counters = service.lipa.simulator.daraja.counters
    async with asyncio.timeout(5):  # the push leaves 0.1 s after the answer, or a bit later
        while counters.push_requests == 0:  # noqa: ASYNC110 - the simulator has no event
            await asyncio.sleep(0.05)
    assert counters.push_requests == 1
    status = await Handset(service, session="ATUid_e2e2").answer("2")
    assert status == (
        "CON Your last payment, KES 1,500 for order WW-1042, is still waiting for M-Pesa.\n"
        "1. I already paid"
    )
    assert handset.slowest < ANSWER_WITHIN


@pytest.mark.parametrize("outage", ["503", "refuse"])
async def test_an_sms_gateway_outage_loses_nothing_and_sends_once(
    telegram: FakeTelegram,
    sms_api: FakeSmsApi,
    start_service: StartService,
    sqlite_url: str,
    outage: str,
) -> None:
    service = await start_service(ussd_settings(telegram, sms_api, sqlite_url))
    await seed(service)
    await sms_api.go_down("503" if outage == "503" else "refuse")
    await Handset(service).answer(*PAY_WW_1042)
    await wait_for_status(service, PaymentStatus.PAID)
    await asyncio.sleep(0.5)  # the outbox tries, and fails, meanwhile
    assert sms_api.messages == []
    await sms_api.come_back()
    await sms_api.wait_for(CALLER, "receipt")
    await asyncio.sleep(0.5)
    assert len(sms_api.messages_to(CALLER)) == 1


async def test_a_telegram_user_with_the_same_phone_gets_the_outcome_there_too(
    telegram: FakeTelegram, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(ussd_settings(telegram, sms_api, sqlite_url))
    await seed(service)
    await reach_confirmation(telegram, CALLER)  # the bot remembers the shared number
    await telegram.user_presses_button(CUSTOMER, "cancel")
    await Handset(service).answer(*PAY_WW_1042)
    await sms_api.wait_for(CALLER, "receipt")
    copy = await telegram.wait_for_message_to(CUSTOMER, "M-Pesa receipt", timeout=10)
    assert copy.text.startswith("Paid: KES 1,500 for order WW-1042.")
    assert copy.callback_data == []


async def test_without_an_sms_api_key_the_ussd_routes_are_off(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    async with aiohttp.ClientSession() as http:
        response = await http.post(service.base_url + "/ussd", data={"sessionId": "x"})
        assert response.status == 404


async def test_a_caller_cut_off_at_the_amount_dials_again_and_pays_from_there(
    telegram: FakeTelegram, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(ussd_settings(telegram, sms_api, sqlite_url))
    await seed(service)
    amount = await Handset(service).answer("1", "WW-1042")
    assert amount.startswith("CON Order WW-1042: KES 1,500 to pay.")
    # The gateway dropped that session; the caller dials again.
    again = Handset(service, session="ATUid_e2e2")
    assert await again.answer() == (
        "CON Welcome back. Your payment is not finished.\n"
        "1. Continue paying WW-1042 (KES 1,500)\n2. Start over"
    )
    assert await again.answer("1") == amount
    assert await again.answer("1", "1") == (
        "END You will get an M-Pesa prompt. Enter your PIN to pay."
    )
    await sms_api.wait_for(CALLER, "receipt")


async def test_ussd_resume_minutes_0_turns_the_offer_off(
    telegram: FakeTelegram, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    settings = ussd_settings(telegram, sms_api, sqlite_url, ussd_resume_minutes=0)
    service = await start_service(settings)
    await seed(service)
    await Handset(service).answer("1", "WW-1042")
    menu = await Handset(service, session="ATUid_e2e2").answer()
    assert menu.startswith("CON Wildwash - pay with M-Pesa\n1. Pay an order")
