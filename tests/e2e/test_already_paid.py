""" "I already paid" end to end: the service, the fake Bot API and the simulator on real sockets.

The customer pays the paybill straight from their phone (the simulator's control route), reads
the code from the SMS the simulated phone received, and types it under the failed payment.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx

from checkout.initiator.desk import InitiatorPolicy
from daraja.simulator.settings import (
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
    MsisdnForm,
    SimulatorSettings,
)
from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import reach_confirmation

CUSTOMER = 5001
STAFF_CHAT = -1001
STAFF_USER = 9001
NEVER_ANSWERS = "0700000004"  # the simulator's phone that never answers a prompt
OTHER_PAYBILL = "600111"
# Short waits, so a timed-out answer is asked again within the test.
FAST = InitiatorPolicy(
    waits=(timedelta(seconds=3),),
    after_timeout=timedelta(seconds=0.3),
    interval_seconds=0.2,
)
SIMULATOR = SimulatorSettings(
    callback_delay=0.2,
    seed=7,
    result_delay=0.1,
    passkeys={DEFAULT_SHORTCODE: DEFAULT_PASSKEY, OTHER_PAYBILL: "other-passkey"},
)


async def seed(service: Service, reference: str, amount: int) -> None:
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        await unit.orders.create(reference, amount, known=True)
        await unit.commit()


async def paid_amount(service: Service, reference: str) -> int:
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        order = await unit.orders.get(reference)
    assert order is not None
    return order.amount_paid


async def pay_paybill(
    service: Service, amount: int, *, phone: str = "254700000004", shortcode: str | None = None
) -> str:
    """Pay from the phone straight to a paybill; the code from the SMS the phone received."""
    assert service.lipa is not None
    base = service.lipa.daraja_base_url
    async with httpx.AsyncClient(base_url=base) as http:
        body: dict[str, object] = {"phone": phone, "amount": amount, "account": "x"}
        if shortcode is not None:
            body["shortcode"] = shortcode
        paid = await http.post("/simulator/c2b/pay", json=body)
        assert paid.status_code == 200, paid.text
        inbox = await http.get(f"/simulator/phones/{phone}/messages")
    last = inbox.json()["messages"][-1]["text"]
    code = str(last.split()[0])
    assert code == paid.json()["transaction_id"]
    return code


async def failed_payment(telegram: FakeTelegram) -> None:
    """The customer's push is never answered: "Not paid" with "I already paid" under it."""
    await reach_confirmation(telegram, NEVER_ANSWERS)
    await telegram.user_presses_button(CUSTOMER, "pay")
    failed = await telegram.wait_for_message_to(CUSTOMER, "Not paid", timeout=10)
    assert "I already paid" in failed.button_texts


async def type_code(
    telegram: FakeTelegram, code: str, order: str = "WW-1042", *, message_id: int | None = None
) -> None:
    """Press "I already paid" (on the message ``message_id``, else the latest offering it)."""
    start = len(telegram.sent)
    await telegram.user_presses_button(CUSTOMER, f"paid:{order}", message_id=message_id)
    await telegram.wait_for_message_to(CUSTOMER, f"SMS for order {order}", start=start)
    await telegram.user_sends_text(CUSTOMER, code)


async def start(telegram: FakeTelegram, start_service: StartService, url: str) -> Service:
    settings = service_settings(
        telegram,
        url,
        mode="polling",
        staff_user_ids=str(STAFF_USER),
        reconcile_after_seconds=0.3,
        payment_expiry_seconds=1.0,
    )
    return await start_service(settings, simulator=SIMULATOR, initiator_policy=FAST)


