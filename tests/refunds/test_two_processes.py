"""Two processes' senders on one PostgreSQL database send each approved refund once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from checkout.domain.records import PaymentStatus
from checkout.domain.refunds import RefundState
from checkout.refunds.effects import RefundEffects
from checkout.refunds.notices import RefundNotices
from checkout.refunds.rules import staff_actor
from checkout.refunds.sending import RefundSender
from lipa_testing.clocks import SettableClock
from storage.database import create_engine, session_factory
from storage.unit_of_work import unit_of_work_factory
from tests.refunds.conftest import RecordingGateway
from tests.refunds.test_desk import STAFF, make_desk
from tests.staff.seeding import Seed, seed

pytestmark = pytest.mark.postgres


class SlowGateway(RecordingGateway):
    """Answers after a moment, so the two senders' passes overlap."""

    async def reverse(self, *, receipt: str, amount: int, remarks: str):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.05)
        return await super().reverse(receipt=receipt, amount=amount, remarks=remarks)


async def test_two_senders_send_every_refund_once(pg_database_url: str) -> None:
    clock = SettableClock()
    engines = [create_engine(pg_database_url) for _ in range(2)]
    try:
        units = [unit_of_work_factory(session_factory(engine)) for engine in engines]
        desk = make_desk(units[0], clock, daily_limit=10_000_000)
        ids = []
        for number in range(12):
            receipt = f"RCP{number:07d}"
            await seed(
                units[0],
                Seed(
                    f"WW-{number}",
                    100 + number,
                    PaymentStatus.PAID,
                    clock() - timedelta(hours=1),
                    receipt=receipt,
                ),
            )
            asked = await desk.request(receipt, amount=None, reason=None, by=staff_actor(1))
            assert asked.refund is not None
            await desk.approve(asked.refund.id, user_id=2)
            ids.append(asked.refund.id)
        gateway = SlowGateway()
        senders = [
            RefundSender(
                unit,
                gateway,
                RefundEffects(clock=clock, notices=RefundNotices(clock=clock, staff=STAFF)),
                make_desk(unit, clock),
                clock=clock,
            )
            for unit in units
        ]
        await asyncio.gather(*(sender.one_pass() for sender in senders))
        sent = sorted(str(call["receipt"]) for _, call in gateway.calls)
        assert sent == sorted(f"RCP{number:07d}" for number in range(12))
        for refund_id in ids:
            view = await desk.get(refund_id)
            assert view is not None
            assert view.refund.state is RefundState.SENT
            assert view.refund.attempts == 1
    finally:
        for engine in engines:
            await engine.dispose()
