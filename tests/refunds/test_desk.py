"""Asking for and approving refunds: the four-eyes rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from checkout.domain.records import Channel, PaymentStatus, StaffChat
from checkout.domain.refunds import RefundOutcome, RefundState
from checkout.refunds.desk import RefundDesk
from checkout.refunds.notices import RefundNotices, parse_press
from checkout.refunds.rules import API_ACTOR, RefundRules, staff_actor
from lipa_testing.clocks import SettableClock
from storage.unit_of_work import SqlUnits
from tests.staff.seeding import Seed, seed

STAFF = StaffChat(chat_key="-100", channel=Channel.TELEGRAM, language="en")


def make_desk(uow: SqlUnits, clock: SettableClock, **rules: object) -> RefundDesk:
    return RefundDesk(
        uow,
        clock=clock,
        rules=RefundRules.of(**rules),  # type: ignore[arg-type]
        notices=RefundNotices(clock=clock, staff=STAFF),
    )


async def paid(
    uow: SqlUnits, clock: SettableClock, receipt: str = "NLJ7RT61SV", amount: int = 1000
):
    return await seed(
        uow,
        Seed("WW-1042", amount, PaymentStatus.PAID, clock() - timedelta(hours=1), receipt=receipt),
    )


async def staff_messages(uow: SqlUnits) -> list[dict[str, object]]:
    async with uow() as unit:
        rows = await unit.outbox.claim_due(
            now=SettableClock().now + timedelta(days=400), limit=100, lease_seconds=1
        )
    return [row.payload for row in rows if row.chat_key == STAFF.chat_key]


async def test_a_request_waits_for_another_staff_user(uow: SqlUnits) -> None:
    clock = SettableClock()
    desk = make_desk(uow, clock)
    await paid(uow, clock)
    asked = await desk.request("nlj7rt61sv", amount=None, reason="paid twice", by=staff_actor(1))
    assert asked.outcome is RefundOutcome.REQUESTED
    refund = asked.refund
    assert refund is not None
    assert refund.amount == 1000
    assert refund.state is RefundState.REQUESTED
    [message] = await staff_messages(uow)
    assert "paid twice" in str(message["text"])
    buttons = message["buttons"]
    assert [parse_press(b["data"]) for b in buttons[0]] == [  # type: ignore[index]
        ("approve", refund.id),
        ("reject", refund.id),
    ]

    own = await desk.approve(refund.id, user_id=1)
    assert own.outcome is RefundOutcome.OWN_REQUEST
    approved = await desk.approve(refund.id, user_id=2)
    assert approved.outcome is RefundOutcome.APPROVED
    assert approved.refund is not None
    assert approved.refund.approved_by == staff_actor(2)
    third = await desk.approve(refund.id, user_id=3)
    assert third.outcome is RefundOutcome.DECIDED
    assert (await desk.reject(refund.id, user_id=3)).outcome is RefundOutcome.DECIDED
    view = await desk.get(refund.id)
    assert view is not None
    assert view.refund.state is RefundState.APPROVED


async def test_refunds_never_pass_the_payment(uow: SqlUnits) -> None:
    clock = SettableClock()
    desk = make_desk(uow, clock)
    await paid(uow, clock)
    first = await desk.request("NLJ7RT61SV", amount=600, reason=None, by=staff_actor(1))
    assert first.outcome is RefundOutcome.REQUESTED
    too_much = await desk.request("NLJ7RT61SV", amount=500, reason=None, by=staff_actor(1))
    assert too_much.outcome is RefundOutcome.TOO_MUCH
    assert too_much.left == 400
    rest = await desk.request("NLJ7RT61SV", amount=None, reason=None, by=staff_actor(1))
    assert rest.outcome is RefundOutcome.REQUESTED
    assert rest.refund is not None
    assert rest.refund.amount == 400
    assert rest.view is not None
    assert rest.view.balance_after == 400
    # A rejected request gives its amount back to what may be refunded.
    assert first.refund is not None
    await desk.reject(first.refund.id, user_id=2)
    again = await desk.request("NLJ7RT61SV", amount=600, reason=None, by=staff_actor(1))
    assert again.outcome is RefundOutcome.REQUESTED


async def test_unknown_unpaid_and_old_payments_are_refused(uow: SqlUnits) -> None:
    clock = SettableClock()
    desk = make_desk(uow, clock, max_age_days=30)
    assert (
        await desk.request("QQQ1234567", amount=None, reason=None, by=API_ACTOR)
    ).outcome is RefundOutcome.NO_PAYMENT
    await seed(
        uow,
        Seed("WW-7", 100, PaymentStatus.PAID, clock() - timedelta(days=31), receipt="OLD1234567"),
    )
    assert (
        await desk.request("OLD1234567", amount=None, reason=None, by=API_ACTOR)
    ).outcome is RefundOutcome.TOO_OLD
    await paid(uow, clock)
    assert (
        await desk.request("NLJ7RT61SV", amount=0, reason=None, by=API_ACTOR)
    ).outcome is RefundOutcome.BAD_AMOUNT


async def test_the_daily_limit_waits_for_an_owner_or_the_next_day(uow: SqlUnits) -> None:
    clock = SettableClock()  # 12:00 in Nairobi
    desk = make_desk(uow, clock, daily_limit=1500, owners=[9])
    await paid(uow, clock, "AAA1111111", 1000)
    await paid(uow, clock, "BBB2222222", 1000)
    one = await desk.request("AAA1111111", amount=None, reason=None, by=staff_actor(1))
    two = await desk.request("BBB2222222", amount=None, reason=None, by=staff_actor(1))
    assert one.refund is not None
    assert two.refund is not None
    assert (await desk.approve(one.refund.id, user_id=2)).outcome is RefundOutcome.APPROVED
    over = await desk.approve(two.refund.id, user_id=2)
    assert over.outcome is RefundOutcome.OVER_LIMIT
    assert over.left == 500
    owner = await desk.approve(two.refund.id, user_id=9)
    assert owner.outcome is RefundOutcome.APPROVED
    assert owner.refund is not None
    assert owner.refund.over_limit


async def test_only_named_approvers_approve_and_requests_expire(uow: SqlUnits) -> None:
    clock = SettableClock()
    desk = make_desk(uow, clock, approvers=[5])
    await paid(uow, clock)
    asked = await desk.request("NLJ7RT61SV", amount=100, reason=None, by=staff_actor(1))
    assert asked.refund is not None
    assert (await desk.approve(asked.refund.id, user_id=2)).outcome is RefundOutcome.NOT_APPROVER
    clock.advance(hours=25)
    late = await desk.approve(asked.refund.id, user_id=5)
    assert late.outcome is RefundOutcome.EXPIRED
    assert late.refund is not None
    assert late.refund.state is RefundState.EXPIRED
    other = await desk.request("NLJ7RT61SV", amount=100, reason=None, by=staff_actor(1))
    assert other.refund is not None
    clock.advance(hours=25)
    assert await desk.expire_old() == 1


async def test_the_api_reference_makes_a_request_idempotent(uow: SqlUnits) -> None:
    clock = SettableClock()
    desk = make_desk(uow, clock)
    await paid(uow, clock)
    first = await desk.request(
        "NLJ7RT61SV", amount=300, reason="x", by=API_ACTOR, api_reference="ref-1"
    )
    again = await desk.request(
        "NLJ7RT61SV", amount=300, reason="x", by=API_ACTOR, api_reference="ref-1"
    )
    assert first.outcome is RefundOutcome.REQUESTED
    assert again.outcome is RefundOutcome.SAME
    assert first.refund is not None
    assert again.refund is not None
    assert first.refund.id == again.refund.id
    other = await desk.request(
        "NLJ7RT61SV", amount=200, reason="x", by=API_ACTOR, api_reference="ref-1"
    )
    assert other.outcome is RefundOutcome.REFERENCE_TAKEN
    # Any staff user approves a request the platform made.
    assert (await desk.approve(first.refund.id, user_id=1)).outcome is RefundOutcome.APPROVED
