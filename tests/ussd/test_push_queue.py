"""Pushes queued by USSD sessions: sent after the session, at most once, failures told by SMS."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from checkout.channels.gsm import gsm7_length, is_gsm7
from checkout.channels.ussd.deferred_pushes import PushPolicy
from checkout.domain.outcomes import PushProblem
from checkout.domain.records import Channel, Payment, PaymentStatus
from checkout.payments.gateway import PushFailed
from checkout.payments.ports import PushOutcome
from storage.models import PushRequestRow
from tests.ussd.conftest import CALLER_KEY, MakeShop, UssdShop

PAY = ("", "1", "WW-1042", "1", "1")


async def queue_payment(shop: UssdShop) -> None:
    """A customer pays WW-1042 by USSD: the session ends and the push is queued."""
    phone = shop.phone()
    for answer in PAY:
        await (phone.send(answer) if answer else phone.dial())


async def the_payment(shop: UssdShop) -> Payment:
    async with shop.uow() as unit:
        payment = await unit.payments.latest_for_chat(Channel.USSD, CALLER_KEY)
    assert payment is not None
    return payment


async def push_rows(shop: UssdShop) -> list[SimpleNamespace]:
    async with shop.uow() as unit:
        rows = await unit.session.scalars(select(PushRequestRow).order_by(PushRequestRow.id))
        return [
            SimpleNamespace(outcome=row.outcome, attempts=row.attempts, error=row.last_error)
            for row in rows
        ]


def fits_one_sms(text: str) -> bool:
    return is_gsm7(text) and gsm7_length(text) <= 160


class TestSending:
    async def test_a_queued_push_goes_out_once(self, shop: UssdShop) -> None:
        await queue_payment(shop)
        done = await shop.pushes.run_once()
        assert [pushed.outcome for pushed in done] == [PushOutcome.SENT]
        assert await shop.pushes.run_once() == []
        assert len(shop.gateway.pushes) == 1
        payment = await the_payment(shop)
        assert (payment.status, payment.checkout_request_id) == (PaymentStatus.PENDING, "ws_CO_1")

    async def test_a_push_waits_until_the_session_has_had_time_to_close(
        self, make_shop: MakeShop
    ) -> None:
        shop = await make_shop(push_delay=2.0)
        await queue_payment(shop)
        assert await shop.pushes.run_once() == []
        shop.clock.advance(2)
        assert [pushed.outcome for pushed in await shop.pushes.run_once()] == [PushOutcome.SENT]

    async def test_a_queued_push_survives_a_restart(self, make_shop: MakeShop) -> None:
        before = await make_shop()
        await queue_payment(before)
        # Another process (or this one after a crash right after END) finds it in the queue.
        after = await make_shop(seed=False)
        assert [pushed.outcome for pushed in await after.pushes.run_once()] == [PushOutcome.SENT]
        assert before.gateway.pushes == []
        assert len(after.gateway.pushes) == 1

    async def test_the_running_worker_sends_a_push_as_soon_as_it_is_queued(
        self, make_shop: MakeShop
    ) -> None:
        # An idle poll of an hour: only the wake-up on queueing can send the push in time (a
        # loaded CI machine may take seconds, so the wait below is generous without letting
        # the poll pass for a wake-up).
        shop = await make_shop(push_policy=PushPolicy(idle_poll_seconds=3600.0))
        worker = asyncio.create_task(shop.pushes.run_forever())
        try:
            await asyncio.sleep(0.05)  # the worker is idle, waiting up to an hour
            await queue_payment(shop)
            async with asyncio.timeout(30):
                # The in-memory gateway has no event to wait on: poll it.
                while not shop.gateway.pushes:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        assert len(shop.gateway.pushes) == 1


class TestRetries:
    @pytest.mark.parametrize(
        "problem",
        [PushProblem.BUSY, PushProblem.UNAVAILABLE, PushProblem.SUBSCRIBER_LOCKED],
    )
    async def test_a_push_that_did_not_reach_the_phone_is_tried_again(
        self, shop: UssdShop, problem: PushProblem
    ) -> None:
        await queue_payment(shop)
        shop.gateway.fail_with = PushFailed(problem, "not now")
        assert [pushed.outcome for pushed in await shop.pushes.run_once()] == [None]
        shop.gateway.fail_with = None
        assert await shop.pushes.run_once() == []  # not due yet
        shop.clock.advance(5)
        assert [pushed.outcome for pushed in await shop.pushes.run_once()] == [PushOutcome.SENT]
        assert len(shop.gateway.pushes) == 2
        assert (await shop.outbox()) == []

    async def test_retries_stop_when_the_customer_would_wait_too_long(self, shop: UssdShop) -> None:
        await queue_payment(shop)
        shop.gateway.fail_with = PushFailed(PushProblem.SUBSCRIBER_LOCKED, "locked")
        outcomes = []
        for _ in range(10):
            outcomes += [pushed.outcome for pushed in await shop.pushes.run_once()]
            shop.clock.advance(30)
        assert outcomes[-1] is PushOutcome.FAILED
        assert outcomes[:-1] == [None] * (len(outcomes) - 1)
        assert (await the_payment(shop)).status is PaymentStatus.FAILED
        [sms] = await shop.outbox()
        assert sms["chat"] == CALLER_KEY
        assert sms["text"] == (
            "Not paid: KES 1,500 for order WW-1042. Another M-Pesa request was in progress on "
            "your phone. Wait a minute, then try again."
        )


class TestGivingUp:
    async def test_a_refused_push_fails_the_payment_and_tells_the_customer_by_sms(
        self, shop: UssdShop
    ) -> None:
        await queue_payment(shop)
        shop.gateway.fail_with = PushFailed(PushProblem.REFUSED, "400.002.02", code="400.002.02")
        assert [pushed.outcome for pushed in await shop.pushes.run_once()] == [PushOutcome.FAILED]
        assert (await the_payment(shop)).status is PaymentStatus.FAILED
        [sms] = await shop.outbox()
        assert (sms["channel"], sms["chat"]) == ("ussd", CALLER_KEY)
        assert sms["text"] == (
            "Not paid: KES 1,500 for order WW-1042. M-Pesa could not start the payment. "
            "Please try again."
        )
        assert fits_one_sms(sms["text"])
        assert len(shop.gateway.pushes) == 1

    async def test_the_customers_telegram_chat_gets_a_copy_in_its_language(
        self, shop: UssdShop
    ) -> None:
        async with shop.uow() as unit:
            telegram = await unit.customers.get_or_create(
                Channel.TELEGRAM, "5001", language="sw", now=shop.clock(), telegram_user_id=5001
            )
            await unit.customers.set_phone(telegram.id, CALLER_KEY, now=shop.clock())
            await unit.commit()
        await queue_payment(shop)
        shop.gateway.fail_with = PushFailed(PushProblem.UNAVAILABLE, "down")
        shop.clock.advance(200)  # past every retry: given up as late
        await shop.pushes.run_once()
        messages = {message["channel"]: message for message in await shop.outbox()}
        assert messages["ussd"]["text"].startswith("Not paid: KES 1,500 for order WW-1042.")
        assert messages["telegram"] == {
            "channel": "telegram",
            "chat": "5001",
            "text": (
                "Haijalipwa: KES 1,500 kwa oda WW-1042. Hatukuweza kutuma ombi la M-Pesa kwa "
                "wakati. Tafadhali jaribu tena."
            ),
        }

    async def test_a_push_not_sent_in_time_is_not_sent_at_all(self, shop: UssdShop) -> None:
        await queue_payment(shop)
        shop.clock.advance(91)
        assert [pushed.outcome for pushed in await shop.pushes.run_once()] == [PushOutcome.LATE]
        assert shop.gateway.pushes == []
        assert (await the_payment(shop)).status is PaymentStatus.FAILED
        [sms] = await shop.outbox()
        assert sms["text"] == (
            "Not paid: KES 1,500 for order WW-1042. We could not send the M-Pesa prompt in "
            "time. Please try again."
        )

    async def test_a_payment_settled_meanwhile_is_not_pushed(self, shop: UssdShop) -> None:
        await queue_payment(shop)
        payment = await the_payment(shop)
        async with shop.uow() as unit:
            await shop.settlement.expire(unit, payment, reason="test")
            await unit.commit()
        assert [pushed.outcome for pushed in await shop.pushes.run_once()] == [PushOutcome.SKIPPED]
        assert shop.gateway.pushes == []


class TestAtMostOnce:
    async def test_a_push_whose_outcome_is_unknown_is_never_sent_again(
        self, shop: UssdShop
    ) -> None:
        await queue_payment(shop)
        shop.gateway.fail_with = PushFailed(PushProblem.OUTCOME_UNKNOWN, "read timeout")
        assert [pushed.outcome for pushed in await shop.pushes.run_once()] == [PushOutcome.UNKNOWN]
        shop.gateway.fail_with = None
        shop.clock.advance(60)
        assert await shop.pushes.run_once() == []
        assert len(shop.gateway.pushes) == 1
        # Left to the reconciler: still pending, and nothing told yet.
        assert (await the_payment(shop)).status is PaymentStatus.PENDING
        assert await shop.outbox() == []

    async def test_a_push_whose_sender_died_mid_call_is_never_sent_again(
        self, shop: UssdShop
    ) -> None:
        await queue_payment(shop)
        async with shop.uow() as unit:  # a worker claims it, then its process dies
            claimed = await unit.pushes.claim_due(now=shop.clock(), limit=10, lease_seconds=180)
            await unit.commit()
        assert len(claimed) == 1
        shop.clock.advance(179)
        assert await shop.pushes.run_once() == []
        assert [row.outcome for row in await push_rows(shop)] == [None]
        shop.clock.advance(2)
        assert await shop.pushes.run_once() == []
        assert [row.outcome for row in await push_rows(shop)] == ["interrupted"]
        assert shop.gateway.pushes == []
        assert (await the_payment(shop)).status is PaymentStatus.PENDING

    async def test_two_workers_send_one_push(self, make_shop: MakeShop) -> None:
        first = await make_shop()
        second = await make_shop(seed=False)
        await queue_payment(first)
        done = await asyncio.gather(first.pushes.run_once(), second.pushes.run_once())
        assert sorted(len(each) for each in done) == [0, 1]
        assert len(first.gateway.pushes) + len(second.gateway.pushes) == 1
