"""A paid payment's Telegram message carries a "Receipt (PDF)" URL button (issue 16 item 4).

The settling hook is run on a real database with a paid payment; Telegram's rendering turns the
button into a URL button; a local address (a quick start's) gets the text link only, since
Telegram refuses URL buttons to local hosts.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.rendering import render
from checkout.conversation.model import ButtonPressed, Command, TextMessage
from checkout.domain.outcomes import PaymentOutcome
from checkout.domain.records import Channel, Payment, PaymentStatus
from checkout.domain.replies import reply_from_payload, reply_to_payload
from checkout.i18n.contact import NO_CONTACT
from checkout.i18n.payments.messages import customer_reply
from lipa.receipt_links import ReceiptLinks, public_address
from lipa_testing.clocks import SettableClock
from tests.bnpl.conftest import BALANCE, ORDER, UowFactory, make_shop

BASE = "https://pay.wildwash.co.ke"


async def _paid(uow: UowFactory) -> Payment:
    shop = make_shop(uow)
    async with uow() as unit:
        await unit.orders.create(ORDER, BALANCE, known=True)
        await unit.commit()
    await shop.say(Command("pay", ORDER), ButtonPressed("amount:3000"))
    await shop.say(TextMessage("0712345678"), ButtonPressed("pay"))
    await shop.settle_last(0)
    async with uow() as unit:
        [payment] = await unit.order_book.payments_for_order(ORDER)
    assert payment.status is PaymentStatus.PAID
    return payment


async def test_telegrams_paid_message_gets_a_receipt_button(uow: UowFactory) -> None:
    payment = await _paid(uow)
    assert payment.channel is Channel.TELEGRAM
    links = ReceiptLinks(None, BASE, clock=SettableClock())
    async with uow() as unit:
        outcome = await links.settled(unit, PaymentOutcome(payment))
        await unit.commit()
    reply = customer_reply(outcome, contact=NO_CONTACT)
    [[button]] = reply.buttons
    assert button.label == "Receipt (PDF)"
    assert re.fullmatch(rf"{re.escape(BASE)}/receipts/[0-9a-f]{{32}}\?lang=en", button.url)
    assert button.url in reply.text  # the text link stays, for copying and forwarding
    # Through the outbox and onto Telegram: a URL button, no callback data.
    message = render(reply_from_payload(reply_to_payload(reply)))
    markup = message.markup
    assert markup is not None
    [[shown]] = markup.inline_keyboard  # type: ignore[attr-defined]
    assert (shown.url, shown.callback_data) == (button.url, None)


async def test_a_whatsapp_payment_or_a_local_address_gets_the_text_link_only(
    uow: UowFactory,
) -> None:
    payment = await _paid(uow)
    for links, paid in (
        (ReceiptLinks(None, "http://127.0.0.1:8080", clock=SettableClock()), payment),
        (
            ReceiptLinks(None, BASE, clock=SettableClock()),
            replace(payment, channel=Channel.WHATSAPP),
        ),
    ):
        async with uow() as unit:
            outcome = await links.settled(unit, PaymentOutcome(paid))
            await unit.commit()
        reply = customer_reply(outcome, contact=NO_CONTACT)
        assert reply.buttons == ()
        assert "/receipts/" in reply.text


def test_which_addresses_telegram_takes() -> None:
    assert public_address("https://pay.wildwash.co.ke")
    assert public_address("http://203.0.113.9:8080") is False  # documentation range
    assert public_address("http://8.8.8.8")
    assert not public_address("http://localhost:8080")
    assert not public_address("http://127.0.0.1:8080")
    assert not public_address("http://192.168.1.5")
    assert not public_address("http://shop.local")
