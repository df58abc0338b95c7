"""The flow's side of plans: where "Pay later" shows, the PLAN step, and the effects asked for."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from checkout.bnpl.rules import PAY_LATER, PLAN_NO, PLAN_PHONE
from checkout.conversation.flow import handle
from checkout.conversation.model import (
    AcceptPlan,
    ActOnPlan,
    ButtonPressed,
    Command,
    ConversationState,
    Event,
    OfferPlan,
    ShowPlans,
    Step,
    TextMessage,
    Turn,
)
from checkout.conversation.steps.call import FlowSettings
from checkout.domain.records import Channel, Order, OrderStatus
from tests.bnpl.conftest import RULES, START, data_of

SETTINGS = FlowSettings("Wildwash", plans=RULES)
PHONE = "254712345678"
OPTION = f"plan:3:3000:20261128:WW-1042:{PHONE}"


class Context:
    """The service's lookups, in memory."""

    def __init__(self, *orders: Order, saved_phone: str | None = None) -> None:
        self._orders = {each.reference: each for each in orders}
        self._saved_phone = saved_phone

    async def find_order(self, reference: str) -> Order | None:
        return self._orders.get(reference)

    @property
    def saved_phone(self) -> str | None:
        return self._saved_phone

    @property
    def has_open_plans(self) -> bool:
        return False

    async def may_have_plan(self, order_reference: str, balance: int, phone: str | None) -> bool:
        # The service's eligibility answer; these tests are about the flow, so "yes".
        return True


class Chat:
    def __init__(
        self, settings: FlowSettings = SETTINGS, channel: Channel = Channel.TELEGRAM
    ) -> None:
        self.ctx = Context(
            Order("WW-1042", 3000, 0, OrderStatus.OPEN), Order("WW-7", 400, 0, OrderStatus.OPEN)
        )
        self.settings = settings
        self.channel = channel
        self.state = ConversationState(updated_at=START)

    async def send(self, *events: Event) -> Turn:
        turn = Turn(self.state)
        for event in events:
            turn = await handle(
                self.state, event, self.ctx, self.settings, START, channel=self.channel
            )
            self.state = turn.state
        return turn


async def test_pay_later_sits_under_pay_all_at_the_amount_step() -> None:
    turn = await Chat().send(Command("pay", "WW-1042"))
    assert data_of(turn.replies[-1]) == ["amount:3000", PAY_LATER, "cancel"]


@pytest.mark.parametrize(
    ("settings", "channel", "reference"),
    [
        (FlowSettings("Wildwash"), Channel.TELEGRAM, "WW-1042"),  # plans off
        (SETTINGS, Channel.TELEGRAM, "WW-7"),  # below the minimum order
        (SETTINGS, Channel.USSD, "WW-1042"),  # no room for a schedule on USSD screens
    ],
)
async def test_no_pay_later_where_no_plan_can_be_offered(
    settings: FlowSettings, channel: Channel, reference: str
) -> None:
    turn = await Chat(settings, channel).send(Command("pay", reference))
    assert PAY_LATER not in data_of(turn.replies[-1])


async def test_pay_later_asks_for_the_number_then_asks_the_service_for_the_offer() -> None:
    chat = Chat()
    asked = await chat.send(Command("pay", "WW-1042"), ButtonPressed(PAY_LATER))
    assert asked.state.step is Step.PHONE
    turn = await chat.send(TextMessage("0712 345 678"))
    assert turn.state.step is Step.PLAN
    assert turn.replies == ()
    assert OfferPlan("WW-1042", True, None, PHONE) in turn.effects


async def test_taking_an_option_asks_for_the_plan_and_its_deposit() -> None:
    chat = Chat()
    await chat.send(Command("pay", "WW-1042"), ButtonPressed(PAY_LATER), TextMessage(PHONE))
    turn = await chat.send(ButtonPressed(OPTION))
    assert turn.state.step is Step.PAYING
    assert turn.effects == (AcceptPlan("WW-1042", True, None, PHONE, 3, 3000, date(2026, 11, 28)),)


