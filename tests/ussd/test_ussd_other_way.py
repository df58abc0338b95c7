"""A USSD push Daraja refuses twice: the second SMS carries the other way to pay."""

from __future__ import annotations

from sqlalchemy import select

from checkout.channels.gsm import is_gsm7
from checkout.channels.ussd.deferred_pushes import PushPolicy, PushWorker
from checkout.domain.outcomes import PushProblem
from checkout.payments.gateway import PushFailed
from checkout.payments.other_way import OtherWay, PayTo
from checkout.payments.ports import PushOutcome
from checkout.payments.start import PaymentService
from storage.models import OutboxRow
from tests.ussd.conftest import CALLER_KEY, UssdShop
from tests.ussd.test_push_queue import queue_payment


async def test_the_second_refused_push_sms_tells_the_till_to_pay_instead(shop: UssdShop) -> None:
    elsewhere = OtherWay(PayTo("5123456", till=True), clock=shop.clock)
    payments = PaymentService(
        shop.uow, shop.gateway, shop.settlement, clock=shop.clock, other_way=elsewhere
    )
    worker = PushWorker(shop.uow, payments, clock=shop.clock, policy=PushPolicy())
    shop.gateway.fail_with = PushFailed(PushProblem.REFUSED, "400.002.02", code="400.002.02")
    for _ in range(2):
        await queue_payment(shop)
        assert [pushed.outcome for pushed in await worker.run_once()] == [PushOutcome.FAILED]
    async with shop.uow() as unit:
        rows = (
            await unit.session.execute(
                select(OutboxRow.channel, OutboxRow.chat_key, OutboxRow.payload).order_by(
                    OutboxRow.id
                )
            )
        ).all()
    assert [(row.channel, row.chat_key) for row in rows] == [("ussd", CALLER_KEY)] * 2
    first, second = (row.payload["text"] for row in rows)
    assert "Till number" not in first
    assert second.startswith("Not paid: KES 1,500 for order WW-1042.")
    assert (
        "Other way to pay: on your phone open M-Pesa > Lipa na M-Pesa > Buy Goods and Services. "
        "Till number: 5123456. Amount: KES 1,500."
    ) in second
    assert "*234#" in second
    assert is_gsm7(second)
    async with shop.uow() as unit:
        told = await unit.ways_out.told_to_pay(limit=5)
    assert [(t.order.reference, t.phone) for t in told] == [("WW-1042", CALLER_KEY)]
