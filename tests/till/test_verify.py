""" "I already paid" and /verify: a code is credited only when M-Pesa says it paid the order."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.domain.records import Channel, OrderStatus, PaymentStatus
from checkout.initiator.ports import InitiatorRefused
from checkout.initiator.records import RequestState
from checkout.till.records import LedgerSource
from checkout.till.verify.status import VerifyOutcome
from checkout.till.verify.views import parse_credit_data
from storage.database import session_factory
from tests.till.verify_world import VerifyWorld, status_answer, timeout_answer
from tests.till.world import UowFactory

CODE = "QK12ABC3DE"


@pytest.fixture
def world(uow: UowFactory, engine: AsyncEngine) -> VerifyWorld:
    return VerifyWorld(uow, session_factory(engine))


async def _ask(world: VerifyWorld, order: str = "WW-1042", code: str = CODE) -> int:
    customer = await world.telegram_customer()
    asked = await world.verify.ask_for_customer(customer, "en", order, code)
    assert asked.outcome is VerifyOutcome.CHECKING
    assert asked.request_id is not None
    return asked.request_id


def _customer_texts(messages: list[dict[str, object]]) -> list[str]:
    return [str(message["text"]) for message in messages if message["chat"] == "42"]


def _staff_texts(messages: list[dict[str, object]]) -> list[str]:
    return [str(message["text"]) for message in messages if message["chat"] == "-100"]


class TestCustomerCode:
    async def test_a_real_code_for_the_balance_credits_the_order_once(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        await _ask(world)
        assert world.gateway.asked[0][0] == CODE
        answer = status_answer("AG_2026_0001", CODE, 1500)
        await world.desk.take_answer(answer)
        await world.desk.take_answer(answer)  # Daraja's Result delivered twice
        order = await world.order_now("WW-1042")
        assert (order.amount_paid, order.status) == (1500, OrderStatus.PAID)
        entry = await world.credits.known(CODE)
        assert entry is not None
        messages = await world.outbox()
        (told,) = _customer_texts(messages)
        assert "1,500" in told
        assert "WW-1042" in told
        assert any(CODE in text for text in _staff_texts(messages))

    async def test_a_code_already_counted_is_refused_without_asking_m_pesa(
        self, world: VerifyWorld
    ) -> None:
        await world.stk("WW-1001", 500, receipt=CODE)
        await world.order("WW-1042", 500)
        customer = await world.telegram_customer()
        asked = await world.verify.ask_for_customer(customer, "en", "WW-1042", CODE)
        assert asked.outcome is VerifyOutcome.ALREADY_USED
        assert world.gateway.asked == []
        assert (await world.order_now("WW-1042")).amount_paid == 0

    async def test_a_code_used_while_m_pesa_was_asked_is_not_credited_again(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        await _ask(world)
        # The same money reached Lipa by the C2B confirmation meanwhile.
        await world.order("WW-2000", 1500)
        paid = world.c2b(CODE, 1500, account="WW-2000")
        await world.credits.record(paid, source=LedgerSource.CONFIRMATION)
        request = await world.desk.take_answer(status_answer("AG_2026_0001", CODE, 1500))
        assert request is not None
        assert request.outcome == VerifyOutcome.ALREADY_USED.value
        assert (await world.order_now("WW-1042")).amount_paid == 0
        assert (await world.order_now("WW-2000")).amount_paid == 1500

    async def test_money_paid_to_another_shortcode_is_not_credited(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        await _ask(world)
        answer = status_answer("AG_2026_0001", CODE, 1500, shortcode="600111")
        request = await world.desk.take_answer(answer)
        assert request is not None
        assert request.outcome == VerifyOutcome.OTHER_SHORTCODE.value
        assert (await world.order_now("WW-1042")).amount_paid == 0
        assert await world.credits.known(CODE) is None
        (told,) = _customer_texts(await world.outbox())
        assert "did not come to us" in told

    async def test_less_than_the_balance_is_not_credited_and_the_staff_are_told(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        await _ask(world)
        request = await world.desk.take_answer(status_answer("AG_2026_0001", CODE, 1000))
        assert request is not None
        assert request.outcome == VerifyOutcome.TOO_SMALL.value
        assert (await world.order_now("WW-1042")).amount_paid == 0
        messages = await world.outbox()
        (told,) = _customer_texts(messages)
        assert "KES 1,000" in told
        assert "KES 1,500" in told
        assert any(f"/verify {CODE} WW-1042" in text for text in _staff_texts(messages))

    async def test_a_code_m_pesa_does_not_know_is_explained(self, world: VerifyWorld) -> None:
        await world.order("WW-1042", 1500)
        await _ask(world)
        answer = status_answer("AG_2026_0001", CODE, 0, result_code=2032)
        request = await world.desk.take_answer(answer)
        assert request is not None
        assert request.outcome == VerifyOutcome.NOT_FOUND.value
        (told,) = _customer_texts(await world.outbox())
        assert "does not know the code" in told

    async def test_a_failed_transaction_is_not_credited(self, world: VerifyWorld) -> None:
        await world.order("WW-1042", 1500)
        await _ask(world)
        answer = status_answer("AG_2026_0001", CODE, 1500, status="Failed")
        request = await world.desk.take_answer(answer)
        assert request is not None
        assert request.outcome == VerifyOutcome.NOT_COMPLETED.value
        assert (await world.order_now("WW-1042")).amount_paid == 0

    async def test_a_second_check_of_the_same_code_waits_for_the_first(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        await _ask(world)
        customer = await world.telegram_customer()
        again = await world.verify.ask_for_customer(customer, "en", "WW-1042", CODE)
        assert again.outcome is VerifyOutcome.ALREADY_CHECKING
        assert len(world.gateway.asked) == 1


class TestNoAnswer:
    async def test_a_timeout_is_asked_again_and_the_later_result_credits_once(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        request_id = await _ask(world)
        timed_out = await world.desk.take_timeout(timeout_answer("AG_2026_0001"))
        assert timed_out is not None
        assert timed_out.state is RequestState.TIMED_OUT
        assert await world.desk.run_due() == 0  # not before the pause
        world.later(16)
        assert await world.desk.run_due() == 1
        assert [code for code, _ in world.gateway.asked] == [CODE, CODE]
        # The first attempt's Result comes late after all, then the second's.
        await world.desk.take_answer(status_answer("AG_2026_0001", CODE, 1500))
        await world.desk.take_answer(status_answer("AG_2026_0002", CODE, 1500))
        order = await world.order_now("WW-1042")
        assert (order.amount_paid, order.status) == (1500, OrderStatus.PAID)
        stored = await world.desk.store.get(request_id)
        assert stored is not None
        assert stored.outcome == VerifyOutcome.CREDITED.value
        assert len(_customer_texts(await world.outbox())) == 1

    async def test_a_result_that_never_comes_is_asked_again_then_given_up(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        request_id = await _ask(world)
        for _ in range(3):
            world.later(61)
            await world.desk.run_due()
        assert len(world.gateway.asked) == 3  # the first ask and two more
        stored = await world.desk.store.get(request_id)
        assert stored is not None
        assert stored.state is RequestState.FAILED
        assert (await world.order_now("WW-1042")).amount_paid == 0
        messages = await world.outbox()
        (told,) = _customer_texts(messages)
        assert "do not pay again" in told
        assert any("did not answer" in text for text in _staff_texts(messages))

    async def test_without_an_initiator_the_customer_is_told_at_once(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        world.gateway.refuse = InitiatorRefused("MPESA_INITIATOR_NAME is not set", retry=False)
        customer = await world.telegram_customer()
        asked = await world.verify.ask_for_customer(customer, "en", "WW-1042", CODE)
        assert asked.outcome is VerifyOutcome.UNAVAILABLE
        (told,) = _customer_texts(await world.outbox())
        assert CODE in told


class TestStaffVerify:
    async def test_verify_in_a_staff_users_private_chat_shows_the_payers_name_and_number(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 2000)
        await world.verify.ask_for_staff(
            CODE,
            chat=(Channel.TELEGRAM, "7"),
            language="en",
            user="7",
            order_reference="WW-1042",
            full_phones=True,
        )
        await world.desk.take_answer(status_answer("AG_2026_0001", CODE, 1500))
        (report,) = [m for m in await world.outbox() if m["chat"] == "7"]
        text = str(report["text"])
        assert "JOHN DOE" in text
        assert "2547****5678" not in text

    async def test_verify_shows_what_m_pesa_says_with_a_button_that_credits(
        self, world: VerifyWorld
    ) -> None:
        await world.order("WW-1042", 2000)
        asked = await world.verify.ask_for_staff(
            CODE,
            chat=(Channel.TELEGRAM, "-100"),
            language="en",
            user="7",
            order_reference="WW-1042",
        )
        assert asked.outcome is VerifyOutcome.CHECKING
        await world.desk.take_answer(status_answer("AG_2026_0001", CODE, 1500))
        (report,) = [m for m in await world.outbox() if m["chat"] == "-100"]
        text = str(report["text"])
        assert "Completed" in text
        assert "1,500" in text
        # A group: M-Pesa's name of the payer is not shown, the number is masked.
        assert "JOHN DOE" not in text
        assert "2547****5678" in text
        (row,) = report["buttons"]
        (button,) = row
        assert button["label"] == "Credit to order WW-1042"
        pressed = parse_credit_data(button["data"])
        assert pressed is not None
        credited = await world.verify.credit_for_staff(*pressed, by="7")
        assert credited.outcome is VerifyOutcome.CREDITED
        order = await world.order_now("WW-1042")
        assert (order.amount_paid, order.status) == (1500, OrderStatus.PARTLY_PAID)
        again = await world.verify.credit_for_staff(*pressed, by="7")
        assert again.outcome is VerifyOutcome.ALREADY_USED
        assert (await world.order_now("WW-1042")).amount_paid == 1500

    async def test_a_code_lipa_counted_offers_a_refund_button_that_types_refund(
        self, world: VerifyWorld
    ) -> None:
        # Issue 15: "Refund" under a payment in /verify, as /refund <receipt> would ask.
        await world.order("WW-1042", 2000)
        await world.verify.ask_for_staff(
            CODE, chat=(Channel.TELEGRAM, "-100"), language="en", user="7"
        )
        request = await world.desk.take_answer(status_answer("AG_2026_0001", CODE, 1500))
        assert request is not None
        first = [m for m in await world.outbox() if m["chat"] == "-100"]
        assert all("/refund" not in str(m.get("buttons")) for m in first)  # not counted yet
        credited = await world.verify.credit_for_staff(request.id, "WW-1042", by="7")
        assert credited.outcome is VerifyOutcome.CREDITED
        await world.verify.ask_for_staff(
            CODE, chat=(Channel.TELEGRAM, "-100"), language="sw", user="7"
        )
        await world.desk.take_answer(status_answer("AG_2026_0002", CODE, 1500))
        report = [m for m in await world.outbox() if m["chat"] == "-100"][-1]
        assert report["buttons"] == [
            [{"label": f"Rejesha {CODE} (KES 1,500)", "data": f"/refund {CODE}"}]
        ]

    async def test_a_code_paid_elsewhere_offers_no_button(self, world: VerifyWorld) -> None:
        await world.order("WW-1042", 2000)
        await world.verify.ask_for_staff(
            CODE,
            chat=(Channel.TELEGRAM, "-100"),
            language="en",
            user="7",
            order_reference="WW-1042",
        )
        answer = status_answer("AG_2026_0001", CODE, 1500, shortcode="600111")
        request = await world.desk.take_answer(answer)
        (report,) = [m for m in await world.outbox() if m["chat"] == "-100"]
        assert "another business" in str(report["text"])
        assert "buttons" not in report
        assert request is not None
        refused = await world.verify.credit_for_staff(request.id, "WW-1042", by="7")
        assert refused.outcome is VerifyOutcome.OTHER_SHORTCODE
        assert (await world.order_now("WW-1042")).amount_paid == 0


async def test_till_payment_rows_are_paid(world: VerifyWorld) -> None:
    await world.order("WW-1042", 1500)
    await _ask(world)
    await world.desk.take_answer(status_answer("AG_2026_0001", CODE, 1500))
    known = await world.credits.known(CODE)
    assert known is not None
    payment_id = getattr(known, "payment_id", None)
    assert payment_id is not None
    assert (await world.payment(payment_id)).status is PaymentStatus.PAID


async def test_a_check_that_cannot_wait_is_sent_by_the_next_pass(world: VerifyWorld) -> None:
    """USSD answers at once: the question is stored, and the periodic pass asks M-Pesa."""
    await world.order("WW-1042", 1500)
    customer = await world.telegram_customer()
    asked = await world.verify.ask_for_customer(customer, "en", "WW-1042", CODE, send_now=False)
    assert asked.outcome is VerifyOutcome.CHECKING
    assert world.gateway.asked == []
    assert await world.desk.run_due() == 1
    assert [code for code, _ in world.gateway.asked] == [CODE]
    await world.desk.take_answer(status_answer("AG_2026_0001", CODE, 1500))
    assert (await world.order_now("WW-1042")).amount_paid == 1500


async def test_an_answer_whose_handling_was_interrupted_is_finished_once_by_the_next_pass(
    world: VerifyWorld,
) -> None:
    await world.order("WW-1042", 1500)
    request_id = await _ask(world)
    # The Result was recorded, then the process died before crediting.
    now = world.clock()
    answer = status_answer("AG_2026_0001", CODE, 1500)
    assert await world.desk.store.answer(request_id, answer, now=now, recheck_at=now)
    assert await world.desk.run_due() == 1
    assert await world.desk.run_due() == 0
    assert (await world.order_now("WW-1042")).amount_paid == 1500
    stored = await world.desk.store.get(request_id)
    assert stored is not None
    assert stored.outcome == VerifyOutcome.CREDITED.value


async def test_the_money_of_a_prompt_settled_without_a_receipt_is_not_credited_again(
    world: VerifyWorld,
) -> None:
    """An STK payment settled by query has no receipt: the code is its money, not new money."""
    payment_id = await world.stk("WW-1001", 1500, receipt=None)
    await world.order("WW-1042", 1500)
    await _ask(world)
    answer = status_answer("AG_2026_0001", CODE, 1500, at=world.clock())
    request = await world.desk.take_answer(answer)
    assert request is not None
    assert request.outcome == VerifyOutcome.COUNTED.value
    assert (await world.order_now("WW-1042")).amount_paid == 0
    assert (await world.payment(payment_id)).receipt_number == CODE
    (told,) = _customer_texts(await world.outbox())
    assert "from the prompt" in told


async def test_a_chat_guessing_codes_is_held_back_after_five_in_an_hour(
    world: VerifyWorld,
) -> None:
    await world.order("WW-1042", 1500)
    customer = await world.telegram_customer()
    codes = [f"QK12ABC{n:03d}" for n in range(6)]
    outcomes = [
        (await world.verify.ask_for_customer(customer, "en", "WW-1042", code)).outcome
        for code in codes
    ]
    assert outcomes == [VerifyOutcome.CHECKING] * 5 + [VerifyOutcome.TOO_MANY]
    assert len(world.gateway.asked) == 5
    world.later(3601)
    again = await world.verify.ask_for_customer(customer, "en", "WW-1042", "QK12ABC999")
    assert again.outcome is VerifyOutcome.CHECKING
