"""Repositories keep money whole, times aware, and settle and claim exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.conversation.model import ConversationState, Step
from checkout.domain.records import Channel, Language, OrderStatus, Payment, PaymentStatus
from checkout.payments.ports import HistoryAsked, NewPayment, Settlement
from storage.repositories.receipts import token_in, tokens_in
from storage.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
UowFactory = Callable[[], SqlUnitOfWork]


async def _order_and_payment(uow: UowFactory, amount: int = 1500) -> int:
    async with uow() as unit:
        await unit.orders.create("WW-1042", 3000, known=True)
        payment = await unit.payments.create_pending(
            NewPayment(
                order_reference="WW-1042",
                customer_id=None,
                channel=Channel.TELEGRAM,
                chat_key="42",
                amount=amount,
                phone="254712345678",
                language="en",
            ),
            now=NOW,
        )
        await unit.commit()
    return payment.id


async def _another_payment(
    unit: SqlUnitOfWork,
    channel: Channel,
    chat_key: str,
    *,
    amount: int,
    phone: str,
    language: Language = "en",
) -> Payment:
    """A second pending payment of order WW-1042 (made by :func:`_order_and_payment`), a
    minute later."""
    return await unit.payments.create_pending(
        NewPayment(
            order_reference="WW-1042",
            customer_id=None,
            channel=channel,
            chat_key=chat_key,
            amount=amount,
            phone=phone,
            language=language,
        ),
        now=NOW + timedelta(minutes=1),
    )


class TestOrders:
    async def test_an_order_is_created_and_read_back(self, uow: UowFactory) -> None:
        async with uow() as unit:
            await unit.orders.create("WW-1", 1500, known=True, description="Duvet")
            await unit.commit()
        async with uow() as unit:
            order = await unit.orders.get("WW-1")
        assert order is not None
        assert (order.amount_due, order.amount_paid, order.balance) == (1500, 0, 1500)
        assert order.status is OrderStatus.OPEN

    async def test_a_duplicate_reference_is_refused(self, uow: UowFactory) -> None:
        async with uow() as unit:
            await unit.orders.create("WW-1", 1500, known=True)
            await unit.commit()
        async with uow() as unit:
            with pytest.raises(IntegrityError):
                await unit.orders.create("WW-1", 10, known=True)

    async def test_payments_move_the_order_to_partly_paid_then_paid(self, uow: UowFactory) -> None:
        async with uow() as unit:
            await unit.orders.create("WW-1", 1500, known=True)
            partly = await unit.orders.record_paid("WW-1", 500)
            paid = await unit.orders.record_paid("WW-1", 1000)
            await unit.commit()
        assert (partly.status, partly.balance) == (OrderStatus.PARTLY_PAID, 1000)
        assert (paid.status, paid.balance, paid.amount_paid) == (OrderStatus.PAID, 0, 1500)

    async def test_an_unknown_order_reads_as_none(self, uow: UowFactory) -> None:
        async with uow() as unit:
            assert await unit.orders.get("NOPE") is None


class TestPayments:
    async def test_a_pending_payment_is_found_by_its_checkout_request_id(
        self, uow: UowFactory
    ) -> None:
        payment_id = await _order_and_payment(uow)
        async with uow() as unit:
            await unit.payments.mark_requested(
                payment_id, merchant_request_id="m-1", checkout_request_id="ws_CO_1"
            )
            await unit.commit()
        async with uow() as unit:
            payment = await unit.payments.by_checkout_request_id("ws_CO_1")
        assert payment is not None
        assert payment.id == payment_id
        assert payment.status is PaymentStatus.PENDING
        assert payment.order_reference == "WW-1042"
        assert payment.created_at == NOW
        assert payment.created_at.tzinfo is not None

    async def test_a_payment_is_settled_once_and_a_second_settlement_changes_nothing(
        self, uow: UowFactory
    ) -> None:
        payment_id = await _order_and_payment(uow)
        paid = Settlement(PaymentStatus.PAID, 0, "ok", "NLJ7RT61SV")
        failed = Settlement(PaymentStatus.FAILED, 1, "no balance")
        async with uow() as unit:
            assert await unit.payments.settle(payment_id, paid, now=NOW) is True
            await unit.commit()
        async with uow() as unit:
            assert await unit.payments.settle(payment_id, failed, now=NOW) is False
            await unit.commit()
        async with uow() as unit:
            payment = await unit.payments.get(payment_id)
        assert payment is not None
        assert (payment.status, payment.receipt_number) == (PaymentStatus.PAID, "NLJ7RT61SV")
        assert payment.settled_at == NOW

    async def test_concurrent_settlements_let_exactly_one_win(self, uow: UowFactory) -> None:
        payment_id = await _order_and_payment(uow)

        async def settle(code: int) -> bool:
            async with uow() as unit:
                status = PaymentStatus.PAID if code == 0 else PaymentStatus.FAILED
                won = await unit.payments.settle(
                    payment_id, Settlement(status, code, "x", "R1" if code == 0 else None), now=NOW
                )
                await unit.commit()
                return won

        results = await asyncio.gather(*(settle(code) for code in (0, 1, 0, 1032, 0, 1)))
        assert sum(results) == 1

    async def test_recent_payments_of_a_chat_come_newest_first(self, uow: UowFactory) -> None:
        first = await _order_and_payment(uow)
        async with uow() as unit:
            second = await unit.payments.create_pending(
                NewPayment("WW-1042", None, Channel.TELEGRAM, "42", 100, "254712345678", "sw"),
                now=NOW + timedelta(minutes=1),
            )
            other_chat = await unit.payments.create_pending(
                NewPayment("WW-1042", None, Channel.TELEGRAM, "43", 100, "254712345678", "en"),
                now=NOW,
            )
            await unit.commit()
        async with uow() as unit:
            recent = await unit.payments.recent_for_chat(Channel.TELEGRAM, "42", 10)
            latest = await unit.payments.latest_for_chat(Channel.TELEGRAM, "42")
            pending = await unit.payments.pending_for_order("WW-1042")
        assert [p.id for p in recent] == [second.id, first]
        assert latest is not None
        assert latest.language == "sw"
        assert {p.id for p in pending} == {first, second.id, other_chat.id}

    async def test_unanswered_pushes_are_narrowed_to_a_full_or_masked_phone(
        self, uow: UowFactory
    ) -> None:
        phones = ["254712345678", "254712005678", "254799345678", "254712345679"]
        async with uow() as unit:
            await unit.orders.create("WW-1042", 3000, known=True)
            for phone in phones:
                await unit.payments.create_pending(
                    NewPayment("WW-1042", None, Channel.TELEGRAM, "42", 100, phone, "en"),
                    now=NOW,
                )
            await unit.commit()

        async def found(phone: str | None, amount: int = 100) -> set[str]:
            async with uow() as unit:
                payments = await unit.payments.unrequested(
                    amount=amount, created_after=NOW - timedelta(minutes=5), phone=phone
                )
            return {payment.phone for payment in payments}

        assert await found(None) == set(phones)
        assert await found("254712345678") == {"254712345678"}
        assert await found("2547****5678") == {"254712345678", "254712005678", "254799345678"}
        assert await found("254712**5678") == {"254712345678", "254712005678"}
        # A pattern character in a forged phone matches nothing, and lengths must agree.
        assert await found("2547%") == set()
        assert await found("2547________") == set()
        assert await found("2547****567") == set()
        assert await found("254712345678", amount=101) == set()

    async def test_an_amount_outside_daraja_limits_is_refused_by_the_database(
        self, uow: UowFactory
    ) -> None:
        with pytest.raises(IntegrityError):
            await _order_and_payment(uow, amount=250_001)


class TestConversations:
    async def test_a_new_conversation_is_saved_and_loaded(self, uow: UowFactory) -> None:
        state = ConversationState(step=Step.AMOUNT, language="sw", data={"order_reference": "A"})
        async with uow() as unit:
            assert await unit.conversations.save(
                Channel.TELEGRAM, "42", state, expected_version=None, now=NOW
            )
            await unit.commit()
        async with uow() as unit:
            stored = await unit.conversations.load(Channel.TELEGRAM, "42")
        assert stored is not None
        assert stored.version == 1
        assert stored.state.step is Step.AMOUNT
        assert stored.state.language == "sw"
        assert stored.state.data == {"order_reference": "A"}
        assert stored.state.updated_at == NOW

    async def test_a_stale_version_is_refused(self, uow: UowFactory) -> None:
        async with uow() as unit:
            await unit.conversations.save(
                Channel.TELEGRAM, "42", ConversationState(), expected_version=None, now=NOW
            )
            await unit.commit()
        async with uow() as unit:
            assert await unit.conversations.save(
                Channel.TELEGRAM, "42", ConversationState(Step.ORDER), expected_version=1, now=NOW
            )
            await unit.commit()
        async with uow() as unit:
            assert not await unit.conversations.save(
                Channel.TELEGRAM, "42", ConversationState(Step.PHONE), expected_version=1, now=NOW
            )
            assert not await unit.conversations.save(
                Channel.TELEGRAM, "42", ConversationState(), expected_version=None, now=NOW
            )
            await unit.commit()
        async with uow() as unit:
            stored = await unit.conversations.load(Channel.TELEGRAM, "42")
        assert stored is not None
        assert (stored.version, stored.state.step) == (2, Step.ORDER)


class TestCustomers:
    async def test_concurrent_first_contacts_make_one_customer(self, uow: UowFactory) -> None:
        async def contact() -> int:
            async with uow() as unit:
                customer = await unit.customers.get_or_create(
                    Channel.TELEGRAM, "42", language="en", now=NOW, telegram_user_id=42
                )
                await unit.commit()
                return customer.id

        ids = await asyncio.gather(*(contact() for _ in range(5)))
        assert len(set(ids)) == 1

    async def test_language_and_phone_are_remembered(self, uow: UowFactory) -> None:
        async with uow() as unit:
            customer = await unit.customers.get_or_create(
                Channel.TELEGRAM, "42", language="en", now=NOW
            )
            await unit.customers.set_language(customer.id, "sw", now=NOW)
            await unit.customers.set_phone(customer.id, "254712345678", now=NOW)
            await unit.commit()
        async with uow() as unit:
            again = await unit.customers.get_or_create(
                Channel.TELEGRAM, "42", language="en", now=NOW
            )
        assert (again.language, again.phone) == ("sw", "254712345678")


class TestOutbox:
    async def test_a_duplicate_dedupe_key_queues_one_message(self, uow: UowFactory) -> None:
        async with uow() as unit:
            for _ in range(3):
                await unit.outbox.add(
                    channel=Channel.TELEGRAM,
                    chat_key="42",
                    payload={"text": "Paid"},
                    now=NOW,
                    dedupe_key="payment:1:customer",
                )
            await unit.commit()
        async with uow() as unit:
            claimed = await unit.outbox.claim_due(now=NOW, limit=10, lease_seconds=30)
        assert [m.payload for m in claimed] == [{"text": "Paid"}]

    async def test_concurrent_claims_never_share_a_message(self, uow: UowFactory) -> None:
        async with uow() as unit:
            for number in range(40):
                await unit.outbox.add(
                    channel=Channel.TELEGRAM, chat_key=str(number), payload={"n": number}, now=NOW
                )
            await unit.commit()

        async def claim() -> list[int]:
            async with uow() as unit:
                claimed = await unit.outbox.claim_due(now=NOW, limit=15, lease_seconds=30)
                await unit.commit()
                return [message.id for message in claimed]

        ids: list[int] = []
        for _ in range(10):  # rounds of four concurrent senders until the outbox is drained
            batches = await asyncio.gather(*(claim() for _ in range(4)))
            ids += [message_id for batch in batches for message_id in batch]
        assert len(ids) == len(set(ids)) == 40

    async def test_a_claimed_message_comes_back_after_its_lease_unless_sent(
        self, uow: UowFactory
    ) -> None:
        async with uow() as unit:
            await unit.outbox.add(channel=Channel.TELEGRAM, chat_key="1", payload={}, now=NOW)
            await unit.outbox.add(channel=Channel.TELEGRAM, chat_key="2", payload={}, now=NOW)
            await unit.commit()
        async with uow() as unit:
            first, second = await unit.outbox.claim_due(now=NOW, limit=10, lease_seconds=30)
            await unit.outbox.mark_sent(first.id, now=NOW)
            await unit.commit()
        async with uow() as unit:
            assert await unit.outbox.claim_due(now=NOW, limit=10, lease_seconds=30) == []
            later = await unit.outbox.claim_due(
                now=NOW + timedelta(seconds=31), limit=10, lease_seconds=30
            )
        assert [(m.id, m.attempts) for m in later] == [(second.id, 2)]

    async def test_retry_later_and_give_up_schedule_and_stop_delivery(
        self, uow: UowFactory
    ) -> None:
        async with uow() as unit:
            await unit.outbox.add(channel=Channel.TELEGRAM, chat_key="1", payload={}, now=NOW)
            await unit.outbox.add(channel=Channel.TELEGRAM, chat_key="2", payload={}, now=NOW)
            await unit.commit()
        async with uow() as unit:
            first, second = await unit.outbox.claim_due(now=NOW, limit=10, lease_seconds=30)
            await unit.outbox.retry_later(first.id, at=NOW + timedelta(seconds=5), error="429")
            await unit.outbox.give_up(second.id, now=NOW, error="chat not found")
            await unit.commit()
        async with uow() as unit:
            assert await unit.outbox.next_due_at() == NOW + timedelta(seconds=5)
            again = await unit.outbox.claim_due(
                now=NOW + timedelta(seconds=5), limit=10, lease_seconds=30
            )
        assert [m.id for m in again] == [first.id]

    async def test_a_chat_s_later_message_waits_while_an_earlier_one_is_held(
        self, uow: UowFactory
    ) -> None:
        async with uow() as unit:
            for chat in ("1", "1", "2"):
                await unit.outbox.add(channel=Channel.TELEGRAM, chat_key=chat, payload={}, now=NOW)
            await unit.commit()
        async with uow() as unit:
            first, *_ = await unit.outbox.claim_due(now=NOW, limit=1, lease_seconds=30)
            await unit.commit()
        async with uow() as unit:
            others = await unit.outbox.claim_due(now=NOW, limit=10, lease_seconds=30)
            await unit.commit()
        assert [m.chat_key for m in others] == ["2"]
        async with uow() as unit:
            await unit.outbox.mark_sent(first.id, now=NOW)
            await unit.commit()
        async with uow() as unit:
            (second,) = await unit.outbox.claim_due(now=NOW, limit=10, lease_seconds=30)
        assert (second.chat_key, second.id) == ("1", first.id + 1)


@contextlib.contextmanager
def statements_run(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block, in order."""
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_a_customer_read_brings_their_conversation_along(
    uow: Callable[[], SqlUnitOfWork], engine: AsyncEngine
) -> None:
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    state = ConversationState(language="sw", updated_at=now)
    async with uow() as unit:
        await unit.customers.get_or_create(Channel.TELEGRAM, "77", language="en", now=now)
        await unit.conversations.save(Channel.TELEGRAM, "77", state, expected_version=None, now=now)
        await unit.commit()
    with statements_run(engine) as statements:
        async with uow() as unit:
            await unit.customers.get_or_create(Channel.TELEGRAM, "77", language="en", now=now)
            stored = await unit.conversations.load(Channel.TELEGRAM, "77")
            assert len(statements) == 1  # the customer's read brought the conversation
            assert stored is not None
            assert stored.version == 1
            assert stored.state.language == "sw"
            await unit.conversations.save(
                Channel.TELEGRAM, "77", state, expected_version=1, now=now
            )
            again = await unit.conversations.load(Channel.TELEGRAM, "77")  # read anew
            assert again is not None
            assert again.version == 2
        async with uow() as unit:
            await unit.customers.get_or_create(Channel.TELEGRAM, "78", language="en", now=now)
            await unit.customers.get_or_create(Channel.TELEGRAM, "78", language="en", now=now)
            assert await unit.conversations.load(Channel.TELEGRAM, "78") is None


