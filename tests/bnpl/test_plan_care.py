"""The plan rules customers expect from the best plans, end to end through
``lipa installments collect --as-of`` across the dates involved.

The plan: KES 3,000 taken on Saturday 28/11 as a deposit of 750 and three weekly installments
of 750 on 05/12, 12/12 and 19/12, collected at 10:00 Nairobi time. The simulator's
254700000007 refuses every push (its subscriber is always locked), so the collector's tries
fail with no callback; other numbers' prompts are answered by the test, as callbacks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from checkout.bnpl.records import InstallmentStatus, PlanStatus
from checkout.bnpl.rules import PAY_LATER
from checkout.conversation.model import ButtonPressed, Command, TextMessage
from daraja.simulator.server import SimulatorServer
from tests.bnpl.conftest import BALANCE, CHAT, ORDER, RULES, nairobi
from tests.bnpl.story import STAFF_CHATS, Story, data, open_story, simulator
from tests.bnpl.test_tone import threats

__all__ = ["simulator"]

FIRST = date(2026, 12, 5)
LOCKED = "0700 000 007"
PAYS = "0712 345 678"
GRACE_RULES = replace(RULES, grace_days=3)


@pytest.fixture
async def story(tmp_path: Path, simulator: SimulatorServer) -> AsyncIterator[Story]:
    async for opened in open_story(tmp_path, simulator, GRACE_RULES):
        yield opened


async def take_plan(story: Story, phone: str, *, order: str = ORDER, count: int = 3) -> None:
    """The customer takes a plan of ``count`` for ``order`` paying from ``phone``; deposit paid."""
    async with story.shop.uow() as unit:
        if await unit.orders.get(order) is None:
            await unit.orders.create(order, BALANCE, known=True)
        await unit.commit()
    await story.shop.say(Command("start", f"pay_{order}"), ButtonPressed(PAY_LATER))
    (offer,) = await story.text(phone)
    choice = next(item for item in data(offer) if item.startswith(f"plan:{count}:"))
    await story.press(choice)
    await story.shop.settle_last(0)
    await story.messages()
    story.unread.clear()


async def miss_the_first_installment(story: Story) -> None:
    """The first installment's date: the push and its three hourly retries all fail."""
    for hour in (10, 11, 12, 13):
        lines = await story.collect(nairobi(FIRST, hour))
        assert lines[0] == "plan 1 order WW-1042 installment 1 of 3, KES 750: failed", lines


async def test_a_missed_installment_gets_a_grace_period_with_one_polite_reminder(
    story: Story,
) -> None:
    await take_plan(story, LOCKED)
    await miss_the_first_installment(story)
    plan = await story.shop.plan()
    assert (plan.status, plan.installment(1).status) == (PlanStatus.ACTIVE, InstallmentStatus.DUE)
    assert plan.installment(1).attempts == 4
    assert await story.messages() == []  # no prompt reached the phone: nothing to say yet

    # The day after: nothing. Two days after: the one reminder, polite, with the ways out.
    assert await story.collect(nairobi(FIRST + timedelta(days=1))) == [
        "0 reminders queued, 0 installment pushes tried"
    ]
    assert await story.collect(nairobi(FIRST + timedelta(days=2))) == [
        "1 reminders queued, 0 installment pushes tried"
    ]
    (reminder,) = await story.messages()
    assert reminder["text"] == (
        "KES 750 for order WW-1042 (installment 1 of 3), due Sat 05/12, is not paid yet. "
        "You can pay it any time before Tue 08/12."
    )
    assert data(reminder) == ["plan:next:1", "plan:move:1", "plan:roll:1"]
    assert await story.collect(nairobi(FIRST + timedelta(days=2), 15)) == [
        "0 reminders queued, 0 installment pushes tried"
    ]
    assert await story.messages() == []

    # The grace ends three days after the date, at the collection hour: then it is overdue.
    assert await story.collect(nairobi(FIRST + timedelta(days=3), 9, 59)) == [
        "0 reminders queued, 0 installment pushes tried"
    ]
    assert (await story.shop.plan()).status is PlanStatus.ACTIVE
    assert await story.collect(nairobi(FIRST + timedelta(days=3))) == [
        "1 installments overdue after their grace period",
        "0 reminders queued, 0 installment pushes tried",
    ]
    (overdue,) = await story.messages()
    assert overdue["text"] == (
        "Installment 1 of 3 for order WW-1042, KES 750, is now past its date. Please pay it "
        "when you can. If you need help, contact us."
    )
    staff = await story.staff_texts()
    assert [text for text in staff if "has not paid installment" in text] == [
        "2547****0007 has not paid installment 1 of 3 for WW-1042 (KES 750) after 4 tries. "
        "They were asked politely to pay."
    ]
    plan = await story.shop.plan()
    assert (plan.status, plan.installment(1).status) == (
        PlanStatus.OVERDUE,
        InstallmentStatus.OVERDUE,
    )
    # Nothing is told to anyone but the customer and the business's own staff; nothing threatens.
    assert {message["chat"] for message in story.seen} <= {CHAT, *STAFF_CHATS}
    for message in story.seen:
        assert threats("en", str(message["text"])) == [], message["text"]


