"""The one checkout flow on each channel: USSD's wording and choices, back and home everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest

from checkout.conversation.flow import handle
from checkout.conversation.model import (
    ButtonPressed,
    Command,
    ConversationState,
    Event,
    RememberPhone,
    ShowOrders,
    ShowPlans,
    StartPayment,
    Step,
    TextMessage,
    Turn,
)
from checkout.conversation.steps.call import FlowSettings
from checkout.domain.callbacks import (
    AMOUNT_OTHER,
    BACK,
    CHANGE_PHONE,
    HOME,
    MENU_LANGUAGE,
    MENU_ORDERS,
    MENU_PAY,
    MENU_PLANS,
    MENU_STATUS,
    PAY,
)
from checkout.domain.records import Channel
from checkout.i18n.buttons import menu_buttons
from tests.checkout.test_flow import SAVED, START, FakeContext, order


class WithPlans(FakeContext):
    """A caller with a plan still owing."""

    @property
    def has_open_plans(self) -> bool:
        return True


SETTINGS = FlowSettings(business_name="Wildwash")


class Chat:
    """One conversation on a channel, keeping the state between events."""

    def __init__(self, channel: Channel, *, saved_phone: str | None = SAVED) -> None:
        self.channel = channel
        self.ctx = FakeContext(order("WW-1042", 2000, 500), saved_phone=saved_phone)
        self.state = ConversationState(updated_at=START)
        self.now = START

    async def send(self, *events: Event) -> Turn:
        turn = None
        for event in events:
            turn = await handle(
                self.state, event, self.ctx, SETTINGS, self.now, channel=self.channel
            )
            self.state = turn.state
        assert turn is not None
        return turn


TO_AMOUNT = (ButtonPressed(MENU_PAY), TextMessage("WW-1042"))


class TestUssdWording:
    async def test_the_menu_offers_the_last_payment_and_the_language(self) -> None:
        turn = await Chat(Channel.USSD).send(Command("start"))
        [reply] = turn.replies
        assert reply.text == "Wildwash - pay with M-Pesa"
        # "My open orders" (the chat's /orders) too, after the three callers know (issue 21).
        assert [row[0].data for row in reply.buttons] == [
            MENU_PAY,
            MENU_STATUS,
            MENU_LANGUAGE,
            MENU_ORDERS,
        ]
        assert reply.buttons == menu_buttons("en", channel=Channel.USSD)

    async def test_a_caller_with_a_plan_also_gets_my_plans(self) -> None:
        chat = Chat(Channel.USSD)
        chat.ctx = WithPlans(order("WW-1042", 2000, 500), saved_phone=SAVED)
        turn = await chat.send(Command("start"))
        [reply] = turn.replies
        assert [row[0].data for row in reply.buttons][-2:] == [MENU_ORDERS, MENU_PLANS]
        assert reply.buttons[-1][0].label == "My plans"
        plans = await chat.send(ButtonPressed(MENU_PLANS))
        assert plans.effects == (ShowPlans(),)
        orders = await chat.send(ButtonPressed(MENU_ORDERS))
        assert orders.effects == (ShowOrders(),)

    async def test_telegram_keeps_its_own_menu(self) -> None:
        turn = await Chat(Channel.TELEGRAM).send(Command("start"))
        assert turn.replies[0].text == "Welcome to Wildwash. What would you like to do?"
        assert turn.replies[0].buttons == menu_buttons("en")

    async def test_questions_have_no_cancel_button_on_ussd(self) -> None:
        turn = await Chat(Channel.USSD).send(ButtonPressed(MENU_PAY))
        assert turn.replies[0].buttons == ()
        telegram = await Chat(Channel.TELEGRAM).send(ButtonPressed(MENU_PAY))
        assert telegram.replies[0].buttons[0][0].label == "Cancel"

    async def test_the_callers_number_is_confirmed_without_asking(self) -> None:
        chat = Chat(Channel.USSD)
        turn = await chat.send(*TO_AMOUNT, ButtonPressed("amount:1500"))
        assert turn.state.step is Step.CONFIRM
        assert turn.state.data["phone"] == SAVED
        assert [button.data for row in turn.replies[-1].buttons for button in row] == [
            PAY,
            "cancel",
            CHANGE_PHONE,
        ]

    async def test_without_a_known_number_the_number_is_asked(self) -> None:
        turn = await Chat(Channel.USSD, saved_phone=None).send(
            *TO_AMOUNT, ButtonPressed("amount:1500")
        )
        assert turn.state.step is Step.PHONE
        assert turn.replies[-1].request_contact is None

    async def test_another_number_is_not_remembered_on_ussd(self) -> None:
        chat = Chat(Channel.USSD)
        await chat.send(*TO_AMOUNT, ButtonPressed("amount:1500"), ButtonPressed(CHANGE_PHONE))
        turn = await chat.send(TextMessage("0722 000 000"))
        assert turn.state.data["phone"] == "254722000000"
        assert not any(isinstance(effect, RememberPhone) for effect in turn.effects)
        pay = await chat.send(ButtonPressed(PAY))
        assert pay.effects == (StartPayment("WW-1042", 1500, "254722000000", order_known=True),)

    async def test_another_amount_is_typed_and_then_confirmed(self) -> None:
        chat = Chat(Channel.USSD)
        typing = await chat.send(*TO_AMOUNT, ButtonPressed(AMOUNT_OTHER))
        assert typing.replies[0].text == "Enter the amount in KES (up to 1,500):"
        assert typing.replies[0].buttons == ()
        refused = await chat.send(TextMessage("1600"))
        assert refused.replies[0].text == (
            "Only KES 1,500 is left to pay.\nEnter the amount in KES (up to 1,500):"
        )
        turn = await chat.send(TextMessage("600"))
        assert turn.state.step is Step.CONFIRM
        assert turn.state.data["amount"] == 600
        assert "typing_amount" not in turn.state.data

    async def test_no_idle_notice_starts_a_ussd_session(self) -> None:
        chat = Chat(Channel.USSD)
        await chat.send(ButtonPressed(MENU_PAY))
        chat.now += timedelta(hours=1)
        turn = await chat.send(Command("start"))
        assert [reply.text for reply in turn.replies] == ["Wildwash - pay with M-Pesa"]


class TestBackAndHome:
    @pytest.mark.parametrize(
        ("events", "step"),
        [
            ((ButtonPressed(MENU_PAY),), Step.IDLE),
            (TO_AMOUNT, Step.ORDER),
            ((*TO_AMOUNT, TextMessage("1500")), Step.AMOUNT),  # the phone question
            ((*TO_AMOUNT, TextMessage("1500"), TextMessage("0712345678")), Step.PHONE),
            ((Command("lugha"),), Step.IDLE),
        ],
    )
    async def test_back_on_telegram_goes_to_the_previous_question(
        self, events: tuple[Event, ...], step: Step
    ) -> None:
        chat = Chat(Channel.TELEGRAM)
        await chat.send(*events)
        turn = await chat.send(ButtonPressed(BACK))
        assert turn.state.step is step

    async def test_back_keeps_the_order_and_drops_the_later_answers(self) -> None:
        chat = Chat(Channel.TELEGRAM)
        await chat.send(*TO_AMOUNT, TextMessage("1500"), TextMessage("0712345678"))
        turn = await chat.send(ButtonPressed(BACK), ButtonPressed(BACK))
        assert turn.state.step is Step.AMOUNT
        assert turn.state.data == {
            "order_reference": "WW-1042",
            "order_known": True,
            "balance": 1500,
        }

    @pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.USSD])
    async def test_home_leaves_the_order_for_the_menu(self, channel: Channel) -> None:
        chat = Chat(channel)
        await chat.send(*TO_AMOUNT)
        turn = await chat.send(ButtonPressed(HOME))
        assert (turn.state.step, turn.state.data) == (Step.IDLE, {})
        assert turn.effects == ()
