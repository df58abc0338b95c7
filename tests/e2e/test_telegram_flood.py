"""Twenty customers check out at once against a Bot API enforcing Telegram's flood limits.

Telegram answers 429 to a second message within a second to a private chat (and beyond 20 a
minute to a group, 30 a second in all). No reply may be lost to it: every customer reaches
the paid message, and every message reaches its customer exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings

CUSTOMERS = 20
FIRST_CHAT = 8100
AMOUNT = 1500
STAFF_CHAT = -1001


def reference(index: int) -> str:
    return f"WW-{3000 + index}"


async def seed_orders(service: Service) -> None:
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        for index in range(CUSTOMERS):
            await unit.orders.create(reference(index), AMOUNT, known=True)
        await unit.commit()


async def check_out(telegram: FakeTelegram, index: int) -> None:
    """One customer's whole checkout, each step taken as soon as its question arrives."""
    chat = FIRST_CHAT + index
    order = reference(index)
    await telegram.user_sends_command(chat, "start", f"pay_{order}")
    await telegram.wait_for_message_to(chat, "KES 1,500", timeout=60)
    await telegram.user_presses_button(chat, f"amount:{AMOUNT}")
    await telegram.wait_for_message_to(chat, "M-Pesa number", timeout=60)
    await telegram.user_shares_contact(chat, f"+2547110{index:05d}")
    await telegram.wait_for_message_to(chat, f"Pay KES 1,500 for order {order}", timeout=60)
    await telegram.user_presses_button(chat, "pay")
    await telegram.wait_for_message_to(chat, "PIN", timeout=60)
    await telegram.wait_for_message_to(chat, "receipt", timeout=60)


async def test_twenty_customers_checking_out_at_once_all_reach_the_paid_message_once(
    telegram: FakeTelegram, start_service: StartService, database_url: str
) -> None:
    telegram.enforce_rate_limits()
    service = await start_service(service_settings(telegram, database_url, mode="webhook"))
    await seed_orders(service)

    await asyncio.gather(*(check_out(telegram, index) for index in range(CUSTOMERS)))

    for index in range(CUSTOMERS):
        texts = telegram.texts_to(FIRST_CHAT + index)
        # Each message exactly once: the order's amount question, the phone question (one
        # message carrying the "Share my number" keyboard), the confirmation, the PIN
        # prompt, the receipt.
        assert len(texts) == 5, texts
        assert Counter(texts).most_common(1)[0][1] == 1, texts
        assert "M-Pesa number" in texts[1]
        assert "receipt" in texts[-1]
    # The staff are told of every payment once (in digests, at the group's pace).
    await telegram.wait_until(
        lambda: all(
            reference(index) in "\n".join(telegram.texts_to(STAFF_CHAT))
            for index in range(CUSTOMERS)
        ),
        timeout=90,
    )
    staff = "\n".join(telegram.texts_to(STAFF_CHAT))
    for index in range(CUSTOMERS):
        assert staff.count(reference(index)) == 1, reference(index)


async def test_a_confirmation_telegram_holds_back_for_long_comes_from_the_outbox_once(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="webhook"))
    await seed_orders(service)
    chat, order = FIRST_CHAT, reference(0)
    await telegram.user_sends_command(chat, "start", f"pay_{order}")
    await telegram.wait_for_message_to(chat, "KES 1,500")
    await telegram.user_presses_button(chat, f"amount:{AMOUNT}")
    await telegram.wait_for_message_to(chat, "M-Pesa number")
    # Longer than an update may wait: the confirmation goes to the outbox, which sends it
    # once Telegram's retry_after has passed.
    telegram.flood_next(1, retry_after=10)
    await telegram.user_shares_contact(chat, "+254711000000")
    confirmation = await telegram.wait_for_message_to(
        chat, f"Pay KES 1,500 for order {order}", timeout=30
    )
    assert confirmation.callback_data == ["pay", "change_phone", "cancel"]
    await telegram.user_presses_button(chat, "pay")
    await telegram.wait_for_message_to(chat, "receipt", timeout=30)
    texts = telegram.texts_to(chat)
    assert len(texts) == 5, texts
    assert len(set(texts)) == 5, texts
