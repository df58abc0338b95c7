"""When the prompt never reaches the phone: the other way to pay, on every channel.

The real service on real sockets, the Daraja simulator (0700 000 004 never answers: 1037,
0700 000 002 cancels: 1032), the fake Bot API, the fake SMS API and the web page.
"""

from __future__ import annotations

import asyncio

import aiohttp

from checkout.domain.records import PaymentStatus
from lipa_testing.sms_api import FakeSmsApi
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import CUSTOMER, reach_confirmation, seed
from tests.e2e.test_ussd_checkout import PAY_WW_1042, Handset, sms_api, ussd_settings
from tests.staff.test_staff_commands import STAFF, command
from tests.web.conftest import ORDER, WebShop

__all__ = ["sms_api"]

NO_ANSWER = "0700000004"
CANCELS = "0700000002"
PAYBILL = (
    "Other way to pay: on your phone open M-Pesa → Lipa na M-Pesa → Pay Bill. "
    "Business number: 174379. Account number: WW-1042. Amount: KES 1,500."
)
SIM_TIP = "dial *234# to update it"


async def fail_once(telegram: FakeTelegram, count: int) -> str:
    """Press Pay (or Try again, then Pay) and return the ``count``-th failure's message."""
    await telegram.user_presses_button(CUSTOMER, "pay")
    async with asyncio.timeout(10):
        while True:
            failures = [t for t in telegram.texts_to(CUSTOMER) if t.startswith("Not paid")]
            if len(failures) >= count:
                return failures[count - 1]
            await asyncio.sleep(0.05)