async def test_a_code_the_phone_received_credits_the_order_once(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    await seed(service, "WW-1042", 1500)
    await failed_payment(telegram)
    code = await pay_paybill(service, 1500)

    await type_code(telegram, "not a code")
    await telegram.wait_for_message_to(CUSTOMER, "That is not an M-Pesa code")
    await telegram.user_sends_text(CUSTOMER, code.lower())
    await telegram.wait_for_message_to(CUSTOMER, f"asking M-Pesa about {code}")
    credited = await telegram.wait_for_message_to(CUSTOMER, "We received", timeout=10)
    assert "KES 1,500" in credited.text
    assert code in credited.text
    await telegram.wait_for_message_to(STAFF_CHAT, code, timeout=10)
    assert await paid_amount(service, "WW-1042") == 1500

    # The same code for another order: counted already, so M-Pesa is not even asked.
    await seed(service, "WW-2000", 1500)
    assert service.lipa is not None
    assert service.lipa.simulator is not None
    asked = len(service.lipa.simulator.daraja.initiator.requests)
    # The button of another order's message (as if the customer had one for WW-2000 too).
    latest = telegram.sent_to(CUSTOMER)[-1].message_id
    await type_code(telegram, code, "WW-2000", message_id=latest)
    await telegram.wait_for_message_to(CUSTOMER, "was counted before", timeout=10)
    assert await paid_amount(service, "WW-2000") == 0
    assert len(service.lipa.simulator.daraja.initiator.requests) == asked


async def test_codes_that_cannot_pay_the_order_are_explained_and_credit_nothing(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    await seed(service, "WW-1042", 1500)
    await failed_payment(telegram)

    too_small = await pay_paybill(service, 1000)
    await type_code(telegram, too_small)
    told = await telegram.wait_for_message_to(CUSTOMER, "less than", timeout=10)
    assert "KES 1,000" in told.text
    assert "KES 1,500" in told.text
    await telegram.wait_for_message_to(STAFF_CHAT, f"/verify {too_small} WW-1042", timeout=10)

    elsewhere = await pay_paybill(service, 1500, shortcode=OTHER_PAYBILL)
    await type_code(telegram, elsewhere)
    await telegram.wait_for_message_to(CUSTOMER, "for our business", timeout=10)

    assert await paid_amount(service, "WW-1042") == 0


async def test_a_timed_out_answer_is_asked_again_and_credits_once(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    assert service.lipa is not None
    simulator = service.lipa.simulator
    assert simulator is not None
    await seed(service, "WW-1042", 1500)
    await failed_payment(telegram)
    code = await pay_paybill(service, 1500)
    simulator.daraja.initiator.time_out_next(1)
    await type_code(telegram, code)
    credited = await telegram.wait_for_message_to(CUSTOMER, "We received", timeout=15)
    assert code in credited.text
    requests = [
        r for r in simulator.daraja.initiator.requests if r.command == "TransactionStatusQuery"
    ]
    assert len(requests) == 2  # asked, timed out in the queue, asked again
    assert await paid_amount(service, "WW-1042") == 1500
    received = [m for m in telegram.sent_to(CUSTOMER) if "We received" in m.text]
    assert len(received) == 1


async def test_staff_verify_shows_m_pesa_s_answer_and_credits_with_a_button(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start(telegram, start_service, sqlite_url)
    await seed(service, "WW-1042", 2000)
    code = await pay_paybill(service, 1500, phone="254712345678")
    await telegram.user_sends_command(STAFF_USER, "verify", f"{code} WW-1042", chat_id=STAFF_CHAT)
    await telegram.wait_for_message_to(STAFF_CHAT, f"Asking M-Pesa about {code}")
    report = await telegram.wait_for_message_to(STAFF_CHAT, f"M-Pesa on {code}", timeout=10)
    assert "Completed" in report.text
    assert "KES 1,500" in report.text
    assert report.button_texts == ["Credit to order WW-1042"]
    (data,) = report.callback_data
    await telegram.user_presses_button(STAFF_USER, data, chat_id=STAFF_CHAT)
    await telegram.wait_for_message_to(STAFF_CHAT, "Done:", timeout=10)
    assert await paid_amount(service, "WW-1042") == 1500


async def test_staff_verify_shows_the_payers_whole_number_only_in_a_private_chat(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(
        telegram, sqlite_url, mode="polling", staff_user_ids=str(STAFF_USER)
    )
    # M-Pesa may give the payer's whole number (the simulator masks it unless told).
    simulator = replace(SIMULATOR, c2b_msisdn_form=MsisdnForm.FULL)
    service = await start_service(settings, simulator=simulator, initiator_policy=FAST)
    await seed(service, "WW-1042", 2000)
    code = await pay_paybill(service, 1500, phone="254712345678")

    await telegram.user_sends_command(STAFF_USER, "verify", code)  # the staff user's own chat
    private = await telegram.wait_for_message_to(STAFF_USER, f"M-Pesa on {code}", timeout=10)
    assert "0712 345 678" in private.text
    await telegram.user_sends_command(STAFF_USER, "verify", code, chat_id=STAFF_CHAT)
    group = await telegram.wait_for_message_to(STAFF_CHAT, f"M-Pesa on {code}", timeout=10)
    assert "2547****5678" in group.text
    assert "345 678" not in group.text
