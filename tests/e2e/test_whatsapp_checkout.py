"""A customer pays on WhatsApp: the real service, the Daraja simulator and a fake Cloud API.

Every send goes through the fake, which refuses (and the fixture fails the test on) any
message breaking WhatsApp's limits or its 24-hour window.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from lipa.service import Service
from lipa_testing.whatsapp_api import FakeWhatsApp, sign
from storage.models import PaymentRow, WhatsAppInboundRow
from tests.e2e.conftest import StartService
from tests.e2e.whatsapp_support import CUSTOMER, whatsapp_settings

PAID = {"en": "M-Pesa receipt", "sw": "Risiti ya M-Pesa"}
ASK_PHONE = {"en": "M-Pesa number", "sw": "namba"}


async def seed(service: Service, reference: str = "WW-1042", amount: int = 1500) -> None:
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        await unit.orders.create(reference, amount, known=True)
        await unit.commit()


async def started(
    start_service: StartService, whatsapp: FakeWhatsApp, database_url: str, **extra: object
) -> Service:
    service = await start_service(whatsapp_settings(whatsapp, database_url, **extra))
    whatsapp.webhook_url = service.base_url + "/whatsapp/webhook"
    await seed(service)
    return service


async def reach_confirmation(whatsapp: FakeWhatsApp, language: str = "en") -> None:
    await whatsapp.customer_sends_text(CUSTOMER, "PAY WW-1042")
    amount = await whatsapp.wait_for_message_to(CUSTOMER, "1,500")
    assert "amount:1500" in amount.choice_ids
    await whatsapp.customer_chooses(CUSTOMER, "amount:1500")
    phone = await whatsapp.wait_for_message_to(CUSTOMER, ASK_PHONE[language])
    # The customer's own WhatsApp number is offered as the paying number.
    assert "phone:saved" in phone.choice_ids
    assert any("0712 345 678" in title for title in phone.choice_titles)
    await whatsapp.customer_chooses(CUSTOMER, "phone:saved")
    confirmation = await whatsapp.wait_for_message_to(CUSTOMER, "WW-1042", after=2)
    assert confirmation.choice_ids[0] == "pay"


@pytest.mark.parametrize("language", ["en", "sw"])
async def test_a_customer_pays_from_a_pay_link_message_to_the_receipt(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str, language: str
) -> None:
    await started(start_service, whatsapp, sqlite_url, default_language=language)
    await reach_confirmation(whatsapp, language)
    await whatsapp.customer_chooses(CUSTOMER, "pay")
    await whatsapp.wait_for_message_to(CUSTOMER, "PIN")
    paid = await whatsapp.wait_for_message_to(CUSTOMER, PAID[language], timeout=10)
    assert "WW-1042" in paid.text
    assert paid.type in ("text", "interactive")  # inside the window: free-form, not a template
    texts = [message.text for message in whatsapp.sent_to(CUSTOMER)]
    assert texts.index(next(t for t in texts if "PIN" in t)) < texts.index(paid.text)


async def test_a_customer_switches_to_swahili_by_typing_lugha(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    await started(start_service, whatsapp, sqlite_url)
    await whatsapp.customer_sends_text(CUSTOMER, "lugha")
    choose = await whatsapp.wait_for_message_to(CUSTOMER)
    assert "lang:sw" in choose.choice_ids
    await whatsapp.customer_chooses(CUSTOMER, "lang:sw")
    menu = await whatsapp.wait_for_message_to(CUSTOMER, "Karibu")
    assert menu.choice_ids == ["menu:pay", "menu:history", "menu:help"]
    await whatsapp.customer_sends_text(CUSTOMER, "msaada")
    await whatsapp.wait_for_message_to(CUSTOMER, after=len(whatsapp.sent_to(CUSTOMER)))


async def test_a_redelivered_message_on_two_processes_changes_nothing_and_sends_nothing_twice(
    whatsapp: FakeWhatsApp, start_service: StartService, pg_database_url: str
) -> None:
    first = await started(start_service, whatsapp, pg_database_url)
    second = await start_service(whatsapp_settings(whatsapp, pg_database_url))
    await reach_confirmation(whatsapp)
    press = await whatsapp.customer_chooses(CUSTOMER, "pay")
    await whatsapp.wait_for_message_to(CUSTOMER, "PIN")
    await whatsapp.wait_for_message_to(CUSTOMER, "M-Pesa receipt", timeout=10)
    sent = len(whatsapp.sent_to(CUSTOMER))
    # WhatsApp retries the "Pay" press, to this process and to the other one.
    whatsapp.webhook_url = second.base_url + "/whatsapp/webhook"
    again = await whatsapp.redeliver(press)
    assert again.status == 200
    whatsapp.webhook_url = first.base_url + "/whatsapp/webhook"
    assert (await whatsapp.redeliver(press)).status == 200
    for delivery in list(whatsapp.deliveries[:3]):
        assert (await whatsapp.redeliver(delivery)).status == 200
    await whatsapp.customer_sends_text(CUSTOMER, "status")  # a new message is still answered
    await whatsapp.wait_for_message_to(CUSTOMER, after=sent)
    assert first.lipa is not None
    async with first.lipa.engine.connect() as connection:
        payments = await connection.scalar(select(func.count()).select_from(PaymentRow))
    assert payments == 1  # one STK push, however often the press came
    replies_to_status = whatsapp.sent_to(CUSTOMER)[sent:]
    assert len(replies_to_status) == 1


async def test_a_forged_or_unsigned_update_is_refused_and_changes_nothing(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    service = await started(start_service, whatsapp, sqlite_url)
    body = b'{"entry":[{"changes":[{"value":{"messages":[{"from":"254712345678",' + (
        b'"id":"wamid.FORGED","timestamp":"1","type":"text","text":{"body":"PAY WW-1042"}}]}}]}]}'
    )
    assert (await whatsapp.deliver_raw(body, signature=None)).status == 401
    assert (await whatsapp.deliver_raw(body, signature="sha256=" + "0" * 64)).status == 403
    assert (await whatsapp.deliver_raw(body, signature="not-a-signature")).status == 403
    forged = body.replace(b"PAY", b"pay")  # signed, then changed on the way
    assert (
        await whatsapp.deliver_raw(forged, signature=sign(whatsapp.app_secret, body))
    ).status == 403
    assert service.lipa is not None
    async with service.lipa.engine.connect() as connection:
        received = await connection.scalar(select(func.count()).select_from(WhatsAppInboundRow))
    assert received == 0
    assert whatsapp.sent == []


async def test_the_verification_echoes_the_challenge_only_to_the_verify_token(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    service = await started(start_service, whatsapp, sqlite_url)
    url = service.base_url + "/whatsapp/webhook"
    token = service.settings.whatsapp_verify_token
    assert token is not None
    async with httpx.AsyncClient() as http:
        good = await http.get(
            url,
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": token.get_secret_value(),
                "hub.challenge": "1158201444",
            },
        )
        wrong = await http.get(
            url,
            params={"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"},
        )
    assert (good.status_code, good.text) == (200, "1158201444")
    assert wrong.status_code == 403


async def test_an_orders_wa_me_link_opens_its_checkout_when_its_text_is_sent(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    token = "api-token-for-whatsapp-tests-0123"
    service = await started(
        start_service,
        whatsapp,
        sqlite_url,
        api_token=token,
        whatsapp_display_number="+254 700 000 000",
    )
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            service.base_url + "/api/orders",
            headers={"Authorization": f"Bearer {token}"},
            json={"reference": "WW-2001", "amount": 800},
        )
    assert answer.status_code == 201
    link = httpx.URL(answer.json()["whatsapp_url"])
    assert (link.host, link.path) == ("wa.me", "/254700000000")
    assert answer.json()["pay_url"] is None  # no Telegram
    await whatsapp.customer_sends_text(CUSTOMER, link.params["text"])
    amount = await whatsapp.wait_for_message_to(CUSTOMER, "WW-2001")
    assert "amount:800" in amount.choice_ids


async def test_a_shared_contact_card_of_the_customers_own_number_pays(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    await started(start_service, whatsapp, sqlite_url)
    await whatsapp.customer_sends_text(CUSTOMER, "PAY WW-1042")
    await whatsapp.wait_for_message_to(CUSTOMER, "1,500")
    await whatsapp.customer_chooses(CUSTOMER, "amount:1500")
    await whatsapp.wait_for_message_to(CUSTOMER, "M-Pesa number")
    await whatsapp.customer_shares_contact(CUSTOMER, "+254 712 345 678", CUSTOMER)
    confirmation = await whatsapp.wait_for_message_to(CUSTOMER, "from 0712 345 678?")
    assert confirmation.choice_ids == ["pay", "change_phone", "cancel"]


async def test_a_plan_is_offered_as_a_list_taken_and_shown_under_plans(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    await started(start_service, whatsapp, sqlite_url, bnpl_require_paid_history=False)
    await whatsapp.customer_sends_text(CUSTOMER, "PAY WW-1042")
    await whatsapp.wait_for_message_to(CUSTOMER, "1,500")
    await whatsapp.customer_chooses(CUSTOMER, "plan:later")
    await whatsapp.wait_for_message_to(CUSTOMER, "M-Pesa number")
    await whatsapp.customer_chooses(CUSTOMER, "phone:saved")
    offer = await whatsapp.wait_for_message_to(CUSTOMER, "Choose a plan")
    assert offer.body["interactive"]["type"] == "list"  # five choices: more than buttons hold
    option = next(choice for choice in offer.choice_ids if choice.startswith("plan:2:"))
    await whatsapp.customer_chooses(CUSTOMER, option)
    await whatsapp.wait_for_message_to(CUSTOMER, "PIN", timeout=10)
    await whatsapp.wait_for_message_to(CUSTOMER, "Deposit paid", timeout=10)
    seen = len(whatsapp.sent_to(CUSTOMER))
    await whatsapp.customer_sends_text(CUSTOMER, "plans")
    plans = await whatsapp.wait_for_message_to(CUSTOMER, "WW-1042", after=seen)
    assert plans.text


async def test_a_prompt_held_back_by_the_push_limits_is_explained_on_whatsapp(
    whatsapp: FakeWhatsApp, start_service: StartService, sqlite_url: str
) -> None:
    await started(start_service, whatsapp, sqlite_url, push_limit_per_phone=1)
    await reach_confirmation(whatsapp)
    await whatsapp.customer_chooses(CUSTOMER, "pay")
    await whatsapp.wait_for_message_to(CUSTOMER, "M-Pesa receipt", timeout=10)
    seen = len(whatsapp.sent_to(CUSTOMER))
    await whatsapp.customer_sends_text(CUSTOMER, "PAY WW-77")
    await whatsapp.wait_for_message_to(CUSTOMER, "WW-77", after=seen)
    await whatsapp.customer_sends_text(CUSTOMER, "100")
    await whatsapp.wait_for_message_to(CUSTOMER, "M-Pesa number", after=seen)
    await whatsapp.customer_chooses(CUSTOMER, "phone:saved")
    await whatsapp.wait_for_message_to(CUSTOMER, "Pay KES 100", after=seen)
    await whatsapp.customer_chooses(CUSTOMER, "pay")
    refused = await whatsapp.wait_for_message_to(CUSTOMER, "Too many M-Pesa prompts", after=seen)
    assert "Please wait" in refused.text