async def test_a_prompt_that_never_reaches_the_phone_twice_gets_the_paybill_each_time(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(telegram, sqlite_url, mode="polling", staff_user_ids=[STAFF])
    service = await start_service(settings)
    await seed(service)
    await reach_confirmation(telegram, NO_ANSWER)

    first = await fail_once(telegram, 1)
    assert PAYBILL in first
    assert SIM_TIP in first
    # "Try again" stays (it may reach the phone), and "I already paid"
    outcome = telegram.sent_to(CUSTOMER)[-1]
    assert outcome.callback_data == [
        "retry",
        "paid:WW-1042",
    ]  # "Try again" stays: it may reach the phone

    await telegram.user_presses_button(CUSTOMER, "retry")
    await telegram.wait_for_message_to(CUSTOMER, "Pay KES 1,500 for order WW-1042")
    second = await fail_once(telegram, 2)
    assert PAYBILL in second

    pending = await command(telegram, "/pending")
    assert "Told to pay by paybill: 1" in pending.body
    # The staff member asks in a private chat: the number to call back, whole (issue 22).
    assert "WW-1042: KES 1,500 left, 0700 000 004, told" in pending.body


async def test_the_paybill_is_told_in_swahili_to_a_swahili_customer(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    await seed(service)
    await telegram.user_sends_command(CUSTOMER, "lugha")
    await telegram.wait_for_message_to(CUSTOMER, "Choose your language")
    await telegram.user_presses_button(CUSTOMER, "lang:sw")
    await telegram.wait_for_message_to(CUSTOMER, "Kiswahili")
    await telegram.user_sends_command(CUSTOMER, "start", "pay_WW-1042")
    await telegram.wait_for_message_to(CUSTOMER, "KES 1,500")
    await telegram.user_presses_button(CUSTOMER, "amount:1500")
    await telegram.wait_for_message_to(CUSTOMER, "M-Pesa")
    await telegram.user_sends_text(CUSTOMER, NO_ANSWER)
    await telegram.wait_for_message_to(CUSTOMER, "Lipa KES 1,500 kwa oda WW-1042")
    await telegram.user_presses_button(CUSTOMER, "pay")
    outcome = await telegram.wait_for_message_to(CUSTOMER, "Njia nyingine ya kulipa", timeout=10)
    assert "Nambari ya akaunti: WW-1042" in outcome.text
    assert "piga *234#" in outcome.text


async def test_a_first_cancellation_gets_no_paybill_the_second_gets_it_and_no_try_again(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    await seed(service)
    await reach_confirmation(telegram, CANCELS)

    first = await fail_once(telegram, 1)
    assert "Pay Bill" not in first
    assert telegram.sent_to(CUSTOMER)[-1].callback_data == ["retry", "paid:WW-1042"]

    await telegram.user_presses_button(CUSTOMER, "retry")
    await telegram.wait_for_message_to(CUSTOMER, "Pay KES 1,500 for order WW-1042")
    second = await fail_once(telegram, 2)
    assert PAYBILL in second  # a second failed try of any kind
    assert "You cancelled the M-Pesa prompt twice" in second
    assert "for an hour" in second
    assert telegram.sent_to(CUSTOMER)[-1].callback_data == []


async def test_a_ussd_caller_whose_prompt_never_arrives_gets_the_paybill_by_sms(
    telegram: FakeTelegram, sms_api: FakeSmsApi, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(ussd_settings(telegram, sms_api, sqlite_url))
    await seed(service)
    caller = "+254700000004"
    for session in ("ATUid_ow1", "ATUid_ow2"):
        await Handset(service, caller, session=session).answer(*PAY_WW_1042)
        count = 1 if session.endswith("1") else 2
        async with asyncio.timeout(10):
            while len(sms_api.messages_to(caller)) < count:  # noqa: ASYNC110 - no event
                await asyncio.sleep(0.05)
        sms = sms_api.messages_to(caller)[-1].message
        assert sms.startswith("Not paid: KES 1,500 for order WW-1042.")
        # The GSM alphabet has no arrow: an SMS says ">".
        assert "M-Pesa > Lipa na M-Pesa > Pay Bill. Business number: 174379." in sms
        assert "Account number: WW-1042. Amount: KES 1,500." in sms
        assert SIM_TIP in sms


async def test_the_web_page_shows_the_paybill_after_the_prompt_never_reached_the_phone(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(
        service_settings(telegram, sqlite_url, mode="polling", web_checkout_enabled=True)
    )
    await seed(service)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        shop = WebShop(service, http)
        _status, html, _ = await shop.get(f"/pay/{ORDER}")
        assert "Pay Bill" not in html
        for attempt in (1, 2):
            token = await shop.form_token()
            fields = {"csrf": token, "lang": "en", "amount": "1500", "phone": NO_ANSWER}
            status, _, _ = await shop.post(fields)
            assert status == 303
            async with asyncio.timeout(10):
                while True:
                    payments = await shop.payments()
                    if len(payments) == attempt and payments[-1].status.is_final:
                        break
                    await asyncio.sleep(0.05)
            assert payments[-1].status is PaymentStatus.FAILED
            _status, html, _ = await shop.get(f"/pay/{ORDER}")
            assert 'id="other-way"' in html
            assert "Pay Bill. Business number: 174379. Account number: WW-1042." in html
            assert "Amount: KES 1,500." in html
            assert SIM_TIP in html
            assert "<form" in html  # trying again is still offered


async def test_a_second_push_daraja_refuses_is_followed_by_the_paybill(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    await seed(service)
    await reach_confirmation(telegram, "0700000007")  # always "unable to lock subscriber"
    await telegram.user_presses_button(CUSTOMER, "pay")
    await telegram.wait_for_message_to(CUSTOMER, "minute")
    assert not any("Pay Bill" in text for text in telegram.texts_to(CUSTOMER))

    await telegram.user_presses_button(CUSTOMER, "retry")
    await telegram.wait_for_message_to(CUSTOMER, "Pay KES 1,500 for order WW-1042")
    start = len(telegram.sent)
    await telegram.user_presses_button(CUSTOMER, "pay")
    other_way = await telegram.wait_for_message_to(CUSTOMER, "Other way to pay", start=start)
    assert PAYBILL in other_way.text
    texts = [m.text for m in telegram.sent[start:] if m.chat_id == CUSTOMER]
    why = next(i for i, text in enumerate(texts) if "minute" in text)
    assert why < texts.index(other_way.text)  # why it failed first, then the other way


async def test_after_two_cancelled_prompts_the_web_page_says_so_instead_of_the_form(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(
        service_settings(telegram, sqlite_url, mode="polling", web_checkout_enabled=True)
    )
    await seed(service)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        shop = WebShop(service, http)
        for attempt in (1, 2):
            token = await shop.form_token()
            fields = {"csrf": token, "lang": "sw", "amount": "1500", "phone": CANCELS}
            status, _, _ = await shop.post(fields)
            assert status == 303
            async with asyncio.timeout(10):
                while True:
                    payments = await shop.payments()
                    if len(payments) == attempt and payments[-1].status.is_final:
                        break
                    await asyncio.sleep(0.05)
        _status, html, _ = await shop.get(f"/pay/{ORDER}?lang=sw")
        assert "Umeghairi ombi la M-Pesa mara mbili" in html
        assert "Nambari ya akaunti: WW-1042" in html
        assert "<form" not in html


async def test_try_again_from_another_number_in_the_paused_hour_sends_no_prompt(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    # The hour without prompts is the order's: "Try again" from an older message, with
    # another number chosen, is answered with the hour and the paybill, and pushes nothing.
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    await seed(service)
    await reach_confirmation(telegram, CANCELS)
    await fail_once(telegram, 1)
    await telegram.user_presses_button(CUSTOMER, "retry")
    await telegram.wait_for_message_to(CUSTOMER, "Pay KES 1,500 for order WW-1042")
    await fail_once(telegram, 2)

    mark = len(telegram.sent)
    await telegram.user_presses_button(CUSTOMER, "retry")  # the first failure's button
    await telegram.wait_for_message_to(CUSTOMER, "from 0700 000 002?", start=mark)
    mark = len(telegram.sent)
    await telegram.user_presses_button(CUSTOMER, "change_phone")
    await telegram.wait_for_message_to(CUSTOMER, "M-Pesa number", start=mark)
    await telegram.user_sends_text(CUSTOMER, "0712345678")
    await telegram.wait_for_message_to(CUSTOMER, "from 0712 345 678?")
    mark = len(telegram.sent)
    await telegram.user_presses_button(CUSTOMER, "pay")
    refused = await telegram.wait_for_message_to(
        CUSTOMER, "cancelled the M-Pesa prompt twice", start=mark
    )
    assert "we will not send another for order WW-1042 for an hour" in refused.body
    assert PAYBILL in refused.body
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        payments = await unit.order_book.payments_for_order("WW-1042")
    assert [payment.phone for payment in payments] == ["254700000002", "254700000002"]
