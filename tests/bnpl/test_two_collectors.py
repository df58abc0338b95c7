"""Two processes collecting on one PostgreSQL database never push the same installment twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from checkout.conversation.model import ButtonPressed
from checkout.payments.gateway import PushAccepted
from lipa_testing.clocks import SettableClock
from lipa_testing.gateway import FakeGateway
from storage.database import create_engine, session_factory
from storage.models import OutboxRow, PlanPaymentRow
from storage.unit_of_work import unit_of_work_factory
from tests.bnpl.conftest import START, Shop, make_shop, nairobi, seed_active_plan

PLANS = 30
DUE = nairobi(date(2026, 12, 5))


@dataclass
class SlowGateway(FakeGateway):
    """Daraja taking a moment per push, so the two processes' passes overlap."""

    async def stk_push(
        self, *, phone: str, amount: int, reference: str, description: str
    ) -> PushAccepted:
        await asyncio.sleep(0.005)
        return await super().stk_push(
            phone=phone, amount=amount, reference=reference, description=description
        )


@pytest.fixture
async def two_processes(pg_database_url: str) -> AsyncIterator[tuple[Shop, Shop]]:
    """Two shops on their own engines (as two processes would be) and one Daraja."""
    engines = [create_engine(pg_database_url) for _ in range(2)]
    gateway = SlowGateway()
    shops = tuple(
        make_shop(
            unit_of_work_factory(session_factory(engine)), clock=SettableClock(), gateway=gateway
        )
        for engine in engines
    )
    yield shops[0], shops[1]
    for engine in engines:
        await engine.dispose()


async def seed_active_plans(shop: Shop, count: int) -> None:
    """``count`` customers, each with an active plan whose deposit is paid."""
    for number in range(count):
        await seed_active_plan(
            shop.uow,
            reference=f"P-{number}",
            chat_key=f"c{number}",
            phone=f"2547{number:08d}",
            taken_at=START,
        )


async def test_overlapping_passes_push_each_due_installment_once(
    two_processes: tuple[Shop, Shop],
) -> None:
    first, second = two_processes
    await seed_active_plans(first, PLANS)
    passes = [
        process.collect(DUE + timedelta(seconds=n)) for n in range(3) for process in (first, second)
    ]
    reports = await asyncio.gather(*passes)
    pushed = Counter(push["reference"] for push in first.gateway.pushes)
    assert len(pushed) == PLANS
    assert set(pushed.values()) == {1}
    assert sum(len(report.pushes) for report in reports) == PLANS
    async with first.uow() as unit:
        links = await unit.session.scalar(select(func.count()).select_from(PlanPaymentRow))
        for plan_id in range(1, PLANS + 1):
            plan = await unit.plans.get(plan_id)
            assert plan is not None
            assert plan.installment(1).attempts == 1
    assert links == PLANS


async def test_overlapping_passes_queue_each_reminder_once(
    two_processes: tuple[Shop, Shop],
) -> None:
    first, second = two_processes
    await seed_active_plans(first, PLANS)
    day_before = DUE - timedelta(days=1)
    reports = await asyncio.gather(
        *(process.collect(day_before) for process in (first, second, first, second))
    )
    assert sum(report.reminders for report in reports) == PLANS
    async with first.uow() as unit:
        queued = await unit.session.scalar(select(func.count()).select_from(OutboxRow))
    assert queued == PLANS


async def test_a_customer_paying_ahead_while_a_process_collects_gets_one_push(
    two_processes: tuple[Shop, Shop],
) -> None:
    first, second = two_processes
    await seed_active_plans(first, 1)
    first.clock.now = second.clock.now = DUE
    results = await asyncio.gather(
        first.collect(DUE),
        second.say(ButtonPressed("plan:next:1"), chat="c0"),
        second.collect(DUE),
    )
    assert len(first.gateway.pushes) == 1
    assert results[1]
