"""Who may have a plan: the rules, told in one sentence, and "Pay later" after ResultCode 1."""

from __future__ import annotations

from dataclasses import replace

import pytest

from checkout.bnpl.records import PlanStatus
from checkout.bnpl.rules import PAY_LATER, PlanRules, Refusal, Standing, refusal
from checkout.conversation.model import ButtonPressed, Command, TextMessage
from tests.bnpl.conftest import (
    BALANCE,
    ORDER,
    RULES,
    START,
    Shop,
    UowFactory,
    data_of,
    make_shop,
    offer,
    take_plan,
)

STRICT = replace(RULES, require_paid_history=True, max_outstanding=5000)


def one_sentence(text: str) -> bool:
    body = text.rstrip(".")
    return text.endswith(".") and ". " not in body and "\n" not in text


class TestRules:
    @pytest.mark.parametrize(
        ("standing", "balance", "expected"),
        [
            (Standing(paid_payments=1), 3000, None),
            (Standing(paid_payments=0), 3000, Refusal.HISTORY),
            (Standing(paid_payments=1), 499, Refusal.MINIMUM),
            (Standing(paid_payments=1, overdue=True), 3000, Refusal.OVERDUE),
            (Standing(paid_payments=1, order_has_plan=True), 3000, Refusal.EXISTS),
            # After the deposit of 750 a plan for 3,000 owes 2,250: the limit is 5,000.
            (Standing(paid_payments=1, owed=2750), 3000, None),
            (Standing(paid_payments=1, owed=2751), 3000, Refusal.LIMIT),
        ],
    )
    def test_each_rule(self, standing: Standing, balance: int, expected: Refusal | None) -> None:
        assert refusal(STRICT, standing, balance, START) is expected

    def test_no_rules_means_plans_are_off(self) -> None:
        assert refusal(None, Standing(paid_payments=9), 3000, START) is Refusal.DISABLED

    def test_an_order_too_small_for_every_option_is_refused(self) -> None:
        tiny = PlanRules(min_order=1, options=(4,), require_paid_history=False)
        assert refusal(tiny, Standing(), 4, START) is Refusal.TOO_SMALL


async def with_order(uow: UowFactory, shop: Shop, amount: int = BALANCE) -> Shop:
    async with uow() as unit:
        await unit.orders.create(ORDER, amount, known=True)
        await unit.commit()
    return shop


class TestTold:
    async def test_a_customer_without_a_paid_payment_is_told_why_in_one_sentence(
        self, uow: UowFactory
    ) -> None:
        shop = await with_order(uow, make_shop(uow, rules=STRICT))
        reply = await offer(shop)
        assert "paid us by M-Pesa before" in reply.text
        assert one_sentence(reply.text)
        assert not any(data.startswith("plan:") for data in data_of(reply))

    async def test_the_reason_is_told_in_swahili_too(self, uow: UowFactory) -> None:
        shop = await with_order(uow, make_shop(uow, rules=STRICT))
        await shop.say(Command("lugha"), ButtonPressed("lang:sw"))
        reply = await offer(shop)
        assert "waliokwisha kutulipa kwa M-Pesa" in reply.text
        assert one_sentence(reply.text)

    async def test_an_earlier_paid_payment_from_the_same_phone_makes_the_customer_eligible(
        self, uow: UowFactory
    ) -> None:
        shop = await with_order(uow, make_shop(uow, rules=STRICT))
        async with uow() as unit:
            await unit.orders.create("WW-1", 100, known=True)
            await unit.commit()
        await shop.say(Command("pay", "WW-1"), ButtonPressed("amount:100"))
        await shop.say(TextMessage("0712345678"), ButtonPressed("pay"))
        await shop.settle_last(0)
        reply = await offer(shop)
        assert "Choose a plan" in reply.text

    async def test_a_plan_that_would_owe_too_much_is_refused(self, uow: UowFactory) -> None:
        shop = await with_order(uow, make_shop(uow, rules=replace(RULES, max_outstanding=2000)))
        reply = await offer(shop)
        assert (
            reply.text == "A plan for this order would take what you owe on plans above KES 2,000."
        )

    async def test_an_order_below_the_minimum_has_no_pay_later_and_is_refused_if_asked(
        self, uow: UowFactory
    ) -> None:
        shop = await with_order(uow, make_shop(uow), amount=400)
        amount_step = await shop.say(Command("pay", ORDER))
        assert PAY_LATER not in data_of(amount_step[-1])
        reply = await offer(shop)
        assert reply.text == "Payment plans are for orders of KES 500 or more."

    async def test_a_customer_with_an_overdue_installment_is_asked_to_pay_it_first(
        self, uow: UowFactory
    ) -> None:
        shop = await with_order(uow, make_shop(uow))
        await take_plan(shop)
        async with uow() as unit:
            await unit.orders.create("WW-2", 2000, known=True)
            await unit.commit()
        async with uow() as unit:
            plan = await unit.plans.get(1)
            assert plan is not None
            await unit.plans.set_status(plan.id, PlanStatus.OVERDUE, now=START)
            await unit.commit()
        await shop.say(Command("pay", "WW-2"), ButtonPressed(PAY_LATER))
        reply = (await shop.say(TextMessage("0712345678")))[-1]
        assert "past its date" in reply.text
        assert "/plans" in reply.text

    async def test_an_order_with_a_running_plan_gets_no_second_one(self, uow: UowFactory) -> None:
        shop = await with_order(uow, make_shop(uow))
        await take_plan(shop)
        reply = await offer(shop)
        assert reply.text == f"Order {ORDER} already has a payment plan; see /plans."

    async def test_with_plans_switched_off_pay_later_is_gone(self, uow: UowFactory) -> None:
        shop = await with_order(uow, make_shop(uow, offering=False))
        amount_step = await shop.say(Command("pay", ORDER))
        assert PAY_LATER not in data_of(amount_step[-1])
        refused = await shop.say(ButtonPressed(PAY_LATER))
        assert refused[0].text == "Payment plans are not available at the moment."


