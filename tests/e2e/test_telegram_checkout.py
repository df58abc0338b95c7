"""A customer pays on Telegram: the real bot, webhook server and simulator on real sockets."""

from __future__ import annotations

import pytest

from daraja.simulator.settings import SimulatorSettings
from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings

CUSTOMER = 5001
STAFF_CHAT = -1001


async def seed(service: Service, reference: str = "WW-1042", amount: int = 1500) -> None:
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        await unit.orders.create(reference, amount, known=True)
        await unit.commit()


async def reach_confirmation(telegram: FakeTelegram, phone: str = "+254712345678") -> None:
    await telegram.user_sends_command(CUSTOMER, "start", "pay_WW-1042")
    await telegram.wait_for_message_to(CUSTOMER, "KES 1,500")
    await telegram.user_presses_button(CUSTOMER, "amount:1500")
    await telegram.wait_for_message_to(CUSTOMER, "M-Pesa number")
    if phone.startswith("+"):
        await telegram.user_shares_contact(CUSTOMER, phone)
    else:
        await telegram.user_sends_text(CUSTOMER, phone)
    await telegram.wait_for_message_to(CUSTOMER, "Pay KES 1,500 for order WW-1042")


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_customer_pays_from_start_to_receipt(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str, mode: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode=mode))
    await seed(service)
    await telegram.user_sends_command(CUSTOMER, "start")
    greeting = await telegram.wait_for_message_to(CUSTOMER, "Wildwash")
    assert greeting.button_texts == ["Pay an order", "My payments", "Help"]

    await reach_confirmation(telegram)
    await telegram.user_presses_button(CUSTOMER, "pay")
    await telegram.wait_for_message_to(CUSTOMER, "PIN")
    paid = await telegram.wait_for_message_to(CUSTOMER, "receipt", timeout=10)
    assert "fully paid" in paid.text
    staff = await telegram.wait_for_message_to(STAFF_CHAT, "WW-1042", timeout=10)
    assert "2547****5678" in staff.text
    presses = 2  # the amount and Pay
    assert len(telegram.answered_callback_queries) == presses  # each answered once
    # With a webhook the webhook's own answer answers each press: no Bot API call for it.
    assert telegram.webhook_reply_methods == (
        ["answerCallbackQuery"] * presses if mode == "webhook" else []
    )


@pytest.mark.parametrize(
    ("phone", "words"),
    [
        ("0700000002", "cancel"),
        ("0700000003", "balance"),
        ("0700000004", "phone"),
        ("0700000005", "PIN"),
    ],
)
async def test_each_failure_gives_its_reason_and_a_try_again_button(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str, phone: str, words: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    await seed(service)
    await reach_confirmation(telegram, phone)
    await telegram.user_presses_button(CUSTOMER, "pay")
    outcome = await telegram.wait_for_message_to(CUSTOMER, "Not paid", timeout=10)
    assert words.lower() in outcome.text.lower()
    assert outcome.callback_data == ["retry", "paid:WW-1042"]


async def test_a_locked_subscriber_is_asked_to_wait_a_minute(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    await seed(service)
    await reach_confirmation(telegram, "0700000007")
    await telegram.user_presses_button(CUSTOMER, "pay")
    message = await telegram.wait_for_message_to(CUSTOMER, "minute")
    assert message.callback_data == ["retry"]
    assert "500.001" not in message.text


async def test_a_webhook_update_without_the_secret_is_refused(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start_service(service_settings(telegram, sqlite_url, mode="webhook"))
    assert telegram.webhook is not None
    update = await telegram.user_sends_command(CUSTOMER, "start")
    assert update.webhook_status == 200
    assert await telegram.deliver_to_webhook(update, secret_token=None) == 401
    assert await telegram.deliver_to_webhook(update, secret_token="wrong") == 401


async def test_a_restart_mid_conversation_continues_where_the_customer_was(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(telegram, sqlite_url, mode="webhook")
    first = await start_service(settings)
    await seed(first)
    await telegram.user_sends_command(CUSTOMER, "start", "pay_WW-1042")
    await telegram.wait_for_message_to(CUSTOMER, "KES 1,500")
    await telegram.user_presses_button(CUSTOMER, "amount:1500")
    await telegram.wait_for_message_to(CUSTOMER, "M-Pesa number")
    await first.stop()

    await start_service(settings)
    await telegram.user_sends_text(CUSTOMER, "0712 345 678")
    confirmation = await telegram.wait_for_message_to(CUSTOMER, "Pay KES 1,500 for order WW-1042")
    assert confirmation.callback_data == ["pay", "change_phone", "cancel"]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_the_pin_prompt_comes_before_the_outcome_of_a_callback_that_beats_it(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str, mode: str
) -> None:
    # The simulator calls back the moment it accepts the push: the outcome is settled (and
    # its message queued) while the Pay press's own reply is still to be sent.
    service = await start_service(
        service_settings(telegram, sqlite_url, mode=mode),
        simulator=SimulatorSettings(callback_delay=0.0, seed=7),
    )
    await seed(service)
    await reach_confirmation(telegram)
    await telegram.user_presses_button(CUSTOMER, "pay")
    await telegram.wait_for_message_to(CUSTOMER, "receipt", timeout=10)
    await telegram.wait_for_message_to(CUSTOMER, "PIN", timeout=10)
    texts = [message.text for message in telegram.sent_to(CUSTOMER)]
    prompt = next(i for i, text in enumerate(texts) if "PIN" in text)
    paid = next(i for i, text in enumerate(texts) if "receipt" in text)
    assert prompt < paid
