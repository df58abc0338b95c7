"""The customer's once-per-plan changes, their limits, in process (the end-to-end stories are
in ``test_plan_care``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from checkout.bnpl.records import InstallmentStatus
from checkout.conversation.model import ButtonPressed, Command
from checkout.i18n.texts import TEXTS
from tests.bnpl.conftest import (
    RULES,
    STAFF,
    Shop,
    UowFactory,
    data_of,
    make_shop,
    nairobi,
    take_plan,
)

FIRST = date(2026, 12, 5)


async def shop_with(uow: UowFactory, **rules: int) -> Shop:
    shop = make_shop(uow, rules=replace(RULES, **rules))
    async with uow() as unit:
        await unit.orders.create("WW-1042", 3000, known=True)
        await unit.commit()
    return shop


async def test_a_date_moves_at_most_up_to_the_next_installments_date(uow: UowFactory) -> None:
    shop = await shop_with(uow, interval_days=3)
    await take_plan(shop, 3)
    (choices,) = await shop.say(ButtonPressed("plan:move:1"))
    # Installments on 01/12, 04/12 and 07/12: the first may move to 02/12, 03/12 or 04/12.
    assert data_of(choices) == ["plan:moveto:1:1", "plan:moveto:1:2", "plan:moveto:1:3"]
    # A day not offered shows the days that may be chosen, and moves nothing.
    (again,) = await shop.say(ButtonPressed("plan:moveto:1:5"))
    assert data_of(again) == data_of(choices)
    assert (await shop.plan()).installment(1).moved_from is None


async def test_a_missed_last_installment_cannot_be_added_to_a_next_payment(shop: Shop) -> None:
    await take_plan(shop, 2)
    second = nairobi(FIRST + timedelta(days=7))
    await shop.collect(nairobi(FIRST))
    await shop.settle_last(0)
    await shop.collect(second)
    await shop.settle_last(1)
    shop.clock.now = second + timedelta(hours=2)
    listed = await shop.say(Command("plans"))
    assert "plan:roll:1" not in data_of(listed[-1])
    (answer,) = await shop.say(ButtonPressed("plan:roll:1"))
    assert answer.text == "There is no missed installment on this plan to add to a next payment."
    assert (await shop.plan()).installment(2).status is InstallmentStatus.DUE


async def test_nothing_changes_under_a_prompt_in_flight(shop: Shop) -> None:
    await take_plan(shop, 3)
    await shop.collect(nairobi(FIRST))
    await shop.settle_last(1)
    shop.clock.now = nairobi(FIRST, 12)
    await shop.say(ButtonPressed("plan:next:1"))  # the customer pays it now: a prompt is open
    (answer,) = await shop.say(ButtonPressed("plan:roll:1"))
    assert answer.text == TEXTS["en"]["already_paying"]
    plan = await shop.plan()
    assert plan.installment(1).status is InstallmentStatus.DUE
    assert plan.installment(2).amount == 750


async def test_the_changes_read_in_swahili(shop: Shop) -> None:
    await shop.say(Command("lugha"), ButtonPressed("lang:sw"))
    await take_plan(shop, 3)
    (choices,) = await shop.say(ButtonPressed("plan:move:1"))
    assert choices.text.startswith("Sogeza awamu 1 kati ya 3 ya oda WW-1042")
    assert next(b.label for row in choices.buttons for b in row) == "Hadi Jumapili 06/12"


async def test_a_swahili_customers_moved_date_reaches_the_english_staff_in_english(
    shop: Shop,
) -> None:
    await shop.say(Command("lugha"), ButtonPressed("lang:sw"))
    await take_plan(shop, 3)
    await shop.messages()  # what taking the plan queued
    await shop.say(ButtonPressed("plan:moveto:1:1"))
    (notice,) = [m for m in await shop.messages() if m["chat"] == STAFF]
    # The staff group reads English (its default): the dates too, not the customer's Swahili.
    assert " from Sat 05/12 to Sun 06/12." in str(notice["text"])
    assert "Jumamosi" not in str(notice["text"])
