"""The customers' and conversations' contract: the same tests in memory, on SQLite and on
PostgreSQL, as the conversation service relies on them (``lipa_testing.memory_units``)."""

from __future__ import annotations

import asyncio

from checkout.conversation.model import ConversationState, Step
from checkout.domain.records import Channel
from lipa_testing.clocks import SettableClock
from tests.contracts.conftest import Units

T = Channel.TELEGRAM


async def test_a_customer_is_created_once_per_chat_and_remembers_language_and_phone(
    units: Units,
) -> None:
    clock = SettableClock()
    async with units() as unit:
        first = await unit.customers.get_or_create(
            T, "42", language="en", now=clock(), telegram_user_id=7
        )
        again = await unit.customers.get_or_create(T, "42", language="sw", now=clock())
        ussd = await unit.customers.get_or_create(
            Channel.USSD, "42", language="sw", now=clock(), phone="254712345678"
        )
        await unit.customers.set_language(first.id, "sw", now=clock())
        await unit.customers.set_phone(first.id, "254712345678", now=clock())
        await unit.commit()
    async with units() as unit:
        later = await unit.customers.get_or_create(T, "42", language="en", now=clock())
        by_phone = await unit.customers.with_phone(T, "254712345678")
        nobody = await unit.customers.with_phone(T, "254700000000")
    assert again == first
    assert (first.language, first.phone, first.telegram_user_id) == ("en", None, 7)
    assert (ussd.phone, ussd.language, ussd.id != first.id) == ("254712345678", "sw", True)
    assert (later.id, later.language, later.phone) == (first.id, "sw", "254712345678")
    assert by_phone == [later]
    assert nobody == []


async def test_a_customer_keeps_the_latest_clean_name_it_was_given(units: Units) -> None:
    clock = SettableClock()
    async with units() as unit:
        amina = await unit.customers.get_or_create(
            T, "42", language="en", now=clock(), name="Amina\n"
        )
        plain = await unit.customers.get_or_create(T, "43", language="en", now=clock())
        renamed = await unit.customers.get_or_create(
            T, "42", language="en", now=clock(), name="Wanjiku"
        )
        await unit.customers.set_name(plain.id, "J*** D***", now=clock())  # masked: no name
        await unit.commit()
    async with units() as unit:
        found = await unit.customers.find(T, "42")
        missing = await unit.customers.find(T, "44")
        names = await unit.customers.names([amina.id, plain.id])
    assert (amina.name, renamed.name, renamed.id) == ("Amina", "Wanjiku", amina.id)
    assert found is not None
    assert found.name == "Wanjiku"
    assert missing is None
    assert names == {amina.id: "Wanjiku"}


async def test_customers_created_at_once_are_one(units: Units) -> None:
    clock = SettableClock()

    async def arrive() -> int:
        async with units() as unit:
            customer = await unit.customers.get_or_create(T, "42", language="en", now=clock())
            await unit.commit()
        return customer.id

    first, second = await asyncio.gather(arrive(), arrive())
    assert first == second


async def test_a_conversation_saves_only_at_the_version_it_was_read(units: Units) -> None:
    clock = SettableClock()
    state = ConversationState(Step.AMOUNT, "sw", {"order_reference": "WW-1", "amount": 500})
    async with units() as unit:
        assert await unit.conversations.load(T, "42") is None
        assert await unit.conversations.save(T, "42", state, expected_version=None, now=clock())
        await unit.commit()
    async with units() as unit:
        assert not await unit.conversations.save(T, "42", state, expected_version=None, now=clock())
        stored = await unit.conversations.load(T, "42")
        assert stored is not None
        clock.advance(5)
        moved = ConversationState(Step.PHONE, "sw", {**stored.state.data, "phone": "2547"})
        assert await unit.conversations.save(T, "42", moved, expected_version=1, now=clock())
        assert not await unit.conversations.save(T, "42", moved, expected_version=1, now=clock())
        await unit.commit()
    async with units() as unit:
        saved = await unit.conversations.load(T, "42")
        assert await unit.conversations.load(Channel.USSD, "42") is None
    assert stored.version == 1
    assert (stored.state.step, stored.state.language, stored.state.data) == (
        Step.AMOUNT,
        "sw",
        {"order_reference": "WW-1", "amount": 500},
    )
    assert saved is not None
    assert (saved.version, saved.state.step, saved.state.data["phone"]) == (2, Step.PHONE, "2547")
    assert saved.state.updated_at == clock()


async def test_two_units_saving_at_once_lose_no_save(units: Units) -> None:
    clock = SettableClock()
    async with units() as unit:
        await unit.conversations.save(
            T, "42", ConversationState(), expected_version=None, now=clock()
        )
        await unit.commit()

    async def save(step: Step) -> bool:
        async with units() as unit:
            stored = await unit.conversations.load(T, "42")
            assert stored is not None
            await asyncio.sleep(0)
            saved = await unit.conversations.save(
                T, "42", ConversationState(step), expected_version=stored.version, now=clock()
            )
            await unit.commit()
        return saved

    # SQLite runs the two one after the other (both win); the others interleave them (one
    # wins). Either way no save is lost: each win is one version more.
    wins = sum(await asyncio.gather(save(Step.ORDER), save(Step.AMOUNT)))
    async with units() as unit:
        stored = await unit.conversations.load(T, "42")
    assert stored is not None
    assert wins >= 1
    assert stored.version == 1 + wins


async def test_phones_looked_up_ahead_answer_as_one_by_one_until_a_customer_is_written(
    units: Units,
) -> None:
    clock = SettableClock()
    async with units() as unit:
        known = await unit.customers.get_or_create(
            T, "42", language="en", now=clock(), phone="254712345678"
        )
        await unit.commit()
    async with units() as unit:
        await unit.customers.preload_phones(T, ["254712345678", "254700000000", "254700000001"])
        by_phone = await unit.customers.with_phone(T, "254712345678")
        nobody = await unit.customers.with_phone(T, "254700000000")
        newcomer = await unit.customers.get_or_create(
            T, "43", language="en", now=clock(), phone="254700000001"
        )
        after_write = await unit.customers.with_phone(T, "254700000001")
        await unit.customers.preload_phones(T, ["254700000000"])
        await unit.customers.set_phone(known.id, "254700000000", now=clock())
        moved = await unit.customers.with_phone(T, "254700000000")
        await unit.customers.preload_phones(Channel.USSD, [])
    assert by_phone == [known]
    assert nobody == []
    assert after_write == [newcomer]
    assert [customer.id for customer in moved] == [known.id]