class TestOfferAfterNoBalance:
    async def _fail(self, shop: Shop, code: int) -> list[str]:
        await shop.say(Command("pay", ORDER), ButtonPressed("amount:3000"))
        await shop.say(TextMessage("0712345678"), ButtonPressed("pay"))
        await shop.messages()
        await shop.settle_last(code)
        (message,) = await shop.customer_messages()
        return [button["data"] for row in message.get("buttons", []) for button in row]

    async def test_an_eligible_customer_gets_pay_later_under_the_no_balance_message(
        self, shop: Shop
    ) -> None:
        assert await self._fail(shop, 1) == ["retry", f"paid:{ORDER}", PAY_LATER]

    async def test_an_ineligible_customer_gets_only_try_again(self, uow: UowFactory) -> None:
        shop = await with_order(uow, make_shop(uow, rules=STRICT))
        assert await self._fail(shop, 1) == ["retry", f"paid:{ORDER}"]

    @pytest.mark.parametrize("code", [1032, 1037, 2001])
    async def test_other_failures_offer_no_plan(self, shop: Shop, code: int) -> None:
        assert await self._fail(shop, code) == ["retry", f"paid:{ORDER}"]

    async def test_pay_later_under_the_failure_offers_a_plan_for_the_whole_balance(
        self, shop: Shop
    ) -> None:
        await shop.say(Command("pay", ORDER))
        await shop.say(TextMessage("1000"), TextMessage("0712345678"), ButtonPressed("pay"))
        await shop.settle_last(1)
        reply = (await shop.say(ButtonPressed(PAY_LATER)))[-1]
        assert "KES 3,000 in parts" in reply.text
        assert "0712 345 678" in reply.text


async def test_an_unknown_reference_can_be_paid_later_for_the_amount_typed(
    uow: UowFactory,
) -> None:
    shop = make_shop(uow)
    await shop.say(Command("pay"), TextMessage("TABLE5"), TextMessage("2,000"))
    confirmation = (await shop.say(TextMessage("0712345678")))[-1]
    assert PAY_LATER in data_of(confirmation)
    reply = (await shop.say(ButtonPressed(PAY_LATER)))[-1]
    assert "KES 2,000 in parts" in reply.text
    choice = next(data for data in data_of(reply) if data.startswith("plan:2:"))
    await shop.say(ButtonPressed(choice))
    async with uow() as unit:
        order = await unit.orders.get("TABLE5")
    assert order is not None
    assert (order.known, order.amount_due) == (False, 2000)
    assert shop.pushed_amounts() == [500]
