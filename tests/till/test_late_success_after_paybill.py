"""A push that expired or failed, the order then paid by paybill, and the push's late success.

The paybill payment is credited once; the push's late success (callback or query) never
credits the order a second time through its account number: while the order still owes it
stays a conflict for the staff and the statement credits that money once; once the order is
paid it is recorded as money paid twice (the payment paid, the order overpaid, the staff told
with the refund to send), and the statement matches it to that payment.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from checkout.domain.records import Channel, PaymentStatus, StaffChat
from checkout.payments.ports import NewPayment
from checkout.payments.settling.results import SettleOutcome
from checkout.payments.settling.settle import SettlementService
from checkout.till.credit import CreditOutcome
from checkout.till.records import LedgerSource, TillPayment
from lipa_testing.gateway import failed, paid
from tests.till.world import PHONE, TillWorld, UowFactory

ORDER = "WW-1042"
LATE = "RLATE00001"
REQUEST = "ws_CO_late1"


@pytest.fixture
def world(uow: UowFactory) -> TillWorld:
    return TillWorld(uow)


@pytest.fixture
def settlement(uow: UowFactory, world: TillWorld) -> SettlementService:
    return SettlementService(uow, clock=world.clock, staff=StaffChat("-100"))


async def given_up_push(world: TillWorld, settlement: SettlementService, how: str) -> int:
    """A push for the order that expired (nobody answered) or failed (1037)."""
    await world.order(ORDER, 1500)
    async with world.uow() as unit:
        payment = await unit.payments.create_pending(
            NewPayment(ORDER, None, Channel.TELEGRAM, "42", 1500, PHONE, "en"), now=world.clock()
        )
        await unit.payments.mark_requested(
            payment.id, merchant_request_id="m1", checkout_request_id=REQUEST
        )
        if how == "expired":
            assert await settlement.expire(unit, payment, reason="no answer")
        await unit.commit()
    if how == "failed":
        await settlement.settle(failed(REQUEST, 1037), source="callback")
    world.later(120)
    return payment.id


def statement_line(world: TillWorld, code: str) -> TillPayment:
    """The statement's line of a transaction for the order (its account number typed)."""
    return TillPayment(
        transaction_id=code,
        amount=1500,
        paid_at=world.clock(),
        account=ORDER,
        msisdn="2547****5678",
        payer_name="JOHN DOE",
        kind="Pay Bill Online",
        shortcode="600638",
    )


async def staff_texts(world: TillWorld) -> list[str]:
    return [str(m["text"]) for m in await world.outbox() if m["chat"] == "-100"]


@pytest.mark.parametrize("how", ["expired", "failed"])
@pytest.mark.parametrize("source", ["callback", "query"])
async def test_a_late_success_after_the_paybill_credit_is_an_overpayment_never_a_second_credit(
    world: TillWorld, settlement: SettlementService, how: str, source: str
) -> None:
    payment_id = await given_up_push(world, settlement, how)
    paybill = await world.credits.record(
        world.c2b("C2BPAID001", 1500, account=ORDER), source=LedgerSource.CONFIRMATION
    )
    assert paybill.outcome is CreditOutcome.CREDITED
    assert (await world.order_now(ORDER)).amount_paid == 1500

    outcome = await settlement.settle(paid(REQUEST, 1500, receipt=LATE), source=source)
    assert outcome is SettleOutcome.OVERPAID
    late = await world.payment(payment_id)
    assert late.status is PaymentStatus.PAID
    assert late.receipt_number == LATE
    order = await world.order_now(ORDER)
    assert order.amount_paid == 3000  # the overpayment is recorded, to be refunded
    assert any(
        f"/refund {LATE}" in text and "overpaid" in text for text in await staff_texts(world)
    )

    # The same answer again, the statement's lines of both payments, the C2B again: nothing.
    again = await settlement.settle(paid(REQUEST, 1500, receipt=LATE), source="callback")
    assert again is SettleOutcome.DUPLICATE
    line = await world.credits.record(statement_line(world, LATE), source=LedgerSource.STATEMENT)
    assert line.outcome is CreditOutcome.MATCHED
    assert line.payment is not None
    assert line.payment.id == payment_id
    repeat = await world.credits.record(
        world.c2b("C2BPAID001", 1500, account=ORDER), source=LedgerSource.STATEMENT
    )
    assert repeat.outcome is CreditOutcome.DUPLICATE
    assert (await world.order_now(ORDER)).amount_paid == 3000


async def test_a_late_success_while_the_order_owes_is_a_conflict_the_statement_credits_once(
    world: TillWorld, settlement: SettlementService
) -> None:
    payment_id = await given_up_push(world, settlement, "expired")
    outcome = await settlement.settle(paid(REQUEST, 1500, receipt=LATE), source="callback")
    assert outcome is SettleOutcome.CONFLICT
    assert (await world.payment(payment_id)).status is PaymentStatus.EXPIRED
    assert (await world.order_now(ORDER)).amount_paid == 0
    world.later(timedelta(hours=1).total_seconds())
    first = await world.credits.record(statement_line(world, LATE), source=LedgerSource.STATEMENT)
    assert first.outcome is CreditOutcome.CREDITED
    second = await world.credits.record(statement_line(world, LATE), source=LedgerSource.STATEMENT)
    assert second.outcome is CreditOutcome.DUPLICATE
    assert (await world.order_now(ORDER)).amount_paid == 1500
