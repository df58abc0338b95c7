"""A paybill payment made while the order's STK push was still out (the prompt never came).

Its C2B confirmation waits for that push (it may be the push's own money); when the push then
fails or expires, the confirmation is credited to the order once, in the settling transaction,
without the statement check. A push that is paid leaves it waiting (the statement decides).
"""

from __future__ import annotations

import json

import pytest

from checkout.domain.records import BodyStatus, Channel, PaymentStatus, ReceivedBody, StaffChat
from checkout.domain.time import NAIROBI
from checkout.payments.ports import NewPayment
from checkout.payments.settling.settle import SettlementService
from checkout.till.credit import CreditOutcome
from checkout.till.records import LedgerSource
from checkout.till.waiting import WaitingConfirmations
from daraja.c2b import parse_c2b
from lipa_testing.gateway import failed, paid
from tests.till.world import PHONE, TillWorld, UowFactory
from webhook.till import kept_confirmation, till_payment

ORDER = "WW-1042"
REQUEST = "ws_CO_wait1"
CODE = "C2BWAIT001"


def confirmation(world: TillWorld) -> ReceivedBody:
    """Daraja's C2B confirmation of KES 1,500 to the paybill for the order, from the phone."""
    body = {
        "TransactionType": "Pay Bill",
        "TransID": CODE,
        "TransTime": world.clock().astimezone(NAIROBI).strftime("%Y%m%d%H%M%S"),
        "TransAmount": "1500.00",
        "BusinessShortCode": "174379",
        "BillRefNumber": ORDER,
        "InvoiceNumber": "",
        "OrgAccountBalance": "",
        "ThirdPartyTransID": "",
        "MSISDN": PHONE,
        "FirstName": "JOHN",
        "MiddleName": "",
        "LastName": "DOE",
    }
    return ReceivedBody(json.dumps(body).encode(), "196.201.214.200", world.clock())


@pytest.fixture
def world(uow: UowFactory) -> TillWorld:
    return TillWorld(uow)


@pytest.fixture
def settlement(uow: UowFactory, world: TillWorld) -> SettlementService:
    waiting = WaitingConfirmations(world.credits, kept_confirmation)
    return SettlementService(uow, clock=world.clock, staff=StaffChat("-100"), listeners=[waiting])


async def push_out(world: TillWorld) -> int:
    await world.order(ORDER, 1500)
    async with world.uow() as unit:
        payment = await unit.payments.create_pending(
            NewPayment(ORDER, None, Channel.TELEGRAM, "42", 1500, PHONE, "en"), now=world.clock()
        )
        await unit.payments.mark_requested(
            payment.id, merchant_request_id="m1", checkout_request_id=REQUEST
        )
        await unit.commit()
    return payment.id


async def pay_by_paybill(world: TillWorld) -> CreditOutcome:
    received = confirmation(world)
    paid_in = till_payment(parse_c2b(received.body))
    result = await world.credits.record(
        paid_in, source=LedgerSource.CONFIRMATION, received=received
    )
    return result.outcome


@pytest.mark.parametrize("ending", ["failed", "expired"])
async def test_a_confirmation_that_waited_is_credited_once_the_push_ends_without_money(
    world: TillWorld, settlement: SettlementService, ending: str
) -> None:
    payment_id = await push_out(world)
    world.later(40)
    assert await pay_by_paybill(world) is CreditOutcome.WAITING
    assert (await world.order_now(ORDER)).amount_paid == 0  # what happened until now, for good

    world.later(30)
    if ending == "failed":
        await settlement.settle(failed(REQUEST, 1037), source="callback")
    else:
        async with world.uow() as unit:
            assert await settlement.expire(unit, await world.payment(payment_id), reason="no")
            await unit.commit()
    assert (await world.order_now(ORDER)).amount_paid == 1500
    async with world.uow() as unit:
        entry = await unit.till.get(CODE)
        kept = await unit.callback_bodies.recent(limit=5)
    assert entry is not None
    assert entry.order_reference == ORDER
    assert [body.status for body in kept] == [BodyStatus.SETTLED]

    # The confirmation again, or the statement's line of it: credited once.
    assert await pay_by_paybill(world) is CreditOutcome.DUPLICATE
    assert (await world.order_now(ORDER)).amount_paid == 1500
    # A late answer for the push changes nothing either.
    await settlement.settle(failed(REQUEST, 1037), source="query")
    assert (await world.order_now(ORDER)).amount_paid == 1500


async def test_a_confirmation_keeps_waiting_when_the_push_is_paid(
    world: TillWorld, settlement: SettlementService
) -> None:
    await push_out(world)
    world.later(40)
    assert await pay_by_paybill(world) is CreditOutcome.WAITING
    await settlement.settle(paid(REQUEST, 1500, receipt="RPAIDSTK01"), source="callback")
    assert (await world.order_now(ORDER)).amount_paid == 1500
    async with world.uow() as unit:
        assert await unit.till.get(CODE) is None
        (kept,) = await unit.callback_bodies.recent(limit=5)
    assert kept.status is BodyStatus.UNKNOWN
    assert (await world.payment(1)).status is PaymentStatus.PAID