async def test_an_option_names_its_order_and_phone_so_it_works_from_any_step() -> None:
    chat = Chat()
    turn = await chat.send(Command("start"), ButtonPressed(OPTION))
    assert turn.effects == (AcceptPlan("WW-1042", True, None, PHONE, 3, 3000, date(2026, 11, 28)),)


async def test_an_option_for_an_order_the_business_did_not_know_carries_its_balance() -> None:
    chat = Chat()
    turn = await chat.send(ButtonPressed("plan:2:700:20261128:TABLE5:254712345678"))
    assert turn.effects == (AcceptPlan("TABLE5", False, 700, PHONE, 2, 700, date(2026, 11, 28)),)


async def test_a_malformed_option_only_shows_the_menu() -> None:
    chat = Chat()
    turn = await chat.send(Command("start"), ButtonPressed("plan:3:3000:20261128"))
    assert turn.effects == ()
    assert turn.state.step is Step.IDLE


async def test_no_thanks_goes_back_to_the_menu() -> None:
    chat = Chat()
    await chat.send(Command("pay", "WW-1042"), ButtonPressed(PAY_LATER), TextMessage(PHONE))
    turn = await chat.send(ButtonPressed(PLAN_NO))
    assert turn.state.step is Step.IDLE
    assert turn.replies[0].text.startswith("No problem.")


async def test_another_number_is_asked_for_and_the_offer_made_again_for_it() -> None:
    chat = Chat()
    await chat.send(Command("pay", "WW-1042"), ButtonPressed(PAY_LATER), TextMessage(PHONE))
    asked = await chat.send(ButtonPressed(PLAN_PHONE))
    assert asked.state.step is Step.PHONE
    turn = await chat.send(TextMessage("0700 000 001"))
    assert OfferPlan("WW-1042", True, None, "254700000001") in turn.effects


async def test_pay_later_after_a_failed_payment_uses_its_number_at_once() -> None:
    chat = Chat()
    await chat.send(Command("pay", "WW-1042"), ButtonPressed("amount:3000"), TextMessage(PHONE))
    await chat.send(ButtonPressed("pay"))
    turn = await chat.send(ButtonPressed(PAY_LATER))
    assert turn.effects == (OfferPlan("WW-1042", True, None, PHONE),)


async def test_a_typed_line_while_choosing_shows_the_offer_again() -> None:
    chat = Chat()
    await chat.send(Command("pay", "WW-1042"), ButtonPressed(PAY_LATER), TextMessage(PHONE))
    turn = await chat.send(TextMessage("hello"))
    assert turn.state.step is Step.PLAN
    assert turn.effects == (OfferPlan("WW-1042", True, None, PHONE),)


async def test_going_back_to_the_amount_forgets_pay_later() -> None:
    chat = Chat()
    await chat.send(Command("pay", "WW-1042"), ButtonPressed(PAY_LATER))
    await chat.send(Command("pay", "WW-1042"), ButtonPressed("amount:3000"))
    turn = await chat.send(TextMessage(PHONE))
    assert turn.state.step is Step.CONFIRM
    assert not any(isinstance(effect, OfferPlan) for effect in turn.effects)


@pytest.mark.parametrize("step_events", [(), (Command("pay", "WW-1042"),)])
async def test_buttons_on_a_plan_work_from_any_step(step_events: tuple[Event, ...]) -> None:
    chat = Chat()
    await chat.send(Command("start"), *step_events)
    turn = await chat.send(ButtonPressed("plan:all:7"))
    assert turn.effects == (ActOnPlan("all", 7),)


async def test_plans_command_asks_for_the_list_even_with_offers_off() -> None:
    turn = await Chat(FlowSettings("Wildwash")).send(Command("plans"))
    assert turn.effects == (ShowPlans(),)


async def test_an_option_taken_after_the_chat_went_idle_still_reaches_the_service() -> None:
    # The service, not the flow, decides whether the offer still holds (same day, balance).
    chat = Chat()
    await chat.send(Command("pay", "WW-1042"), ButtonPressed(PAY_LATER), TextMessage(PHONE))
    turn = await handle(
        chat.state, ButtonPressed(OPTION), chat.ctx, SETTINGS, START + timedelta(hours=1)
    )
    assert [type(effect) for effect in turn.effects] == [AcceptPlan]
