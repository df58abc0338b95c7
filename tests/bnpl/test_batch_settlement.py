"""Payments settled together in a batch: a plan's deposit among ordinary payments.

A batch asks once which of its payments pay a plan (most pay none), so this checks that the
one that does is still settled as a plan payment, and the others as ordinary ones.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.bnpl.records import InstallmentStatus, PlanPayment, PlanStatus
from checkout.domain.records import Channel, PaymentStatus
from checkout.payments.ports import NewPayment
from checkout.payments.settling.settle import SettleOutcome
from lipa_testing.gateway import paid
from tests.bnpl.conftest import CHAT, ORDER, START, Shop, UowFactory, take_plan

OTHER_CHAT = "77"


async def pending_elsewhere(uow: UowFactory, reference: str, request_id: str) -> int:
    """An ordinary order of KES 500 with a pending payment whose push Daraja accepted."""
    async with uow() as unit:
        await unit.orders.create(reference, 500, known=True)
        payment = await unit.payments.create_pending(
            NewPayment(
                order_reference=reference,
                customer_id=None,
                channel=Channel.TELEGRAM,
                chat_key=OTHER_CHAT,
                language="en",
                amount=500,
                phone="254700000077",
            ),
            now=START,
        )
        await unit.payments.mark_requested(
            payment.id, merchant_request_id="m-77", checkout_request_id=request_id
        )
        await unit.commit()
    return payment.id


async def test_a_deposit_settled_in_a_batch_with_an_ordinary_payment_starts_its_plan(
    shop: Shop,
) -> None:
    await take_plan(shop, 3, pay_deposit=False)
    await pending_elsewhere(shop.uow, "WW-2000", "ws_CO_other")
    await shop.messages()
    async with shop.uow() as unit:
        deposit = (await unit.payments.recent_for_chat(Channel.TELEGRAM, CHAT, 1))[0]
    assert deposit.checkout_request_id is not None

    outcomes = await shop.settlement.settle_batch(
        [
            (paid("ws_CO_other", 500, receipt="RCPTOTHER"), "callback", None),
            (paid(deposit.checkout_request_id, 750, receipt="RCPTDEP"), "callback", None),
        ]
    )

    assert outcomes == [SettleOutcome.SETTLED, SettleOutcome.SETTLED]
    plan = await shop.plan()
    assert plan.status is PlanStatus.ACTIVE
    assert plan.deposit.status is InstallmentStatus.PAID
    texts = {m["chat"]: m["text"] for m in await shop.messages() if m["chat"] != "-100"}
    assert texts[CHAT].startswith("Deposit paid: KES 750 for order WW-1042, receipt RCPTDEP.")
    assert texts[OTHER_CHAT].startswith(
        "Paid: KES 500 for order WW-2000. M-Pesa receipt RCPTOTHER."
    )
    assert "plan" not in texts[OTHER_CHAT].lower()


async def test_preloading_answers_for_the_absent_without_asking_and_forgets_on_writes(
    shop: Shop, engine: AsyncEngine
) -> None:
    await take_plan(shop, 3, pay_deposit=False)
    other = await pending_elsewhere(shop.uow, "WW-2000", "ws_CO_other")
    async with shop.uow() as unit:
        deposit = (await unit.payments.recent_for_chat(Channel.TELEGRAM, CHAT, 1))[0]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with shop.uow() as unit:
            await unit.plans.preload([deposit.id, other], [ORDER, "WW-2000"])
            asked = len(statements)
            assert await unit.plans.link_for(other) is None
            assert await unit.plans.open_for_order("WW-2000") is None
            assert len(statements) == asked  # answered from the preload
            assert await unit.plans.link_for(deposit.id) is not None
            assert await unit.plans.open_for_order(ORDER) is not None
            plan = await unit.plans.open_for_order(ORDER)
            assert plan is not None
            await unit.plans.record_attempt(
                PlanPayment(plan_id=plan.id, payment_id=other, first=1, last=1, automatic=False),
                now=shop.clock() + timedelta(days=1),
            )
            asked = len(statements)
            await unit.plans.link_for(other)
            assert len(statements) > asked  # a link was written: asked again
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert deposit.status is PaymentStatus.PENDING
