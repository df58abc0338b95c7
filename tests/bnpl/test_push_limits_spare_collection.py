"""The push limits hold back the pushes people ask for, never the installments being collected.

The customer's own pushes to the plan's number are exhausted and cancelled twice in a row, so
any push they ask for is refused; the deposit, the installment on its date and its retry
after a cancellation still go out, under the plan's own rules.
"""

from __future__ import annotations

from datetime import date, timedelta

from checkout.bnpl.pushes import PlanPushOutcome
from checkout.conversation.model import StartPayment
from checkout.domain.outcomes import PushRefused, RefusalReason
from checkout.domain.records import Channel
from checkout.payments.limits import PushLimits
from tests.bnpl.conftest import CHAT, START, Shop, UowFactory, make_shop, nairobi, take_plan

PLAN_PHONE = "254712345678"
FIRST = date(2026, 12, 5)
STRICT = PushLimits(
    per_phone=2,
    phone_window=timedelta(days=30),
    per_sender=2,
    sender_window=timedelta(days=30),
    cancels_in_a_row=2,
    pause=timedelta(days=31),  # the longest wait, so the one the customer is told
)


async def ask(shop: Shop, reference: str) -> object:
    """The customer asks in the chat for a push to the plan's number, for another order."""
    async with shop.uow() as unit:
        customer = await unit.customers.get_or_create(
            Channel.TELEGRAM, CHAT, language="en", now=shop.clock()
        )
        await unit.commit()
    request = StartPayment(reference, 100, PLAN_PHONE, order_known=False)
    return await shop.payments.start(customer, "en", request, sender=f"telegram:{CHAT}")


async def test_installment_collection_and_its_retry_go_out_while_the_customers_pushes_wait(
    uow: UowFactory,
) -> None:
    shop = make_shop(uow, limits=STRICT)
    async with uow() as unit:
        await unit.orders.create("WW-1042", 3000, known=True)
        await unit.commit()
    await take_plan(shop, 3)  # the deposit's push is the plan's: not counted
    assert shop.pushed_amounts() == [750]

    shop.clock.now = START + timedelta(days=1)
    for reference in ("X-1", "X-2"):
        assert not isinstance(await ask(shop, reference), PushRefused)
        await shop.settle_last(1032)
    refused = await ask(shop, "X-3")
    assert isinstance(refused, PushRefused)
    assert refused.reason is RefusalReason.PHONE_PAUSED
    assert shop.pushed_amounts() == [750, 100, 100]

    report = await shop.collect(nairobi(FIRST))
    assert [item.outcome for item in report.pushes] == [PlanPushOutcome.SENT]
    assert shop.pushed_amounts()[-1] == 750
    await shop.settle_last(1032)  # a third cancellation in a row, of the installment's prompt
    retry = await shop.collect(nairobi(FIRST + timedelta(days=1)))
    assert [item.outcome for item in retry.pushes] == [PlanPushOutcome.SENT]
    assert shop.pushed_amounts() == [750, 100, 100, 750, 750]
    assert isinstance(await ask(shop, "X-4"), PushRefused)
