"""Collecting installments over weeks, in milliseconds: reminders, pushes, retries, the end.

The plan: WW-1042, KES 3,000, taken on Saturday 28/11 as a deposit of 750 and three weekly
installments of 750 on 05/12, 12/12 and 19/12, collected at 10:00 Nairobi time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from checkout.bnpl.pushes import PlanPushOutcome
from checkout.bnpl.records import InstallmentStatus, PlanStatus
from checkout.conversation.model import ButtonPressed, Command, TextMessage
from checkout.domain.outcomes import PushProblem
from checkout.domain.records import Channel, OrderStatus
from checkout.payments.gateway import PushFailed
from tests.bnpl.conftest import (
    CHAT,
    RULES,
    STAFF,
    Shop,
    UowFactory,
    make_shop,
    nairobi,
    take_plan,
)

FIRST = date(2026, 12, 5)
SECOND = date(2026, 12, 12)
THIRD = date(2026, 12, 19)


async def active(shop: Shop) -> None:
    """A plan of three installments with its deposit paid; the messages so far read."""
    await take_plan(shop, 3)
    await shop.messages()


def texts_for(messages: list[dict[str, object]], chat: str) -> list[str]:
    return [str(message["text"]) for message in messages if message["chat"] == chat]


def button_data(message: dict[str, object]) -> list[str]:
    rows = message.get("buttons") or []
    assert isinstance(rows, list)
    return [button["data"] for row in rows for button in row]


class TestAWholePlan:
    async def test_reminded_the_day_before_pushed_on_the_day_and_paid_off_in_three_weeks(
        self, shop: Shop
    ) -> None:
        await active(shop)
        # Nothing before 10:00 the day before.
        assert (await shop.collect(nairobi(date(2026, 12, 4), 9, 59))).reminders == 0
        assert (await shop.collect(nairobi(date(2026, 12, 4)))).reminders == 1
        (reminder,) = await shop.customer_messages()
        assert reminder["text"] == (
            "Reminder: KES 750 for order WW-1042 (installment 1 of 3) is due tomorrow, "
            "Sat 05/12. We will send an M-Pesa prompt at 10:00."
        )
        assert button_data(reminder) == ["plan:next:1", "plan:move:1"]
        # The reminder goes out once, however many passes run.
        assert (await shop.collect(nairobi(date(2026, 12, 4), 18))).reminders == 0
        assert await shop.messages() == []

        for number, day in enumerate((FIRST, SECOND, THIRD), start=1):
            assert (await shop.collect(nairobi(day, 9, 59))).pushes == ()
            report = await shop.collect(nairobi(day))
            assert [item.outcome for item in report.pushes] == [PlanPushOutcome.SENT]
            assert shop.pushed_amounts()[-1] == 750
            due = await shop.customer_messages()
            assert due[-1]["text"] == (
                f"Installment {number} of 3 for order WW-1042: KES 750 is due today. "
                "Check your phone and enter your M-Pesa PIN."
            )
            # A second pass while the prompt is open pushes nothing.
            assert (await shop.collect(nairobi(day, 10, 5))).pushes == ()
            shop.clock.now = nairobi(day, 10, 1)
            await shop.settle_last(0)
            paid = await shop.messages()
            if number < 3:
                assert texts_for(paid, CHAT) == [
                    f"Paid: KES 750 for order WW-1042, receipt RCPT{number + 1}. Plan: "
                    f"KES {750 * (number + 1):,} paid, KES {750 * (3 - number):,} left. "
                    f"Next: KES 750 on Sat {(day + timedelta(days=7)):%d/%m}."
                ]
                await shop.collect(nairobi(day + timedelta(days=6)))  # the next reminder
        assert texts_for(paid, CHAT) == [
            "Paid: KES 750 for order WW-1042, receipt RCPT4. Your plan is complete and the "
            "order is fully paid. Thank you!"
        ]
        assert (
            # issue 22: staff notices in sentences
            "WW-1042 is now fully paid (KES 3,000): 2547****5678 paid the plan's last "
            "installment." in (texts_for(paid, STAFF))
        )
        assert shop.pushed_amounts() == [750, 750, 750, 750]
        plan = await shop.plan()
        assert plan.status is PlanStatus.COMPLETED
        order = await shop.order()
        assert (order.status, order.amount_paid, order.balance) == (OrderStatus.PAID, 3000, 0)
        listed = await shop.say(Command("plans"))
        assert listed[-1].text.startswith("You have no payment plans.")
        assert (await shop.collect(nairobi(date(2027, 3, 1)))).pushes == ()

    async def test_plans_shows_paid_left_and_the_next_date_with_pay_ahead_buttons(
        self, shop: Shop
    ) -> None:
        await active(shop)
        replies = await shop.say(Command("plans"))
        assert [reply.text for reply in replies] == [
            "Your payment plans:",
            "Order WW-1042: KES 750 paid, KES 2,250 left. Next: KES 750 on Sat 05/12.",
        ]
        assert [b.data for row in replies[1].buttons for b in row] == [
            "plan:next:1",
            "plan:all:1",
            "plan:move:1",
        ]
        assert [b.label for row in replies[1].buttons for b in row] == [
            "Pay next installment now",
            "Pay everything now",
            "Move this date",
        ]


class TestRetries:
    async def _due(self, shop: Shop, code: int) -> dict[str, object]:
        """Push the first installment on its date and answer it with ``code``."""
        await active(shop)
        await shop.collect(nairobi(FIRST))
        await shop.messages()
        await shop.settle_last(code)
        (message,) = await shop.customer_messages()
        return message

    async def test_no_balance_is_tried_the_next_day_three_times_then_overdue(
        self, shop: Shop
    ) -> None:
        message = await self._due(shop, 1)
        assert str(message["text"]).endswith(
            "We will send the prompt again tomorrow at 10:00, or you can pay now."
        )
        assert button_data(message) == ["plan:next:1"]
        for retry in range(1, 4):
            day = FIRST + timedelta(days=retry)
            assert (await shop.collect(nairobi(day, 9, 59))).pushes == ()
            assert len((await shop.collect(nairobi(day))).pushes) == 1
            await shop.settle_last(1)
        assert len(shop.gateway.pushes) == 1 + 4  # the deposit, the first try, three retries
        messages = await shop.messages()
        overdue = [m for m in messages if m["chat"] == CHAT][-1]
        assert overdue["text"] == (
            "Installment 1 of 3 for order WW-1042, KES 750, is now past its date. Please pay it "
            "when you can. If you need help, contact us."
        )
        assert button_data(overdue) == ["plan:next:1"]
        assert any(
            text.startswith("2547****5678 has not paid installment 1 of 3 for WW-1042 (KES 750)")
            and "after 4 tries" in text
            for text in texts_for(messages, STAFF)
        )
        plan = await shop.plan()
        assert plan.status is PlanStatus.OVERDUE
        assert plan.installment(1).status is InstallmentStatus.OVERDUE
        # No more automatic tries for it.
        for days in range(5, 7):
            assert (await shop.collect(nairobi(FIRST + timedelta(days=days)))).pushes == ()

    async def test_a_cancelled_prompt_is_not_retried_that_day_but_the_customer_may_pay(
        self, shop: Shop
    ) -> None:
        message = await self._due(shop, 1032)
        assert "You cancelled the M-Pesa prompt" in str(message["text"])
        assert str(message["text"]).endswith(
            "You can pay now, or we will send the prompt again tomorrow at 10:00."
        )
        assert button_data(message) == ["plan:next:1"]
        for hour in (11, 14, 21, 23):
            assert (await shop.collect(nairobi(FIRST, hour))).pushes == ()
        assert len((await shop.collect(nairobi(FIRST + timedelta(days=1)))).pushes) == 1

    @pytest.mark.parametrize("code", [1037, 1001, 9999])
    async def test_an_unreachable_or_busy_phone_is_tried_after_an_hour_three_times(
        self, shop: Shop, code: int
    ) -> None:
        message = await self._due(shop, code)
        assert str(message["text"]).endswith(
            "We will send the prompt again in about an hour, or you can pay now."
        )
        at = nairobi(FIRST)
        for _retry in range(3):
            assert (await shop.collect(at + timedelta(minutes=59))).pushes == ()
            at += timedelta(hours=1)
            assert len((await shop.collect(at)).pushes) == 1
            await shop.settle_last(code)
        # No try is left, but the grace period runs until 10:00 three days after the date.
        plan = await shop.plan()
        assert plan.installment(1).status is InstallmentStatus.DUE
        assert plan.installment(1).attempts == 4
        assert plan.status is PlanStatus.ACTIVE
        assert (await shop.collect(at + timedelta(hours=1))).pushes == ()
        report = await shop.collect(nairobi(FIRST + timedelta(days=3)))
        assert (report.pushes, report.overdue) == ((), 1)
        assert (await shop.plan()).installment(1).status is InstallmentStatus.OVERDUE

    async def test_a_push_daraja_refuses_is_tried_again_within_the_hour_without_a_message(
        self, shop: Shop
    ) -> None:
        await active(shop)
        shop.gateway.fail_with = PushFailed(PushProblem.UNAVAILABLE, "down")
        at = nairobi(FIRST)
        report = await shop.collect(at)
        assert [item.outcome for item in report.pushes] == [PlanPushOutcome.FAILED]
        assert await shop.customer_messages() == []
        for _retry in range(3):
            at += timedelta(hours=1)
            assert len((await shop.collect(at)).pushes) == 1
        # The grace reminder goes out the day before the grace ends; then it is overdue.
        await shop.collect(nairobi(FIRST + timedelta(days=2)))
        await shop.collect(nairobi(FIRST + timedelta(days=3)))
        reminder, overdue = await shop.customer_messages()
        assert "is not paid yet" in str(reminder["text"])
        assert "is now past its date" in str(overdue["text"])

    async def test_a_push_nobody_answered_is_tried_again_after_an_hour(self, shop: Shop) -> None:
        await active(shop)
        await shop.collect(nairobi(FIRST))
        async with shop.uow() as unit:
            payment = await unit.payments.latest_for_chat(Channel.TELEGRAM, CHAT)
            assert payment is not None
            await shop.settlement.expire(unit, payment, reason="no final answer")
            await unit.commit()
        plan = await shop.plan()
        assert plan.installment(1).next_attempt_at == nairobi(FIRST) + timedelta(hours=1)

    async def test_after_overdue_pay_now_pays_it_and_the_plan_carries_on(self, shop: Shop) -> None:
        await self._due(shop, 1)
        for retry in range(1, 4):
            await shop.collect(nairobi(FIRST + timedelta(days=retry)))
            await shop.settle_last(1)
        await shop.messages()
        replies = await shop.say(ButtonPressed("plan:next:1"))
        assert replies[-1].text.startswith("Check your phone and enter your M-Pesa PIN")
        await shop.settle_last(0)
        plan = await shop.plan()
        assert plan.status is PlanStatus.ACTIVE
        assert plan.installment(1).status is InstallmentStatus.PAID
        assert len((await shop.collect(nairobi(SECOND))).pushes) == 1

    async def test_later_installments_are_collected_while_one_is_overdue(self, shop: Shop) -> None:
        await self._due(shop, 1)
        for retry in range(1, 4):
            await shop.collect(nairobi(FIRST + timedelta(days=retry)))
            await shop.settle_last(1)
        report = await shop.collect(nairobi(SECOND))
        assert [item.installment.number for item in report.pushes] == [2]

    async def test_a_late_fee_is_added_once_to_the_overdue_installment_and_the_order(
        self, uow: UowFactory
    ) -> None:
        shop = make_shop(uow, rules=replace(RULES, late_fee=100))
        async with uow() as unit:
            await unit.orders.create("WW-1042", 3000, known=True)
            await unit.commit()
        await active(shop)
        await shop.collect(nairobi(FIRST))
        await shop.settle_last(1)
        for retry in range(1, 4):
            await shop.collect(nairobi(FIRST + timedelta(days=retry)))
            await shop.settle_last(1)
        overdue = (await shop.customer_messages())[-1]
        assert str(overdue["text"]).endswith(
            "A late fee of KES 100 was added, as set out in the plan."
        )
        assert (await shop.order()).amount_due == 3100
        await shop.say(ButtonPressed("plan:all:1"))
        assert shop.pushed_amounts()[-1] == 850 + 750 + 750
        await shop.settle_last(0)
        order = await shop.order()
        assert (order.status, order.balance) == (OrderStatus.PAID, 0)
        assert (await shop.plan()).status is PlanStatus.COMPLETED


class TestPayingEarly:
    async def test_pay_next_now_pays_the_next_installment_and_skips_its_date(
        self, shop: Shop
    ) -> None:
        await active(shop)
        replies = await shop.say(ButtonPressed("plan:next:1"))
        assert replies[-1].text == (
            "Check your phone and enter your M-Pesa PIN to pay KES 750 for order WW-1042."
        )
        await shop.settle_last(0)
        (paid,) = await shop.customer_messages()
        assert "Next: KES 750 on Sat 12/12" in str(paid["text"])
        assert (await shop.collect(nairobi(date(2026, 12, 4)))).reminders == 0
        assert (await shop.collect(nairobi(FIRST))).pushes == ()
        report = await shop.collect(nairobi(SECOND))
        assert [item.installment.number for item in report.pushes] == [2]

    async def test_pay_everything_now_pays_off_the_plan_and_the_order(self, shop: Shop) -> None:
        await active(shop)
        await shop.say(ButtonPressed("plan:all:1"))
        assert shop.pushed_amounts() == [750, 2250]
        await shop.settle_last(0)
        assert (await shop.plan()).status is PlanStatus.COMPLETED
        order = await shop.order()
        assert order.status is OrderStatus.PAID
        messages = await shop.messages()
        assert texts_for(messages, CHAT)[-1].startswith("Paid: KES 2,250 for order WW-1042")
        assert any("is now fully paid" in text for text in texts_for(messages, STAFF))
        assert (await shop.collect(nairobi(THIRD))).pushes == ()

    async def test_everything_above_mpesas_limit_is_paid_in_parts_and_said_so(
        self, uow: UowFactory
    ) -> None:
        shop = make_shop(uow, rules=replace(RULES, max_outstanding=1_000_000))
        async with uow() as unit:
            await unit.orders.create("WW-1042", 1_000_000, known=True)
            await unit.commit()
        await take_plan(shop, 4)
        replies = await shop.say(ButtonPressed("plan:all:1"))
        assert replies[0].text == (
            "M-Pesa takes at most KES 250,000 at once, so this prompt is for KES 187,500."
        )
        assert shop.pushed_amounts() == [250_000, 187_500]

    async def test_paying_ahead_while_the_days_prompt_is_open_is_told_to_wait(
        self, shop: Shop
    ) -> None:
        await active(shop)
        await shop.collect(nairobi(FIRST))
        replies = await shop.say(ButtonPressed("plan:next:1"))
        assert "already on its way" in replies[-1].text
        assert len(shop.gateway.pushes) == 2

    async def test_a_failed_early_payment_changes_no_date(self, shop: Shop) -> None:
        await active(shop)
        await shop.say(ButtonPressed("plan:next:1"))
        await shop.settle_last(1032)
        (message,) = await shop.customer_messages()
        assert button_data(message) == ["plan:next:1"]
        assert len((await shop.collect(nairobi(FIRST))).pushes) == 1

    async def test_paying_the_order_outside_the_plan_ends_the_plan(self, shop: Shop) -> None:
        await active(shop)
        await shop.say(Command("pay", "WW-1042"), ButtonPressed("amount:2250"))
        await shop.say(ButtonPressed("phone:saved"), ButtonPressed("pay"))
        await shop.settle_last(0)
        plan = await shop.plan()
        assert plan.status is PlanStatus.COMPLETED
        assert [item.status for item in plan.installments[1:]] == [InstallmentStatus.CANCELLED] * 3
        assert (await shop.collect(nairobi(FIRST))).pushes == ()

    async def test_a_part_paid_outside_the_plan_shortens_it_from_the_end(self, shop: Shop) -> None:
        await active(shop)
        await shop.say(Command("pay", "WW-1042"), TextMessage("1000"))
        await shop.say(ButtonPressed("phone:saved"), ButtonPressed("pay"))
        await shop.settle_last(0)
        plan = await shop.plan()
        assert [(item.amount, item.status) for item in plan.installments[1:]] == [
            (750, InstallmentStatus.DUE),
            (500, InstallmentStatus.DUE),
            (750, InstallmentStatus.CANCELLED),
        ]
        assert plan.left == (await shop.order()).balance == 1250


class TestRestarts:
    async def test_a_new_process_carries_on_the_plan_where_the_last_one_stopped(
        self, shop: Shop, uow: UowFactory
    ) -> None:
        await active(shop)
        await shop.collect(nairobi(FIRST))
        # The process stops with the prompt open; a new one starts with fresh services
        # (Daraja, the gateway, lives on).
        restarted = make_shop(uow, clock=shop.clock, gateway=shop.gateway)
        await restarted.settle_last(0)
        assert (await restarted.plan()).installment(1).status is InstallmentStatus.PAID
        await restarted.collect(nairobi(date(2026, 12, 11)))
        reminders = [m for m in await restarted.customer_messages() if "Reminder" in m["text"]]
        assert len(reminders) == 1
        assert len((await restarted.collect(nairobi(SECOND))).pushes) == 1
        assert shop.pushed_amounts() == [750, 750, 750]

    async def test_a_plan_claimed_by_a_process_that_died_is_collected_after_the_lease(
        self, shop: Shop
    ) -> None:
        await active(shop)
        at = nairobi(FIRST)
        async with shop.uow() as unit:
            dead = await unit.plans.claim_due(now=at, limit=10, lease_seconds=180)
            await unit.commit()
        assert [plan.id for plan in dead] == [1]
        assert (await shop.collect(at + timedelta(seconds=60))).pushes == ()
        assert len((await shop.collect(at + timedelta(seconds=181))).pushes) == 1
        assert (await shop.collect(at + timedelta(seconds=400))).pushes == ()
        assert len(shop.gateway.pushes) == 2

    async def test_a_pass_after_weeks_away_pushes_one_installment_per_plan_at_a_time(
        self, shop: Shop
    ) -> None:
        await active(shop)
        report = await shop.collect(nairobi(date(2027, 1, 10)))
        assert report.reminders == 0  # reminders for dates already past are not sent
        assert [item.installment.number for item in report.pushes] == [1]
        await shop.settle_last(0)
        report = await shop.collect()
        assert [item.installment.number for item in report.pushes] == [2]