async def test_no_new_plan_while_another_plan_is_overdue_and_the_offer_says_why(
    story: Story,
) -> None:
    await take_plan(story, LOCKED)
    await miss_the_first_installment(story)
    async with story.shop.uow() as unit:
        await unit.orders.create("WW-2000", 1000, known=True)
        await unit.commit()
    ask = (Command("start", "pay_WW-2000"), ButtonPressed(PAY_LATER), TextMessage(PAYS))

    # In the grace period the plan is not overdue: another plan may be offered.
    story.at(nairobi(FIRST + timedelta(days=2), 12))
    offer = (await story.shop.say(*ask))[-1]
    assert "Choose a plan" in offer.text

    # Once it is overdue, the offer says why not, in one sentence.
    await story.collect(nairobi(FIRST + timedelta(days=3)))
    story.at(nairobi(FIRST + timedelta(days=3), 12))
    refused = (await story.shop.say(*ask))[-1]
    assert refused.text == (
        "A new plan can start once the installment past its date on your other plan is paid; "
        "see /plans."
    )
    assert not any(item.startswith("plan:") for item in data(refused))

    # Paid: new plans may be offered again.
    await story.press("plan:next:1")
    await story.shop.settle_last(0)
    assert (await story.shop.plan()).status is PlanStatus.ACTIVE
    offer = (await story.shop.say(*ask))[-1]
    assert "Choose a plan" in offer.text


async def test_move_this_date_once_from_the_reminder_and_the_staff_are_told(story: Story) -> None:
    await take_plan(story, PAYS)
    assert await story.collect(nairobi(FIRST - timedelta(days=1))) == [
        "1 reminders queued, 0 installment pushes tried"
    ]
    (reminder,) = await story.messages()
    assert data(reminder) == ["plan:next:1", "plan:move:1"]

    story.at(nairobi(FIRST - timedelta(days=1), 12))
    (choices,) = await story.press("plan:move:1")
    assert choices.text == (
        "Move installment 1 of 3 for order WW-1042 (KES 750, Sat 05/12) to which day? This "
        "can be done once per plan."
    )
    assert [button.label for row in choices.buttons for button in row] == [
        f"To {day}"
        for day in (
            "Sun 06/12",
            "Mon 07/12",
            "Tue 08/12",
            "Wed 09/12",
            "Thu 10/12",
            "Fri 11/12",
            "Sat 12/12",
        )
    ]
    assert data(choices)[2] == "plan:moveto:1:3"
    (moved,) = await story.press("plan:moveto:1:3")
    assert moved.text == (
        "Done: installment 1 of 3 for order WW-1042, KES 750, is now due on Tue 08/12. "
        "We will remind you the day before."
    )
    assert await story.staff_texts() == [
        "2547****5678 moved installment 1 of 3 for WW-1042 (KES 750) from Sat 05/12 to Tue 08/12."
    ]
    # Once per plan: no second move, and no button for one.
    (again,) = await story.press("plan:moveto:1:1")
    assert again.text == "A date can be moved once per plan, and this plan has used it."
    listed = await story.command("plans")
    assert "plan:move:1" not in data(listed[-1])

    # The old date passes quietly; the new one is reminded the day before and collected.
    assert await story.collect(nairobi(FIRST)) == ["0 reminders queued, 0 installment pushes tried"]
    assert await story.collect(nairobi(FIRST + timedelta(days=2))) == [
        "1 reminders queued, 0 installment pushes tried"
    ]
    (reminder,) = await story.messages()
    assert str(reminder["text"]).startswith(
        "Reminder: KES 750 for order WW-1042 (installment 1 of 3) is due tomorrow, Tue 08/12."
    )
    assert data(reminder) == ["plan:next:1"]
    assert await story.collect(nairobi(FIRST + timedelta(days=3))) == [
        "plan 1 order WW-1042 installment 1 of 3, KES 750: sent",
        "0 reminders queued, 1 installment pushes tried",
    ]
    (prompt,) = story.simulator.daraja.prompts.values()
    assert (prompt.amount, prompt.phone) == (750, "254712345678")
    # The next date is as agreed.
    assert (await story.shop.plan()).installment(2).due_at == nairobi(date(2026, 12, 12))


