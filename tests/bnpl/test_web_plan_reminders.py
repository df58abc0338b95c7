"""A plan taken on the web page is reminded by SMS to the phone it collects from.

The web channel's messages only wake an order's page left open; with SMS on (USSD customers'
channel) the reminder also goes to the plan's phone as an SMS, once, in the customer's
language. The services are wired as in ``lipa.app``, on both databases.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from checkout.domain.records import Channel, Language
from tests.bnpl.conftest import START, Shop, UowFactory, make_shop, seed_active_plan

ORDER = "WW-1042"
PHONE = "254712345678"


async def queued(shop: Shop) -> list[tuple[Channel, str, str, int]]:
    """The outbox messages queued since the last call: channel, chat, text, buttons."""
    async with shop.uow() as unit:
        claimed = await unit.outbox.claim_due(
            now=shop.clock() + timedelta(days=400), limit=500, lease_seconds=1
        )
        for message in claimed:
            await unit.outbox.mark_sent(message.id, now=shop.clock())
        await unit.commit()
    return [
        (
            message.channel,
            message.chat_key,
            str(message.payload["text"]),
            len(message.payload.get("buttons") or []),
        )
        for message in claimed
    ]


async def web_plan(uow: UowFactory, language: Language = "en") -> None:
    await seed_active_plan(
        uow,
        reference=ORDER,
        chat_key=ORDER,
        phone=PHONE,
        taken_at=START,
        channel=Channel.WEB,
        language=language,
    )


@pytest.mark.parametrize("language", ["en", "sw"])
async def test_a_web_plans_reminder_goes_by_sms_to_its_phone_once(
    uow: UowFactory, language: Language
) -> None:
    shop = make_shop(uow, sms=True)
    await web_plan(uow, language)
    first = (await shop.plan()).installment(1)
    assert (await shop.collect(first.due_at - timedelta(days=1))).reminders == 1
    messages = await queued(shop)
    [(_, page, page_text, _)] = [m for m in messages if m[0] is Channel.WEB]
    [(_, phone, sms_text, buttons)] = [m for m in messages if m[0] is Channel.USSD]
    assert (page, phone) == (ORDER, PHONE)
    # The chat's words for the reminder, without its buttons (an SMS has none).
    assert sms_text == page_text
    assert ("is due tomorrow" if language == "en" else "kesho") in sms_text
    assert "750" in sms_text
    assert buttons == 0
    # However many passes run, it goes out once.
    assert (await shop.collect(first.due_at - timedelta(hours=20))).reminders == 0
    assert await queued(shop) == []


async def test_a_web_plans_grace_reminder_goes_by_sms_too(uow: UowFactory) -> None:
    shop = make_shop(uow, sms=True)
    await web_plan(uow)
    first = (await shop.plan()).installment(1)
    until = first.due_at + timedelta(days=3)
    async with uow() as unit:
        missed = replace(
            first, next_attempt_at=None, overdue_at=until, remind_at=until - timedelta(days=1)
        )
        await unit.plans.save_installment(missed)
        await unit.commit()
    await shop.collect(until - timedelta(days=1))
    [sms] = [m for m in await queued(shop) if m[0] is Channel.USSD]
    assert sms[1] == PHONE
    assert "is not paid yet" in sms[2]


async def test_without_sms_a_web_plans_reminder_only_wakes_its_page(uow: UowFactory) -> None:
    shop = make_shop(uow, sms=False)
    await web_plan(uow)
    first = (await shop.plan()).installment(1)
    await shop.collect(first.due_at - timedelta(days=1))
    assert [(m[0], m[1]) for m in await queued(shop)] == [(Channel.WEB, ORDER)]


async def test_a_telegram_plans_reminder_is_not_sent_by_sms(uow: UowFactory) -> None:
    shop = make_shop(uow, sms=True)
    await seed_active_plan(uow, reference=ORDER, chat_key="42", phone=PHONE, taken_at=START)
    first = (await shop.plan()).installment(1)
    await shop.collect(first.due_at - timedelta(days=1))
    assert [(m[0], m[1]) for m in await queued(shop)] == [(Channel.TELEGRAM, "42")]
