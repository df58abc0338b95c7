"""A customer with no balance takes a plan in Telegram and pays it off: the real service.

The real bot, webhook server, outbox and settlement on real sockets, with the fake Bot API and
the Daraja simulator: 254700000003 has no balance (ResultCode 1), 254700000001 pays. The
collector is the service's own, run as of each due date (as ``lipa installments collect
--as-of`` does), so three weekly installments take seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from checkout.bnpl.records import PlanStatus
from checkout.domain.records import OrderStatus
from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram, SentMessage
from storage.database import create_engine, session_factory
from storage.migrate import upgrade
from storage.unit_of_work import unit_of_work_factory
from tests.bnpl.conftest import seed_active_plan
from tests.e2e.conftest import StartService, service_settings

CUSTOMER = 5001
STAFF_CHAT = -1001


class Conversation:
    """The customer's side: press or type, then wait for the answer that says ``contains``."""

    def __init__(self, telegram: FakeTelegram) -> None:
        self.telegram = telegram

    async def expect(self, contains: str, timeout: float = 10.0) -> SentMessage:  # noqa: ASYNC109
        return await self.telegram.wait_for_message_to(CUSTOMER, contains, timeout, start=self.mark)

    async def staff(self, *forms: str) -> SentMessage:
        """A staff notice, in its full form or its one-line form when it came in a digest."""
        return await self.telegram.wait_for(
            lambda m: m.chat_id == STAFF_CHAT and any(form in m.body for form in forms),
            10,
            start=self.mark,
        )

    def since_now(self) -> None:
        self.mark = len(self.telegram.sent)

    mark = 0


async def test_no_balance_then_a_plan_then_every_installment_by_pin_then_paid(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    settings = service_settings(
        telegram, sqlite_url, mode="polling", bnpl_require_paid_history=False
    )
    service: Service = await start_service(settings)
    assert service.lipa is not None
    lipa = service.lipa
    async with lipa.units() as unit:
        await unit.orders.create("WW-1042", 3000, known=True)
        await unit.commit()
    chat = Conversation(telegram)

    # Paying in full fails: no balance, no Fuliza. "Pay later" comes with the failure.
    await telegram.user_sends_command(CUSTOMER, "start", "pay_WW-1042")
    await chat.expect("KES 3,000")
    await telegram.user_presses_button(CUSTOMER, "amount:3000")
    await chat.expect("M-Pesa number")
    await telegram.user_sends_text(CUSTOMER, "0700000003")
    await chat.expect("Pay KES 3,000 for order WW-1042")
    chat.since_now()
    await telegram.user_presses_button(CUSTOMER, "pay")
    failure = await chat.expect("Not paid")
    assert "Fuliza" in failure.text
    assert failure.callback_data == ["retry", "paid:WW-1042", "plan:later"]

    # The offer, for the number that just failed; the customer pays from another one.
    chat.since_now()
    await telegram.user_presses_button(CUSTOMER, "plan:later")
    first_offer = await chat.expect("Choose a plan")
    assert "0700 000 003" in first_offer.text
    assert "plan:phone" in first_offer.callback_data
    await telegram.user_presses_button(CUSTOMER, "plan:phone")
    await chat.expect("M-Pesa number")
    chat.since_now()
    await telegram.user_sends_text(CUSTOMER, "0700 000 001")
    offer = await chat.expect("Choose a plan")
    assert "0700 000 001" in offer.text
    assert "Total: KES 3,000" in offer.text
    choice = next(data for data in offer.callback_data if data.startswith("plan:3:"))

    # Accepting pushes the deposit; the plan starts when it is paid; the staff see it.
    chat.since_now()
    await telegram.user_presses_button(CUSTOMER, choice)
    await chat.expect("deposit of KES 750")
    active = await chat.expect("Your plan is active")
    assert "Next: KES 750" in active.text
    await chat.staff("paid the KES 750 deposit for WW-1042", "BNPL ACTIVE KES 3,000 WW-1042")
    async with lipa.units() as unit:
        plan = await unit.plans.get(1)
    assert plan is not None
    assert plan.status is PlanStatus.ACTIVE
    dates = [item.due_at for item in plan.installments[1:]]

    # Installment 1: reminded the day before, pushed on its date, paid by PIN.
    chat.since_now()
    report = await lipa.collector.run_once(dates[0] - timedelta(days=1))
    assert report.reminders == 1
    reminder = await chat.expect("Reminder: KES 750 for order WW-1042")
    assert reminder.callback_data == ["plan:next:1", "plan:move:1"]
    chat.since_now()
    report = await lipa.collector.run_once(dates[0])
    assert len(report.pushes) == 1
    await chat.expect("Installment 1 of 3")
    progress = await chat.expect("Plan: KES 1,500 paid, KES 1,500 left")
    await chat.staff("paid KES 750 for WW-1042", "PAID KES 750 WW-1042")  # issue 22 wording

    # Installment 2: paid ahead of its date from the "Pay now" button.
    chat.since_now()
    await telegram.user_presses_button(CUSTOMER, progress.callback_data[0])
    await chat.expect("Plan: KES 2,250 paid, KES 750 left")
    assert (await lipa.collector.run_once(dates[1])).pushes == ()

    # Installment 3 on its date completes the plan: the order is paid; everyone is told.
    chat.since_now()
    report = await lipa.collector.run_once(dates[2])
    assert len(report.pushes) == 1
    done = await chat.expect("Your plan is complete")
    assert "fully paid" in done.text
    await chat.staff("WW-1042 is now fully paid", "BNPL COMPLETED KES 3,000 WW-1042")
    async with lipa.units() as unit:
        order = await unit.orders.get("WW-1042")
        plan = await unit.plans.get(1)
    assert order is not None
    assert plan is not None
    assert (order.status, order.amount_paid) == (OrderStatus.PAID, 3000)
    assert plan.status is PlanStatus.COMPLETED

    chat.since_now()
    await telegram.user_sends_command(CUSTOMER, "plans")
    await chat.expect("You have no payment plans")


async def test_the_service_collects_at_start_what_fell_due_while_it_was_stopped(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    # A plan taken eight days ago: its first installment fell due yesterday, with no process
    # running. The service's own collector pushes it when it starts; the phone pays.
    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        await seed_active_plan(
            unit_of_work_factory(session_factory(engine)),
            reference="WW-1042",
            chat_key=str(CUSTOMER),
            phone="254700000001",
            taken_at=datetime.now(UTC) - timedelta(days=8),
        )
    finally:
        await engine.dispose()
    settings = service_settings(telegram, sqlite_url, mode="polling")
    chat = Conversation(telegram)
    service = await start_service(settings)
    await chat.expect("Installment 1 of 3 for order WW-1042: KES 750 is due today")
    await chat.expect("Plan: KES 1,500 paid, KES 1,500 left")
    assert service.lipa is not None
    async with service.lipa.units() as unit:
        plan = await unit.plans.get(1)
    assert plan is not None
    assert [item.status.value for item in plan.installments] == ["paid", "paid", "due", "due"]
