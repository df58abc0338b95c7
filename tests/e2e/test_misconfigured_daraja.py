"""A wrong passkey stops payments: the customer is told plainly, the staff once."""

from __future__ import annotations

from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import STAFF_CHAT, seed


async def try_to_pay(telegram: FakeTelegram, customer: int) -> str:
    """Go from the pay link to Pay; return what the customer is told."""
    await telegram.user_sends_command(customer, "start", "pay_WW-1042")
    await telegram.wait_for_message_to(customer, "KES 1,500")
    await telegram.user_presses_button(customer, "amount:1500")
    await telegram.wait_for_message_to(customer, "M-Pesa number")
    await telegram.user_shares_contact(customer, "+254712345678")
    await telegram.wait_for_message_to(customer, "Pay KES 1,500 for order WW-1042")
    await telegram.user_presses_button(customer, "pay")
    answer = await telegram.wait_for_message_to(customer, "not answering", timeout=10)
    return answer.text


async def test_a_wrong_passkey_alerts_the_staff_once_however_many_pushes_fail(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    # The simulator knows its own passkey only: this one gets "Wrong credentials".
    settings = service_settings(
        telegram, sqlite_url, mode="polling", mpesa_passkey="a-passkey-that-is-wrong"
    )
    service = await start_service(settings)
    await seed(service)
    for customer in (5101, 5102):
        told = await try_to_pay(telegram, customer)
        assert "busy" not in told.lower()  # not "your phone is locked, try again"
    alert = await telegram.wait_for_message_to(STAFF_CHAT, "Wrong credentials", timeout=10)
    assert "MPESA_PASSKEY" in alert.text
    # A later message to the staff chat's neighbour proves the outbox has caught up.
    await telegram.user_sends_command(5101, "start")
    await telegram.wait_for_message_to(5101, "Welcome", start=len(telegram.sent))
    alerts = [m for m in telegram.sent if m.chat_id == STAFF_CHAT and "credentials" in m.body]
    assert len(alerts) == 1