async def test_an_order_credited_with_a_payment_comes_back_whole(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    # The order a settlement sees (and an ``order.paid`` event shows) keeps the customer's phone.
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    async with uow() as unit:
        await unit.order_book.create_if_absent(
            "WW-7", 500, description="Shirts", customer_phone="254712345678", now=now
        )
        await unit.order_book.create_if_absent(
            "WW-8", 900, description=None, customer_phone="254711000000", now=now
        )
        one = await unit.orders.record_paid("WW-7", 500)
        both = await unit.orders.record_paid_many({"WW-7": 100, "WW-8": 300})
        await unit.commit()
    assert (one.customer_phone, one.status, one.description) == (
        "254712345678",
        OrderStatus.PAID,
        "Shirts",
    )
    assert both["WW-7"].amount_paid == 600
    assert both["WW-8"].customer_phone == "254711000000"
    assert both["WW-8"].status is OrderStatus.PARTLY_PAID


async def test_an_order_is_read_with_its_payments_in_one_statement(
    uow: Callable[[], SqlUnitOfWork], engine: AsyncEngine
) -> None:
    # The payment page's read: the order and its payments, oldest first, as one snapshot.
    first = await _order_and_payment(uow, amount=1000)
    async with uow() as unit:
        second = await _another_payment(
            unit, Channel.WEB, "WW-1042", amount=500, phone="254711000000", language="sw"
        )
        await unit.payments.settle(first, Settlement(PaymentStatus.PAID, 0, "ok", "R1"), now=NOW)
        await unit.orders.record_paid("WW-1042", 1000)
        await unit.orders.create("WW-2", 700, known=False, description="Duvet")
        await unit.commit()
    with statements_run(engine) as statements:
        async with uow() as unit:
            found = await unit.order_book.order_with_payments("WW-1042")
            bare = await unit.order_book.order_with_payments("WW-2")
            missing = await unit.order_book.order_with_payments("WW-3")
            expected = await unit.order_book.payments_for_order("WW-1042")
            order = await unit.orders.get("WW-1042")
    assert len(statements) == 5  # one a read (the last two only to compare with)
    assert found is not None
    assert found == (order, expected)
    assert [(p.id, p.status, p.amount) for p in found[1]] == [
        (first, PaymentStatus.PAID, 1000),
        (second.id, PaymentStatus.PENDING, 500),
    ]
    assert found[0].status is OrderStatus.PARTLY_PAID
    assert bare is not None
    assert (bare[0].reference, bare[0].known, bare[0].description, list(bare[1])) == (
        "WW-2",
        False,
        "Duvet",
        [],
    )
    assert missing is None


async def test_receipt_tokens_are_stored_for_a_batch_in_one_statement_keeping_earlier_ones(
    engine: AsyncEngine, uow: UowFactory
) -> None:
    first = await _order_and_payment(uow)
    async with uow() as unit:
        second = (
            await _another_payment(
                unit, Channel.USSD, "254712345678", amount=1500, phone="254712345678"
            )
        ).id
        await token_in(unit.session, first, "kept-first", now=NOW)
        await unit.commit()
    with statements_run(engine) as statements:
        async with uow() as unit:
            tokens = await tokens_in(
                unit.session, {second: "new-second", first: "offered-first"}, now=NOW
            )
            none = await tokens_in(unit.session, {}, now=NOW)
            await unit.commit()
    writes = [sql for sql in statements if sql.lstrip().upper().startswith(("INSERT", "SELECT"))]
    assert tokens == {first: "kept-first", second: "new-second"}
    assert none == {}
    assert len(writes) == 2  # one INSERT for both, one read of the token kept
    async with uow() as unit:
        again = await tokens_in(unit.session, {second: "other"}, now=NOW)
        alone = await token_in(unit.session, second, "another", now=NOW)
    assert again == {second: "new-second"}
    assert alone == "new-second"


async def test_the_push_limits_lock_and_history_are_a_statement_each(
    uow: Callable[[], SqlUnitOfWork], engine: AsyncEngine
) -> None:
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    with statements_run(engine) as statements:
        async with uow() as unit:
            await unit.push_limits.hold("254712345678", "telegram:42")
            assert len(statements) == 1  # both advisory locks at once on PostgreSQL
            history = await unit.push_limits.history(
                HistoryAsked(
                    "254712345678",
                    "telegram:42",
                    phone_since=now - timedelta(minutes=10),
                    phone_limit=3,
                    sender_since=now - timedelta(hours=1),
                    sender_limit=10,
                    outcomes=2,
                )
            )
            assert len(statements) == 2
    assert (history.to_phone, history.by_sender, history.outcomes) == ([], [], [])


async def test_a_transaction_takes_sqlite_s_write_turn_once(
    uow: Callable[[], SqlUnitOfWork], engine: AsyncEngine
) -> None:
    # The push limits and the order both hold before a push is stored: on SQLite the first
    # hold's write matching no row takes the write lock; the second must not send another.
    async with uow() as unit:
        await unit.orders.create("TURN-1", 500, known=True)
        await unit.commit()
    with statements_run(engine) as statements:
        async with uow() as unit:
            await unit.push_limits.hold("254712345678", "telegram:1")
            order = await unit.orders.hold("TURN-1")
            await unit.orders.hold("TURN-1")
            await unit.rollback()
    assert order is not None
    assert order.amount_due == 500
    writes = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(writes) == (1 if engine.dialect.name == "sqlite" else 0)


async def test_a_transaction_that_wrote_already_takes_no_write_turn(
    uow: Callable[[], SqlUnitOfWork], engine: AsyncEngine
) -> None:
    with statements_run(engine) as statements:
        async with uow() as unit:
            await unit.orders.create("TURN-2", 700, known=True)
            assert await unit.orders.hold("TURN-2") is not None
            await unit.rollback()
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
