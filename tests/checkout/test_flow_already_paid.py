"""The flow's "I already paid": the button names the order, the code step checks what is typed."""

from __future__ import annotations

from checkout.conversation.flow import handle
from checkout.conversation.model import ButtonPressed, Step, VerifyPayment
from checkout.domain.callbacks import CANCEL, already_paid_data
from checkout.domain.records import Channel
from checkout.i18n.buttons import already_paid_button
from tests.checkout.test_flow import Chat


async def test_the_button_asks_for_the_code_of_its_order() -> None:
    chat = Chat()
    turn = await chat.press(already_paid_data("WW-1042"))
    assert turn.state.step is Step.CODE
    (reply,) = turn.replies
    assert "WW-1042" in reply.text
    assert "10 letters and digits" in reply.text
    assert [button.data for row in reply.buttons for button in row] == [CANCEL]


async def test_a_code_is_handed_to_the_service_with_its_order() -> None:
    chat = Chat()
    await chat.press(already_paid_data("WW-1042"))
    turn = await chat.text("qk12abc3de")
    assert turn.effects == (VerifyPayment("WW-1042", "QK12ABC3DE"),)
    assert turn.replies == ()  # the service answers once it has asked M-Pesa
    assert turn.state.step is Step.IDLE


async def test_something_else_is_asked_again_with_what_a_code_looks_like() -> None:
    chat = Chat()
    await chat.press(already_paid_data("WW-1042"))
    turn = await chat.text("I paid yesterday")
    assert turn.state.step is Step.CODE
    assert turn.effects == ()
    assert "not an M-Pesa code" in turn.replies[0].text


async def test_the_button_works_from_any_step_and_cancel_leaves_it() -> None:
    chat = Chat()
    await chat.reach(Step.CONFIRM)
    turn = await chat.press(already_paid_data("WW-1042"))
    assert turn.state.step is Step.CODE
    turn = await chat.press(CANCEL)
    assert turn.state.step is Step.IDLE
    assert turn.effects == ()


async def test_a_forged_order_in_the_button_shows_the_menu() -> None:
    chat = Chat()
    turn = await chat.press("paid:not an order!")
    assert turn.state.step is Step.IDLE
    assert turn.effects == ()


async def test_the_swahili_button_and_question() -> None:
    assert already_paid_button("sw", "WW-1042").label == "Nimeshalipa"
    chat = Chat()
    chat.state.language = "sw"
    turn = await chat.press(already_paid_data("WW-1042"))
    assert "msimbo wa M-Pesa" in turn.replies[0].text


async def test_ussd_types_the_code_on_a_screen_of_its_own() -> None:
    chat = Chat()
    turn = await handle(
        chat.state,
        ButtonPressed(already_paid_data("WW-1042")),
        chat.ctx,
        chat.settings,
        chat.now,
        channel=Channel.USSD,
    )
    assert turn.state.step is Step.CODE
    assert turn.replies[0].buttons == ()  # "00" goes home on USSD
