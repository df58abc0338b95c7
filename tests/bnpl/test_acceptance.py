"""Accepting a plan: the deposit's push at once; the plan starts only when the deposit is paid."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from checkout.bnpl.records import InstallmentStatus, PlanStatus
from checkout.conversation.model import ButtonPressed, Command
from checkout.domain.outcomes import PushProblem
from checkout.domain.records import OrderStatus
from checkout.payments.gateway import PushFailed
from tests.bnpl.conftest import (
    CHAT,
    ORDER,
    STAFF,
    Shop,
    buttons,
    data_of,
    nairobi,
    offer,
    take_plan,
)


async def test_taking_an_option_pushes_the_deposit_at_once_and_the_plan_waits_for_it(
    shop: Shop,
) -> None:
    replies = await take_plan(shop, 3, pay_deposit=False)
    assert shop.gateway.pushes == [
        {"phone": "254712345678", "amount": 750, "reference": ORDER, "description": "Order payment"}
    ]
    assert replies[-1].text == (
        "Check your phone and enter your M-Pesa PIN to pay the deposit of KES 750 for order "
        "WW-1042. The plan starts once it is paid."
    )
    plan = await shop.plan()
    assert plan.status is PlanStatus.PENDING_DEPOSIT
    assert [item.amount for item in plan.installments] == [750, 750, 750, 750]
    assert all(item.next_attempt_at is None for item in plan.installments)


async def test_the_plan_becomes_active_when_the_deposit_is_paid(shop: Shop) -> None:
    await take_plan(shop, 3, pay_deposit=False)
    await shop.messages()
    await shop.settle_last(0)
    plan = await shop.plan()
    assert plan.status is PlanStatus.ACTIVE
    assert plan.deposit.status is InstallmentStatus.PAID
    assert [item.next_attempt_at for item in plan.installments[1:]] == [
        nairobi(date(2026, 12, day)) for day in (5, 12, 19)
    ]
    assert [item.remind_at for item in plan.installments[1:]] == [
        nairobi(date(2026, 12, day)) for day in (4, 11, 18)
    ]
    order = await shop.order()
    assert (order.status, order.amount_paid) == (OrderStatus.PARTLY_PAID, 750)
    messages = await shop.messages()
    customer = [m["text"] for m in messages if m["chat"] == CHAT]
    assert customer == [
        "Deposit paid: KES 750 for order WW-1042, receipt RCPT1. Your plan is active. "
        "Next: KES 750 on Sat 05/12."
    ]
    staff = [m["text"] for m in messages if m["chat"] == STAFF]
    assert any("paid the KES 750 deposit for WW-1042" in text for text in staff)
    assert any("paid KES 750 for WW-1042 — receipt RCPT1" in text for text in staff)  # issue 22


async def test_the_staff_hear_that_a_plan_was_chosen(shop: Shop) -> None:
    await take_plan(shop, 2, pay_deposit=False)
    staff = [m["text"] for m in await shop.messages() if m["chat"] == STAFF]
    assert staff == [
        "2547****5678 chose to pay WW-1042 (KES 3,000) in parts: a deposit of KES 750 and "
        "2 installments. Waiting for the deposit."
    ]


class TestDepositNotPaid:
    async def _failed_deposit(self, shop: Shop, code: int = 1032) -> list[str]:
        await take_plan(shop, 3, pay_deposit=False)
        await shop.messages()
        await shop.settle_last(code)
        (message,) = await shop.customer_messages()
        assert "The plan starts once the deposit is paid" in message["text"]
        return [button["data"] for row in message["buttons"] for button in row]

    async def test_a_failed_deposit_leaves_the_plan_waiting_with_try_again_or_drop(
        self, shop: Shop
    ) -> None:
        assert await self._failed_deposit(shop) == ["plan:deposit:1", "plan:drop:1"]
        assert (await shop.plan()).status is PlanStatus.PENDING_DEPOSIT
        # Nothing is ever collected from a plan that has not started.
        report = await shop.collect(nairobi(date(2027, 2, 1)))
        assert report.pushes == ()
        assert len(shop.gateway.pushes) == 1

    async def test_try_again_pushes_the_deposit_and_paying_it_starts_the_plan(
        self, shop: Shop
    ) -> None:
        await self._failed_deposit(shop, 1)
        replies = await shop.say(ButtonPressed("plan:deposit:1"))
        assert "deposit of KES 750" in replies[-1].text
        assert shop.pushed_amounts() == [750, 750]
        await shop.settle_last(0)
        assert (await shop.plan()).status is PlanStatus.ACTIVE

    async def test_dropping_the_plan_cancels_it_and_tells_the_staff(self, shop: Shop) -> None:
        await self._failed_deposit(shop)
        replies = await shop.say(ButtonPressed("plan:drop:1"))
        assert replies[-1].text == (
            "The plan for order WW-1042 is dropped. Nothing will be collected for it."
        )
        assert (await shop.plan()).status is PlanStatus.CANCELLED
        staff = [m["text"] for m in await shop.messages() if m["chat"] == STAFF]
        assert staff == ["2547****5678 dropped the plan for WW-1042 before paying its deposit."]
        listed = await shop.say(Command("plans"))
        assert listed[-1].text.startswith("You have no payment plans.")

    async def test_a_deposit_whose_push_daraja_refused_can_be_tried_again(self, shop: Shop) -> None:
        shop.gateway.fail_with = PushFailed(PushProblem.UNAVAILABLE, "down")
        replies = await take_plan(shop, 3, pay_deposit=False)
        assert "not answering" in replies[-1].text
        assert data_of(replies[-1]) == ["plan:deposit:1", "plan:drop:1"]
        shop.gateway.fail_with = None
        await shop.say(ButtonPressed("plan:deposit:1"))
        await shop.settle_last(0)
        assert (await shop.plan()).status is PlanStatus.ACTIVE

    async def test_choosing_another_option_replaces_the_plan_waiting_for_its_deposit(
        self, shop: Shop
    ) -> None:
        await self._failed_deposit(shop)
        shown = await offer(shop)
        await shop.say(ButtonPressed(next(b.data for b in buttons(shown) if "plan:2:" in b.data)))
        assert (await shop.plan(1)).status is PlanStatus.CANCELLED
        assert (await shop.plan(2)).count == 2


async def test_pressing_an_option_twice_sends_one_deposit_push(shop: Shop) -> None:
    shown = await offer(shop)
    choice = next(b.data for b in buttons(shown) if b.data.startswith("plan:3:"))
    await shop.say(ButtonPressed(choice))
    again = await shop.say(ButtonPressed(choice))
    assert "already on its way" in again[-1].text
    assert len(shop.gateway.pushes) == 1


async def test_concurrent_presses_send_one_deposit_push(shop: Shop) -> None:
    shown = await offer(shop)
    choice = next(b.data for b in buttons(shown) if b.data.startswith("plan:3:"))
    await asyncio.gather(*(shop.say(ButtonPressed(choice)) for _ in range(5)))
    assert len(shop.gateway.pushes) == 1


async def test_an_offer_taken_the_next_day_is_shown_again_with_the_new_dates(shop: Shop) -> None:
    shown = await offer(shop)
    choice = next(b.data for b in buttons(shown) if b.data.startswith("plan:3:"))
    # The conversation stays fresh; only the calendar day changes (23:59 → 00:01 Nairobi).
    shop.clock.now = nairobi(date(2026, 11, 28), 23, 55)
    await offer(shop)
    shop.clock.now += timedelta(minutes=10)
    replies = await shop.say(ButtonPressed(choice))
    assert replies[0].text.startswith("This offer has changed")
    assert "Sun 06/12: KES 750" in replies[1].text
    assert shop.gateway.pushes == []


async def test_a_deposit_retried_another_day_is_offered_again(shop: Shop) -> None:
    await take_plan(shop, 3, pay_deposit=False)
    await shop.settle_last(1)
    shop.clock.now += timedelta(days=2)
    replies = await shop.say(ButtonPressed("plan:deposit:1"))
    assert replies[0].text.startswith("This offer has changed")
    assert "Choose a plan" in replies[1].text
    assert (await shop.plan()).status is PlanStatus.CANCELLED
    assert len(shop.gateway.pushes) == 1
    # The new offer's options work from wherever the conversation is.
    choice = next(b.data for b in buttons(replies[1]) if b.data.startswith("plan:3:"))
    await shop.say(Command("start"))
    await shop.say(ButtonPressed(choice))
    await shop.settle_last(0)
    plan = await shop.plan(2)
    assert plan.status is PlanStatus.ACTIVE
    assert plan.installment(1).due_at == nairobi(date(2026, 12, 7))


async def test_plans_lists_a_plan_waiting_for_its_deposit_with_its_buttons(shop: Shop) -> None:
    await take_plan(shop, 3, pay_deposit=False)
    await shop.settle_last(1032)
    replies = await shop.say(Command("plans"))
    assert [reply.text for reply in replies] == [
        "Your payment plans:",
        "Order WW-1042: the plan starts once its deposit of KES 750 is paid.",
    ]
    assert data_of(replies[1]) == ["plan:deposit:1", "plan:drop:1"]


async def test_someone_elses_plan_cannot_be_touched(shop: Shop) -> None:
    await take_plan(shop, 3, pay_deposit=False)
    await shop.settle_last(1032)
    replies = await shop.say(ButtonPressed("plan:drop:1"), chat="99")
    assert replies[-1].text.startswith("We could not find this plan.")
    assert (await shop.plan()).status is PlanStatus.PENDING_DEPOSIT
