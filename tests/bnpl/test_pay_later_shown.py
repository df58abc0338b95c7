"""Where "Pay later" is shown: only customers who may have a plan (issue 22 item 13).

A brand-new customer, while the rules ask for a paid payment first, sees no "Pay later" at the
amount step or the confirmation; after a paid payment (from the chat, or from the phone the
chat remembers) they do. The same :class:`checkout.bnpl.eligibility.PlanEligibility` answers
the chat, the message after a payment that found no balance, and the web page.
"""

from __future__ import annotations

from dataclasses import replace

from checkout.bnpl.eligibility import PlanEligibility
from checkout.bnpl.rules import PAY_LATER, Refusal
from checkout.conversation.model import ButtonPressed, Command, TextMessage
from tests.bnpl.conftest import BALANCE, ORDER, RULES, START, UowFactory, data_of, make_shop

STRICT = replace(RULES, require_paid_history=True)


async def _orders(uow: UowFactory, *amounts: tuple[str, int]) -> None:
    async with uow() as unit:
        for reference, amount in amounts:
            await unit.orders.create(reference, amount, known=True)
        await unit.commit()


async def test_a_brand_new_customer_sees_no_pay_later_anywhere_in_the_chat(
    uow: UowFactory,
) -> None:
    await _orders(uow, (ORDER, BALANCE))
    shop = make_shop(uow, rules=STRICT)
    amount_step = await shop.say(Command("pay", ORDER))
    assert "amount:3000" in data_of(amount_step[-1])
    assert PAY_LATER not in data_of(amount_step[-1])
    # An order the business did not know: the confirmation would offer it; not to them.
    await shop.say(Command("cancel"))
    await shop.say(Command("pay"), TextMessage("TABLE5"), TextMessage("2,000"))
    confirmation = (await shop.say(TextMessage("0712345678")))[-1]
    assert "pay" in data_of(confirmation)
    assert PAY_LATER not in data_of(confirmation)


async def test_after_a_paid_payment_the_same_customer_sees_pay_later(uow: UowFactory) -> None:
    await _orders(uow, (ORDER, BALANCE), ("WW-1", 100))
    shop = make_shop(uow, rules=STRICT)
    await shop.say(Command("pay", "WW-1"), ButtonPressed("amount:100"))
    await shop.say(TextMessage("0712345678"), ButtonPressed("pay"))
    await shop.settle_last(0)
    amount_step = await shop.say(Command("pay", ORDER))
    assert PAY_LATER in data_of(amount_step[-1])


async def test_a_phone_that_paid_before_makes_a_new_chat_eligible(uow: UowFactory) -> None:
    """Another chat paid from 0712 345 678; this chat remembers that number."""
    await _orders(uow, (ORDER, BALANCE), ("WW-1", 100))
    shop = make_shop(uow, rules=STRICT)
    await shop.say(Command("pay", "WW-1"), ButtonPressed("amount:100"), chat="7")
    await shop.say(TextMessage("0712345678"), ButtonPressed("pay"), chat="7")
    await shop.settle_last(0, chat="7")
    # A new chat: no history of its own, no remembered number yet.
    first = await shop.say(Command("pay", ORDER), chat="8")
    assert PAY_LATER not in data_of(first[-1])
    # It pays from that phone (the payment fails), so the chat now remembers the number.
    await shop.say(ButtonPressed("amount:3000"), chat="8")
    await shop.say(TextMessage("0712345678"), ButtonPressed("pay"), chat="8")
    await shop.settle_last(1032, chat="8")
    again = await shop.say(Command("pay", ORDER), chat="8")
    assert PAY_LATER in data_of(again[-1])


async def test_the_eligibility_question_answers_for_a_phone_alone(uow: UowFactory) -> None:
    """What the web page asks: a customer known only by the phone typed."""
    await _orders(uow, (ORDER, BALANCE))
    eligibility = PlanEligibility(STRICT)
    async with uow() as unit:
        refused = await eligibility.refusal(
            unit,
            customer_id=None,
            phone="254712345678",
            order_reference=ORDER,
            balance=BALANCE,
            now=START,
        )
    assert refused is Refusal.HISTORY
    assert eligibility.order_refusal(BALANCE, START) is None
    assert eligibility.order_refusal(400, START) is Refusal.MINIMUM
    assert PlanEligibility(STRICT, offering=False).order_refusal(BALANCE, START) is (
        Refusal.DISABLED
    )