async def test_add_to_next_payment_once_instead_of_retrying(story: Story) -> None:
    await take_plan(story, PAYS)
    assert (await story.collect(nairobi(FIRST)))[0].endswith("KES 750: sent")
    story.at(nairobi(FIRST, 10, 1))
    await story.answer(1)
    due, failed = await story.messages()
    assert str(due["text"]).startswith("Installment 1 of 3 for order WW-1042: KES 750 is due today")
    assert str(failed["text"]).endswith(
        "We will send the prompt again tomorrow at 10:00, or you can pay now."
    )

    story.at(nairobi(FIRST, 12))
    listed = await story.command("plans")
    assert listed[-1].text == (
        "Order WW-1042: KES 750 paid, KES 2,250 left. KES 750 was due on Sat 05/12; you can "
        "pay it before Tue 08/12."
    )
    assert "plan:roll:1" in data(listed[-1])
    (rolled,) = await story.press("plan:roll:1")
    assert rolled.text == (
        "Done: KES 750 of installment 1 is added to your next payment: KES 1,500 on Sat 12/12. "
        "No prompt is sent for it before then."
    )
    assert [text for text in await story.staff_texts() if "missed installment" in text] == [
        "2547****5678 added missed installment 1 for WW-1042 (KES 750) to installment 2, "
        "now KES 1,500."
    ]
    (again,) = await story.press("plan:roll:1")
    assert again.text == (
        "A missed payment can be added to the next one once per plan, and this plan has used it."
    )

    # No retry, no reminder, never overdue for it; the next date asks for both.
    for day in (1, 2, 3):
        assert await story.collect(nairobi(FIRST + timedelta(days=day))) == [
            "0 reminders queued, 0 installment pushes tried"
        ]
    assert await story.messages() == []
    assert (await story.shop.plan()).status is PlanStatus.ACTIVE
    assert await story.collect(nairobi(FIRST + timedelta(days=6))) == [
        "1 reminders queued, 0 installment pushes tried"
    ]
    (reminder,) = await story.messages()
    assert str(reminder["text"]).startswith("Reminder: KES 1,500 for order WW-1042")
    assert await story.collect(nairobi(FIRST + timedelta(days=7))) == [
        "plan 1 order WW-1042 installment 2 of 3, KES 1500: sent",
        "0 reminders queued, 1 installment pushes tried",
    ]
    story.at(nairobi(FIRST + timedelta(days=7), 10, 1))
    await story.answer(0)
    plan = await story.shop.plan()
    assert [item.status for item in plan.installments] == [
        InstallmentStatus.PAID,
        InstallmentStatus.ROLLED,
        InstallmentStatus.PAID,
        InstallmentStatus.DUE,
    ]
    assert (plan.paid, plan.left, plan.status) == (2250, 750, PlanStatus.ACTIVE)


class TestLateFee:
    @pytest.fixture
    async def story(self, tmp_path: Path, simulator: SimulatorServer) -> AsyncIterator[Story]:
        rules = replace(GRACE_RULES, late_fee=200)
        async for opened in open_story(tmp_path, simulator, rules, BNPL_LATE_FEE="200"):
            yield opened

    async def test_the_offer_states_the_fee_and_its_cap(self, story: Story) -> None:
        async with story.shop.uow() as unit:
            await unit.orders.create(ORDER, BALANCE, known=True)
            await unit.commit()
        await story.shop.say(Command("start", f"pay_{ORDER}"), ButtonPressed(PAY_LATER))
        (offer,) = await story.text(PAYS)
        assert "costs KES 200 more, once." in offer.text
        assert "Late fees together never exceed KES 300 (10% of the order)." in offer.text
        assert "you have 3 days to pay it before it is late" in offer.text

    async def test_charged_once_per_installment_and_never_above_ten_percent_of_the_order(
        self, story: Story
    ) -> None:
        await take_plan(story, LOCKED)
        for week, fee in ((0, 200), (1, 100)):
            day = FIRST + timedelta(days=7 * week)
            for hour in (10, 11, 12, 13):
                await story.collect(nairobi(day, hour))
            lines = await story.collect(nairobi(day + timedelta(days=3)))
            assert lines[0] == "1 installments overdue after their grace period"
            messages = await story.messages()
            assert str(messages[-1]["text"]).endswith(
                f"A late fee of KES {fee} was added, as set out in the plan."
            )
        # The third installment goes overdue with no fee: 300 is 10 % of the order.
        for hour in (10, 11, 12, 13):
            await story.collect(nairobi(date(2026, 12, 19), hour))
        await story.collect(nairobi(date(2026, 12, 22)))
        await story.collect(nairobi(date(2026, 12, 29)))
        messages = await story.messages()
        assert "late fee" not in str(messages[-1]["text"])
        plan = await story.shop.plan()
        assert [item.late_fee for item in plan.installments] == [0, 200, 100, 0]
        assert [item.amount for item in plan.installments] == [750, 950, 850, 750]
        assert (await story.shop.order()).amount_due == BALANCE + 300
        assert {message["chat"] for message in story.seen} <= {CHAT, *STAFF_CHATS}
