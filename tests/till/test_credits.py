"""Till credits: each M-Pesa transaction once, to its order, to its STK payment, or to the queue."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace

import pytest

from checkout.domain.records import Channel, OrderStatus, PaymentMethod, PaymentStatus
from checkout.till.credit import CreditOutcome
from checkout.till.records import LedgerSource, LedgerState
from tests.till.world import PHONE, TillWorld, UowFactory


@pytest.fixture
def world(uow: UowFactory) -> TillWorld:
    return TillWorld(uow)


class TestAccountNumber:
    async def test_a_confirmation_for_an_order_reference_credits_that_order_once(
        self, world: TillWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        paid = world.c2b("RKTQDM7W6S", 1500, account=" ww-1042 ")
        first = await world.credits.record(paid, source=LedgerSource.CONFIRMATION)
        again = await world.credits.record(paid, source=LedgerSource.CONFIRMATION)
        assert first.outcome is CreditOutcome.CREDITED
        assert again.outcome is CreditOutcome.DUPLICATE
        order = await world.order_now("WW-1042")
        assert (order.amount_paid, order.status) == (1500, OrderStatus.PAID)
        assert first.payment is not None
        assert first.payment.method is PaymentMethod.TILL
        assert first.payment.status is PaymentStatus.PAID
        assert first.payment.receipt_number == "RKTQDM7W6S"

    async def test_the_statement_bringing_a_credited_transaction_changes_nothing(
        self, world: TillWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        paid = world.c2b("RKTQDM7W6S", 1500, account="WW-1042")
        await world.credits.record(paid, source=LedgerSource.CONFIRMATION)
        line = replace(paid, payer_name=None)
        again = await world.credits.record(line, source=LedgerSource.STATEMENT)
        assert again.outcome is CreditOutcome.DUPLICATE
        assert (await world.order_now("WW-1042")).amount_paid == 1500

    async def test_two_deliveries_at_once_credit_once(self, world: TillWorld) -> None:
        await world.order("WW-1042", 3000)
        paid = world.c2b("RKTQDM7W6S", 1500, account="WW-1042")
        results = await asyncio.gather(
            world.credits.record(paid, source=LedgerSource.CONFIRMATION),
            world.credits.record(paid, source=LedgerSource.STATEMENT),
        )
        outcomes = sorted(result.outcome.value for result in results)
        assert outcomes == ["credited", "duplicate"]
        assert (await world.order_now("WW-1042")).amount_paid == 1500

    async def test_more_than_the_balance_is_credited_all_the_same(self, world: TillWorld) -> None:
        await world.order("WW-1042", 1000)
        result = await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account="WW-1042"), source=LedgerSource.CONFIRMATION
        )
        assert result.outcome is CreditOutcome.CREDITED
        assert (await world.order_now("WW-1042")).amount_paid == 1500


class TestPhoneAndAmount:
    @pytest.mark.parametrize(
        "msisdn",
        [PHONE, "2547****5678", "2547 ***** 678", hashlib.sha256(PHONE.encode()).hexdigest()],
        ids=["full", "masked", "spaced", "hashed"],
    )
    async def test_an_unpaid_order_of_the_same_phone_and_amount_is_credited(
        self, world: TillWorld, msisdn: str
    ) -> None:
        await world.order("WW-1042", 1500, phone=PHONE)
        await world.order("WW-1043", 2000, phone=PHONE)
        await world.order("WW-1044", 1500, phone="254722000111")
        result = await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account="shoes", msisdn=msisdn),
            source=LedgerSource.CONFIRMATION,
        )
        assert result.outcome is CreditOutcome.CREDITED
        assert result.order is not None
        assert result.order.reference == "WW-1042"

    async def test_two_fitting_orders_leave_it_for_the_staff(self, world: TillWorld) -> None:
        await world.order("WW-1042", 1500, phone=PHONE)
        await world.order("WW-1043", 1500, phone=PHONE)
        result = await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account=None), source=LedgerSource.CONFIRMATION
        )
        assert result.outcome is CreditOutcome.QUEUED


class TestQueue:
    async def test_an_unknown_account_is_queued_and_the_staff_told(self, world: TillWorld) -> None:
        result = await world.credits.record(
            world.c2b("RKTQDM7W6S", 700, account="HELLO"), source=LedgerSource.CONFIRMATION
        )
        assert result.outcome is CreditOutcome.QUEUED
        queue, count = await world.credits.unmatched(limit=10)
        assert count == 1
        assert [entry.payment.transaction_id for entry in queue] == ["RKTQDM7W6S"]
        (staff,) = await world.outbox()
        assert staff["chat"] == "-100"
        assert "RKTQDM7W6S" in staff["text"]
        assert "/unmatched" in staff["text"]
        assert PHONE not in staff["text"]  # the payer's number is masked

    async def test_the_staff_credit_a_queued_one_to_an_order_once(self, world: TillWorld) -> None:
        await world.order("WW-1042", 700)
        await world.credits.record(
            world.c2b("RKTQDM7W6S", 700, account="HELLO"), source=LedgerSource.CONFIRMATION
        )
        first = await world.credits.credit_to_order("rktqdm7w6s", "ww-1042", by="amina")
        again = await world.credits.credit_to_order("RKTQDM7W6S", "WW-1042", by="amina")
        assert first.outcome is CreditOutcome.CREDITED
        assert again.outcome is CreditOutcome.DUPLICATE
        assert first.entry is not None
        assert (first.entry.state, first.entry.resolved_by) == (LedgerState.CREDITED, "amina")
        assert (await world.order_now("WW-1042")).amount_paid == 700
        assert (await world.credits.unmatched(limit=10))[1] == 0

    async def test_no_such_order_or_transaction_change_nothing(self, world: TillWorld) -> None:
        await world.credits.record(
            world.c2b("RKTQDM7W6S", 700, account="HELLO"), source=LedgerSource.CONFIRMATION
        )
        missing_order = await world.credits.credit_to_order("RKTQDM7W6S", "WW-9", by="amina")
        missing_code = await world.credits.credit_to_order("AAAAAAAAAA", "WW-9", by="amina")
        assert missing_order.outcome is CreditOutcome.NO_SUCH_ORDER
        assert missing_code.outcome is CreditOutcome.NO_SUCH_TRANSACTION
        assert (await world.credits.unmatched(limit=10))[1] == 1

    async def test_not_ours_takes_it_off_the_queue_once(self, world: TillWorld) -> None:
        await world.credits.record(
            world.c2b("RKTQDM7W6S", 700, account="HELLO"), source=LedgerSource.CONFIRMATION
        )
        first = await world.credits.not_ours("RKTQDM7W6S", by="amina")
        again = await world.credits.not_ours("RKTQDM7W6S", by="amina")
        assert (first.outcome, again.outcome) == (CreditOutcome.NOT_OURS, CreditOutcome.DUPLICATE)
        assert (await world.credits.unmatched(limit=10))[1] == 0

    async def test_a_status_answer_naming_the_order_credits_a_queued_code(
        self, world: TillWorld
    ) -> None:
        await world.order("WW-1042", 700)
        paid = world.c2b("RKTQDM7W6S", 700, account="HELLO")
        await world.credits.record(paid, source=LedgerSource.CONFIRMATION)
        result = await world.credits.record(
            paid, source=LedgerSource.STATUS, order_reference="WW-1042", by="customer"
        )
        assert result.outcome is CreditOutcome.CREDITED
        assert (await world.order_now("WW-1042")).amount_paid == 700


class TestStkPayments:
    async def test_a_transaction_with_an_stk_receipt_is_matched_not_credited(
        self, world: TillWorld
    ) -> None:
        payment_id = await world.stk("WW-1042", 1500, receipt="RKTQDM7W6S")
        result = await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account="WW-1042"), source=LedgerSource.STATEMENT
        )
        assert result.outcome is CreditOutcome.MATCHED
        assert result.payment is not None
        assert result.payment.id == payment_id
        assert (await world.order_now("WW-1042")).amount_paid == 1500
        assert await world.credits.known("RKTQDM7W6S") is not None

    async def test_a_query_settled_payment_gets_its_receipt_by_phone_amount_and_time(
        self, world: TillWorld
    ) -> None:
        payment_id = await world.stk("WW-1042", 1500, receipt=None)
        world.later(40)
        line = world.c2b("RKTQDM7W6S", 1500, account="WW-1042", msisdn="2547****5678")
        result = await world.credits.record(line, source=LedgerSource.STATEMENT)
        assert result.outcome is CreditOutcome.MATCHED
        payment = await world.payment(payment_id)
        assert payment.receipt_number == "RKTQDM7W6S"
        # The order is not credited a second time.
        assert (await world.order_now("WW-1042")).amount_paid == 1500

    async def test_a_pending_push_of_the_same_phone_and_amount_waits(
        self, world: TillWorld
    ) -> None:
        await world.stk("WW-1042", 1500, receipt=None, status=PaymentStatus.PENDING)
        result = await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account="WW-1042"), source=LedgerSource.STATEMENT
        )
        assert result.outcome is CreditOutcome.WAITING
        assert await world.credits.known("RKTQDM7W6S") is None


class TestTellingTheCustomer:
    async def test_a_known_telegram_customer_is_told_in_their_chat(self, world: TillWorld) -> None:
        await world.order("WW-1042", 2000)
        await world.customer(Channel.TELEGRAM, "77", PHONE, language="sw")
        await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account="WW-1042"), source=LedgerSource.CONFIRMATION
        )
        messages = {m["chat"]: m["text"] for m in await world.outbox()}
        assert "Tumepokea" in messages["77"]
        assert "500" in messages["77"]
        assert "RKTQDM7W6S" in messages["-100"]

    async def test_m_pesa_s_name_is_kept_for_a_payer_without_one_and_never_replaces_one(
        self, world: TillWorld
    ) -> None:
        await world.order("WW-1042", 2000)
        await world.order("WW-1043", 2000)
        await world.customer(Channel.TELEGRAM, "77", PHONE)
        await world.credits.record(
            world.c2b("RKTQDM7W6S", 500, account="WW-1042"), source=LedgerSource.CONFIRMATION
        )
        assert await _name_of(world, "77") == "JOHN DOE"  # the confirmation's FirstName ...
        async with world.uow() as unit:
            customer = await unit.customers.get_or_create(
                Channel.TELEGRAM, "77", language="en", now=world.clock(), name="Johnny"
            )
            await unit.commit()
        await world.credits.record(
            world.c2b("RKTQDM7W6T", 500, account="WW-1043"), source=LedgerSource.CONFIRMATION
        )
        assert customer.name == "Johnny"
        assert await _name_of(world, "77") == "Johnny"  # the name they gave Telegram stays

    async def test_an_unknown_payer_gets_an_sms_when_sms_is_configured(
        self, uow: UowFactory
    ) -> None:
        world = TillWorld(uow, sms=True)
        await world.order("WW-1042", 1500)
        await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account="WW-1042"), source=LedgerSource.CONFIRMATION
        )
        channels = {(m["channel"], m["chat"]) for m in await world.outbox()}
        assert ("ussd", PHONE) in channels

    async def test_a_masked_unknown_payer_is_not_written_to(self, uow: UowFactory) -> None:
        world = TillWorld(uow, sms=True)
        await world.order("WW-1042", 1500)
        await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account="WW-1042", msisdn="2547****678"),
            source=LedgerSource.CONFIRMATION,
        )
        assert [m["chat"] for m in await world.outbox()] == ["-100"]


class TestNamedOrder:
    async def test_a_status_answer_for_an_stk_receipt_credits_nothing_more(
        self, world: TillWorld
    ) -> None:
        await world.stk("WW-1042", 1500, receipt="RKTQDM7W6S")
        result = await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account=None),
            source=LedgerSource.STATUS,
            order_reference="WW-1042",
        )
        assert result.outcome is CreditOutcome.MATCHED
        assert (await world.order_now("WW-1042")).amount_paid == 1500

    async def test_a_status_answer_credits_the_named_order_and_tells_the_asking_chat(
        self, world: TillWorld
    ) -> None:
        await world.order("WW-1042", 2000)
        await world.customer(Channel.TELEGRAM, "77", "254799000111")
        result = await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account=None, msisdn="2547****000"),
            source=LedgerSource.STATUS,
            order_reference="ww-1042",
            customer=(Channel.TELEGRAM, "77"),
        )
        assert result.outcome is CreditOutcome.CREDITED
        assert result.payment is not None
        assert (result.payment.channel, result.payment.chat_key) == (Channel.TELEGRAM, "77")
        chats = [m["chat"] for m in await world.outbox()]
        assert "77" in chats


async def _name_of(world: TillWorld, chat_key: str) -> str | None:
    async with world.uow() as unit:
        customer = await unit.customers.find(Channel.TELEGRAM, chat_key)
    assert customer is not None
    return customer.name
