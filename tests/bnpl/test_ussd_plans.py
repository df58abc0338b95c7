"""A USSD caller's plans and open orders on the menu, and their reminders by SMS (issue 21).

The services wired as in ``lipa.app``, the USSD gateway's form POSTs over a real socket, a
fake gateway and a clock moved by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from checkout.bnpl.views.plans import ussd_reminder_reply
from checkout.channels.gsm import SCREEN_LENGTH, gsm7_length, is_gsm7
from checkout.channels.ussd.sessions import UssdService
from checkout.conversation.open_orders import OpenOrders
from checkout.conversation.replying import chat_conversations
from checkout.conversation.service import ConversationService
from checkout.conversation.steps.call import FlowSettings
from checkout.domain.records import Channel, Language
from checkout.i18n.ussd.care import u
from tests.bnpl.conftest import (
    RULES,
    START,
    Shop,
    UowFactory,
    make_shop,
    seed_active_plan,
)
from tests.ussd.conftest import Phone
from webhook.app import WebhookConfig, create_app
from webhook.ussd import UssdHandler

CALLER = "+254712345678"
KEY = "254712345678"
CODE = "*384*1042#"

Dial = Callable[..., Awaitable[Phone]]


@pytest.fixture
async def shop(uow: UowFactory) -> Shop:
    return make_shop(uow)


@pytest.fixture
async def dial(uow: UowFactory, shop: Shop) -> AsyncIterator[Dial]:
    """A handset dialling the USSD service of ``shop`` (plans and open orders wired)."""
    chat = chat_conversations(
        ConversationService(
            uow,
            shop.payments,
            FlowSettings("Wildwash", plans=RULES),
            clock=shop.clock,
            plans=shop.desk,
            orders=OpenOrders(uow, clock=shop.clock, business_name="Wildwash"),
        )
    )
    ussd = UssdService(uow, chat, clock=shop.clock)
    app = create_app(
        WebhookConfig(settlement=shop.settlement, callback_secret="s", ussd=UssdHandler(ussd))
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    sessions = iter(range(1, 1000))

    async def make(number: str = CALLER) -> Phone:
        return Phone(client, number, f"ATUid_care{next(sessions)}")

    yield make
    await client.close()


async def seed_plan(
    uow: UowFactory, reference: str = "WW-1042", *, language: Language = "en"
) -> None:
    await seed_active_plan(
        uow,
        reference=reference,
        chat_key=KEY,
        phone=KEY,
        taken_at=START,
        channel=Channel.USSD,
        language=language,
    )


async def whole(phone: Phone, screen: str) -> str:
    """``screen`` with every following page ("98. More"), as the caller reads them all."""
    pages = [screen]
    while pages[-1].endswith("\n98. More"):
        pages.append(await phone.send("98"))
    return "\n".join([pages[0], *(page[len("CON ") :] for page in pages[1:])])


def choice(screen: str, label: str) -> str:
    """The number of the choice ``label`` on ``screen``."""
    for line in screen.split("\n"):
        number, _, shown = line.partition(". ")
        if shown.startswith(label) and number.isdigit():
            return number
    raise AssertionError(f"{label!r} not on {screen!r}")


async def test_the_menu_offers_open_orders_and_my_plans_only_to_a_caller_with_a_plan(
    uow: UowFactory, dial: Dial
) -> None:
    menu = await (await dial()).dial()
    assert menu == (
        "CON Wildwash - pay with M-Pesa\n1. Pay an order\n2. My last payment\n"
        "3. Language / Lugha\n4. My open orders"
    )
    await seed_plan(uow)
    menu = await (await dial()).dial()
    assert menu.endswith("4. My open orders\n5. My plans")


async def test_my_plans_moves_a_date_from_the_menu(uow: UowFactory, shop: Shop, dial: Dial) -> None:
    await seed_plan(uow)
    phone = await dial()
    await phone.dial()
    plans = await whole(phone, await phone.send("5"))
    assert "Order WW-1042: KES 750 paid, KES 2,250 left." in plans
    for label in ("Pay next installment now", "Pay everything now", "Move this date"):
        assert label in plans
    days = await whole(phone, await phone.send(choice(plans, "Move this date")))
    assert "Move installment 1 of 3 for order WW-1042" in days
    moved = await phone.send(choice(days, "To"))
    assert moved.startswith("END Done: installment 1 of 3 for order WW-1042")
    plan = await shop.plan()
    assert plan.installment(1).moved_from is not None
    assert plan.date_moved


async def test_my_plans_lists_several_plans_to_choose_one(uow: UowFactory, dial: Dial) -> None:
    await seed_plan(uow, "WW-1042")
    await seed_plan(uow, "WW-2001")
    phone = await dial()
    await phone.dial()
    listed = await phone.send("5")
    assert listed.startswith("CON Your plans. Choose one:")
    assert "WW-2001: KES 2,250 left" in listed
    shown = await whole(phone, await phone.send(choice(listed, "WW-2001")))
    assert "Order WW-2001" in shown
    assert "Move this date" in shown


async def test_pay_next_from_my_plans_queues_the_push_after_the_session(
    uow: UowFactory, shop: Shop, dial: Dial
) -> None:
    await seed_plan(uow)
    phone = await dial()
    await phone.dial()
    plans = await whole(phone, await phone.send("5"))
    ended = await phone.send(choice(plans, "Pay next installment now"))
    assert ended.startswith("END ")
    assert "M-Pesa prompt" in ended
    async with uow() as unit:
        due = await unit.pushes.claim_due(
            now=shop.clock() + timedelta(minutes=1), limit=5, lease_seconds=1
        )
    assert len(due) == 1


async def test_my_open_orders_lists_an_order_made_for_the_caller_and_pays_it(
    uow: UowFactory, shop: Shop, dial: Dial
) -> None:
    async with uow() as unit:
        await unit.order_book.create_if_absent(
            "WW-2001", 1500, description="Duvet", customer_phone=KEY, now=shop.clock()
        )
        await unit.commit()
    phone = await dial()
    await phone.dial()
    listed = await whole(phone, await phone.send("4"))
    assert "WW-2001: KES 1,500 to pay - Duvet" in listed
    assert "Not mine: WW-2001" in listed
    amount = await phone.send(choice(listed, "Pay WW-2001"))
    assert amount.startswith("CON Order WW-2001: KES 1,500 to pay.")
    confirm = await phone.send("1")
    assert "Pay KES 1,500 for WW-2001" in confirm
    assert (await phone.send("1")).startswith("END You will get an M-Pesa prompt")


async def test_no_open_orders_is_said_and_ends(dial: Dial) -> None:
    phone = await dial()
    await phone.dial()
    assert await phone.send("4") == "END You have no open orders."


@pytest.mark.parametrize("language", ["en", "sw"])
async def test_a_ussd_customers_reminder_names_the_code_in_one_sms(
    uow: UowFactory, language: Language
) -> None:
    shop = make_shop(uow, ussd_code=CODE)
    await seed_plan(uow, language=language)
    first = (await shop.plan()).installment(1)
    await shop.collect(first.due_at - timedelta(days=1))
    (reminder,) = [m for m in await shop.messages() if m["chat"] == KEY]
    text = str(reminder["text"])
    assert f"{CODE} > " in text
    assert ("move the date" if language == "en" else "sogeza tarehe") in text
    assert gsm7_length(text) <= SCREEN_LENGTH


async def test_a_telegram_customers_reminder_is_unchanged(uow: UowFactory) -> None:
    shop = make_shop(uow, ussd_code=CODE)
    await seed_active_plan(uow, reference="WW-1042", chat_key="42", phone=KEY, taken_at=START)
    first = (await shop.plan()).installment(1)
    await shop.collect(first.due_at - timedelta(days=1))
    (reminder,) = [m for m in await shop.messages() if m["chat"] == "42"]
    assert CODE not in str(reminder["text"])
    assert str(reminder["text"]).startswith("Reminder: KES 750 for order WW-1042")


@pytest.mark.parametrize("language", ["en", "sw"])
async def test_the_longest_reminder_fits_one_sms(uow: UowFactory, language: Language) -> None:
    # The longest reference, a six-figure amount, 12 installments, the longest hour and code.
    await seed_plan(uow, "ABCDEFGHIJKL", language=language)
    async with uow() as unit:
        plan = await unit.plans.get(1)
    assert plan is not None
    first = replace(plan.installment(1), amount=249_999)
    later = tuple(
        replace(first, number=n, due_at=first.due_at + timedelta(days=7 * (n - 1)))
        for n in range(1, 13)
    )
    plan = replace(plan, installments=(plan.installments[0], *later))
    for hour in range(24):  # "saa kumi na moja alfajiri (05:00)" is the longest
        rules = replace(RULES, collection_hour=hour)
        for code in (CODE, "*384*12345*678#"):
            text = ussd_reminder_reply(plan, later[-1], rules, START, code).text
            assert u(language, "care_move") in text
            assert is_gsm7(text)
            assert gsm7_length(text) <= SCREEN_LENGTH, (gsm7_length(text), text)


@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_longest_grace_reminder_fits_one_sms(language: Language) -> None:
    date = "Jumamosi 26/12" if language == "sw" else "Wed 30/12"
    text = u(
        language,
        "missed",
        amount="249,999",
        order="ABCDEFGHIJKL",
        number=12,
        count=12,
        date=date,
        until=date,
        care=u(language, "care_roll"),
        code="*384*12345*678#",
    )
    assert is_gsm7(text)
    assert gsm7_length(text) <= SCREEN_LENGTH, (gsm7_length(text), text)
