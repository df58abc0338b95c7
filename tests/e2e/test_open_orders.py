"""``/orders``: a customer's open orders with "Pay", and "Not mine", on the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from checkout.domain.records import Channel, PaymentStatus
from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import CUSTOMER, STAFF_CHAT
from tests.staff.seeding import Seed, seed

PHONE = "254712345678"


async def open_order(
    service: Service, reference: str, amount: int, phone: str | None, description: str
) -> None:
    """An order the business made (as staff's /neworder does), for ``phone``."""
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        await unit.order_book.create_if_absent(
            reference,
            amount,
            description=description,
            customer_phone=phone,
            now=datetime.now(UTC),
        )
        await unit.commit()


async def remember_phone(service: Service, phone: str = PHONE) -> None:
    """The customer's saved number, as sharing it in the chat leaves it."""
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        customer = await unit.customers.get_or_create(
            Channel.TELEGRAM, str(CUSTOMER), language="en", now=datetime.now(UTC)
        )
        await unit.customers.set_phone(customer.id, phone, now=datetime.now(UTC))
        await unit.commit()


async def test_orders_lists_the_customers_open_orders_with_pay_and_not_mine(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    assert service.lipa is not None
    await remember_phone(service)
    await open_order(service, "WW-2001", 1500, PHONE, "Duvet wash")
    await open_order(service, "WW-2002", 800, "254799000111", "Someone else's")
    # Part paid from this chat: listed with what was paid, no "Not mine".
    await seed(
        service.lipa.units,
        Seed("WW-1042", 500, PaymentStatus.PAID, datetime.now(UTC), order_amount=1500),
    )
    await open_order(service, "WW-2003", 300, PHONE, "Paid already")
    await seed(service.lipa.units, Seed("WW-2003", 300, PaymentStatus.PAID, datetime.now(UTC)))

    await telegram.user_sends_command(CUSTOMER, "orders")
    listed = await telegram.wait_for_message_to(CUSTOMER, "Your open orders")
    assert "WW-2001: KES 1,500 to pay - Duvet wash" in listed.text
    assert "WW-1042: KES 1,000 to pay (KES 500 paid)" in listed.text
    assert "WW-2002" not in listed.text
    assert "WW-2003" not in listed.text
    assert sorted(listed.callback_data) == [
        "orders:no:WW-2001",
        "orders:pay:WW-1042",
        "orders:pay:WW-2001",
    ]

    start = len(telegram.sent)
    await telegram.user_presses_button(CUSTOMER, "orders:pay:WW-2001")
    asked = await telegram.wait_for_message_to(CUSTOMER, "WW-2001", start=start)
    assert "amount:1500" in asked.callback_data


async def test_not_mine_tells_the_staff_and_the_order_is_no_longer_listed(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    await remember_phone(service)
    await open_order(service, "WW-2001", 1500, PHONE, "Duvet wash")

    await telegram.user_sends_command(CUSTOMER, "orders")
    await telegram.wait_for_message_to(CUSTOMER, "Your open orders")
    await telegram.user_presses_button(CUSTOMER, "orders:no:WW-2001")
    thanks = await telegram.wait_for_message_to(CUSTOMER, "not yours")
    assert "We have told Wildwash that order WW-2001 is not yours" in thanks.text
    staff = await telegram.wait_for_message_to(STAFF_CHAT, "Not mine", timeout=10)
    assert "Order WW-2001 (KES 1,500) was declined by the customer (Telegram" in staff.text

    start = len(telegram.sent)
    await telegram.user_sends_command(CUSTOMER, "orders")
    again = await telegram.wait_for_message_to(CUSTOMER, "open orders", start=start)
    assert again.text == "You have no open orders."

    # A second press of the old button is answered without telling the staff again.
    start = len(telegram.sent)
    await telegram.user_presses_button(CUSTOMER, "orders:no:WW-2001")
    refused = await telegram.wait_for_message_to(CUSTOMER, "WW-2001", start=start)
    assert "can no longer be declined" in refused.text
    assert len([m for m in telegram.sent_to(STAFF_CHAT) if "Not mine" in m.text]) == 1


async def test_an_order_with_two_cancelled_prompts_is_listed_without_pay_for_an_hour(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    assert service.lipa is not None
    now = datetime.now(UTC)
    for minutes in (5, 2):
        await seed(
            service.lipa.units,
            Seed("WW-1042", 1500, PaymentStatus.CANCELLED, now - timedelta(minutes=minutes)),
        )
    await telegram.user_sends_command(CUSTOMER, "orders")
    listed = await telegram.wait_for_message_to(CUSTOMER, "Your open orders")
    assert "WW-1042: KES 1,500 to pay (prompts paused until" in listed.text
    assert listed.callback_data == ["orders:no:WW-1042"]  # no "Pay" until the hour is over


async def test_a_customer_with_nothing_open_is_told_so_in_swahili(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    await start_service(
        service_settings(telegram, sqlite_url, mode="polling", default_language="sw")
    )
    await telegram.user_sends_command(CUSTOMER, "orders")
    answer = await telegram.wait_for_message_to(CUSTOMER, "oda")
    assert answer.text == "Huna oda zilizo wazi."
