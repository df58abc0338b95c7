"""The checkout conversation, driven event by event as a customer would."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checkout.conversation.flow import handle
from checkout.conversation.model import (
    ButtonPressed,
    ChangeLanguage,
    Command,
    ContactShared,
    ConversationState,
    Event,
    RememberPhone,
    Reply,
    ReportHistory,
    ReportStatus,
    StartPayment,
    Step,
    TextMessage,
    Turn,
)
from checkout.conversation.steps.call import FlowSettings
from checkout.domain.callbacks import (
    CANCEL,
    CHANGE_PHONE,
    MENU_HELP,
    MENU_HISTORY,
    MENU_PAY,
    PAY,
    PHONE_SAVED,
    RETRY,
    language_data,
)
from checkout.domain.records import Language, Order, OrderStatus
from checkout.domain.references import parse_order_reference
from checkout.i18n.buttons import menu_buttons, retry_button
from checkout.i18n.texts import t

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = FlowSettings(business_name="Wildwash")
SAVED = "254712345678"


def order(reference: str, due: int, paid: int = 0, *, known: bool = True) -> Order:
    status = OrderStatus.PAID if paid >= due else OrderStatus.OPEN
    return Order(reference, amount_due=due, amount_paid=paid, status=status, known=known)


class FakeContext:
    """The service's lookups, in memory."""

    def __init__(self, *orders: Order, saved_phone: str | None = None) -> None:
        self.orders = {each.reference: each for each in orders}
        self._saved_phone = saved_phone
        self.lookups: list[str] = []

    async def find_order(self, reference: str) -> Order | None:
        self.lookups.append(reference)
        return self.orders.get(reference)

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
    """One customer's conversation: keeps the state between events, as the service does."""

    def __init__(
        self,
        ctx: FakeContext | None = None,
        settings: FlowSettings = SETTINGS,
        state: ConversationState | None = None,
    ) -> None:
        self.ctx = ctx or FakeContext(order("WW-1042", 2000, 500), order("WW-7", 900, 900))
        self.settings = settings
        self.state = state or ConversationState(updated_at=START)
        self.now = START
        self.turns: list[Turn] = []

    async def send(self, event: Event) -> Turn:
        turn = await handle(self.state, event, self.ctx, self.settings, self.now)
        self.state = turn.state
        self.turns.append(turn)
        return turn

    async def text(self, text: str) -> Turn:
        return await self.send(TextMessage(text))

    async def command(self, name: str, argument: str = "") -> Turn:
        return await self.send(Command(name, argument))

    async def press(self, data: str) -> Turn:
        return await self.send(ButtonPressed(data))

    async def contact(self, phone: str, *, own: bool = True) -> Turn:
        return await self.send(ContactShared(phone, is_own=own))

    def wait(self, delta: timedelta) -> None:
        self.now += delta

    async def reach(self, step: Step) -> None:
        """Walk the happy path for WW-1042 (balance 1,500) up to ``step``."""
        path: list[tuple[Step, Event]] = [
            (Step.ORDER, ButtonPressed(MENU_PAY)),
            (Step.AMOUNT, TextMessage("WW-1042")),
            (Step.PHONE, TextMessage("1500")),
            (Step.CONFIRM, TextMessage("0712345678")),
            (Step.PAYING, ButtonPressed(PAY)),
        ]
        if step is Step.LANGUAGE:
            await self.command("lugha")
            return
        for reached, event in path:
            if self.state.step is step:
                return
            await self.send(event)
            assert self.state.step is reached


def texts(turn: Turn) -> list[str]:
    return [reply.text for reply in turn.replies]


def data(reply: Reply) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


def labels(reply: Reply) -> list[str]:
    return [button.label for row in reply.buttons for button in row]


def payments(turn: Turn) -> list[StartPayment]:
    return [effect for effect in turn.effects if isinstance(effect, StartPayment)]


def en(key: str, **params: Any) -> str:
    return t("en", key, **params)


def menu_text(language: Language = "en") -> str:
    return t(language, "menu_greeting", business="Wildwash")


@pytest.fixture
def chat() -> Chat:
    return Chat()


class TestMenu:
    async def test_start_greets_with_the_business_name_and_the_menu(self, chat: Chat) -> None:
        turn = await chat.command("start")
        assert texts(turn) == ["Welcome to Wildwash. What would you like to do?"]
        assert labels(turn.replies[0]) == ["Pay an order", "My payments", "Help"]
        assert data(turn.replies[0]) == [MENU_PAY, MENU_HISTORY, MENU_HELP]
        assert turn.state.step is Step.IDLE

    async def test_free_text_outside_a_conversation_gets_the_menu(self, chat: Chat) -> None:
        turn = await chat.text("hello?")
        assert texts(turn) == [menu_text()]

    async def test_unknown_commands_get_the_menu(self, chat: Chat) -> None:
        turn = await chat.command("frobnicate")
        assert texts(turn) == [menu_text()]

    async def test_commands_addressed_to_the_bot_by_name_work(self, chat: Chat) -> None:
        await chat.command("pay@LipaBot")
        assert chat.state.step is Step.ORDER

    @pytest.mark.parametrize("event", [Command("help"), ButtonPressed(MENU_HELP)])
    async def test_help_explains_then_shows_the_menu(self, chat: Chat, event: Event) -> None:
        turn = await chat.send(event)
        assert texts(turn) == [en("help_text"), menu_text()]

    async def test_help_mid_order_asks_the_question_again(self, chat: Chat) -> None:
        await chat.reach(Step.AMOUNT)
        turn = await chat.command("help")
        assert texts(turn)[0] == en("help_text")
        assert chat.state.step is Step.AMOUNT
        assert chat.state.data["order_reference"] == "WW-1042"

    async def test_status_asks_the_service_to_report_and_keeps_the_step(self, chat: Chat) -> None:
        await chat.reach(Step.AMOUNT)
        turn = await chat.command("status")
        assert turn.effects == (ReportStatus(),)
        assert turn.replies == ()
        assert chat.state.step is Step.AMOUNT

    @pytest.mark.parametrize("event", [Command("history"), ButtonPressed(MENU_HISTORY)])
    async def test_history_asks_the_service_for_the_last_payments(
        self, chat: Chat, event: Event
    ) -> None:
        turn = await chat.send(event)
        assert turn.effects == (ReportHistory(),)

    def test_the_service_can_offer_the_same_menu_and_retry_buttons(self) -> None:
        assert menu_buttons("sw")[0][0].label == "Lipia oda"
        assert retry_button("en").data == RETRY


class TestOrderStep:
    @pytest.mark.parametrize("event", [Command("pay"), ButtonPressed(MENU_PAY)])
    async def test_asks_for_the_order_number(self, chat: Chat, event: Event) -> None:
        turn = await chat.send(event)
        assert texts(turn) == ["Please type your order number."]
        assert data(turn.replies[0]) == [CANCEL]
        assert chat.state.step is Step.ORDER

    @pytest.mark.parametrize(
        "typed",
        [
            "WW 1042",
            "WW_1042",
            "#WW-1042",
            "ABCDEFGHIJKLM",  # 13 characters: longer than Daraja's AccountReference
            "",
            "   ",
            "ÖRDER-1",
            "ﬁx-1",  # upper-cases to ASCII, but is not ASCII
            "WW/1042",
        ],
    )
    async def test_refuses_a_malformed_reference_saying_the_rule(
        self, chat: Chat, typed: str
    ) -> None:
        await chat.reach(Step.ORDER)
        turn = await chat.text(typed)
        assert texts(turn) == [en("order_invalid")]
        assert chat.state.step is Step.ORDER
        assert chat.ctx.lookups == []

    @pytest.mark.parametrize(
        ("typed", "reference"),
        [(" ww-1042 ", "WW-1042"), ("abcdefghijkl", "ABCDEFGHIJKL"), ("7", "7")],
    )
    def test_references_are_trimmed_and_upper_cased(self, typed: str, reference: str) -> None:
        assert parse_order_reference(typed) == reference

    async def test_a_known_order_shows_its_balance_with_a_pay_all_button(self, chat: Chat) -> None:
        await chat.reach(Step.ORDER)
        turn = await chat.text("ww-1042")
        assert texts(turn) == [
            "Order WW-1042: KES 1,500 left to pay. Pay it all below, or type a smaller amount."
        ]
        assert labels(turn.replies[0]) == ["Pay KES 1,500", "Cancel"]
        assert data(turn.replies[0]) == ["amount:1500", CANCEL]
        assert chat.state.step is Step.AMOUNT
        assert chat.state.data == {
            "order_reference": "WW-1042",
            "order_known": True,
            "balance": 1500,
        }

    async def test_a_fully_paid_order_is_refused_politely_and_returns_to_the_menu(
        self, chat: Chat
    ) -> None:
        await chat.reach(Step.ORDER)
        turn = await chat.text("WW-7")
        assert texts(turn) == [en("order_paid", order="WW-7"), menu_text()]
        assert chat.state.step is Step.IDLE
        assert chat.state.data == {}

    async def test_an_unknown_order_is_accepted_when_allowed(self, chat: Chat) -> None:
        await chat.reach(Step.ORDER)
        turn = await chat.text("NEW-1")
        assert texts(turn) == [en("amount_ask_unknown", order="NEW-1")]
        assert data(turn.replies[0]) == [CANCEL]
        assert chat.state.data == {"order_reference": "NEW-1", "order_known": False}

    async def test_an_unknown_order_is_refused_when_not_allowed(self) -> None:
        chat = Chat(settings=replace(SETTINGS, accept_unknown_orders=False))
        await chat.reach(Step.ORDER)
        turn = await chat.text("NEW-1")
        assert texts(turn) == [
            "We could not find order NEW-1. Please check the number and type it again."
        ]
        assert chat.state.step is Step.ORDER

    async def test_an_order_created_for_an_unknown_reference_takes_any_amount(self) -> None:
        # The service created it with the amount of the push as its balance (not paid yet: a
        # paid one is closed, see TestTypedReferences); it has no bill to respect.
        chat = Chat(FakeContext(order("AD-HOC", 300, 0, known=False)))
        await chat.reach(Step.ORDER)
        await chat.text("AD-HOC")
        assert chat.state.step is Step.AMOUNT
        assert chat.state.data["order_known"] is False


class TestDeepLink:
    async def test_start_with_an_order_goes_straight_to_the_amount(self, chat: Chat) -> None:
        turn = await chat.command("start", "pay_WW-1042")
        assert chat.state.step is Step.AMOUNT
        assert data(turn.replies[0]) == ["amount:1500", CANCEL]

    async def test_a_deep_link_to_a_paid_order_says_so(self, chat: Chat) -> None:
        turn = await chat.command("start", "pay_WW-7")
        assert texts(turn)[0] == en("order_paid", order="WW-7")
        assert chat.state.step is Step.IDLE

    async def test_a_malformed_deep_link_says_the_rule_and_asks(self, chat: Chat) -> None:
        turn = await chat.command("start", "pay_WAY-TOO-LONG-REFERENCE")
        assert texts(turn) == [en("order_invalid")]
        assert chat.state.step is Step.ORDER

    async def test_an_empty_deep_link_asks_for_the_order(self, chat: Chat) -> None:
        await chat.command("start", "pay_")
        assert chat.state.step is Step.ORDER

    async def test_a_deep_link_replaces_an_order_in_progress(self, chat: Chat) -> None:
        await chat.reach(Step.CONFIRM)
        await chat.command("start", "pay_NEW-9")
        assert chat.state.step is Step.AMOUNT
        assert chat.state.data == {"order_reference": "NEW-9", "order_known": False}

    async def test_pay_with_an_argument_opens_that_order(self, chat: Chat) -> None:
        await chat.command("pay", "ww-1042")
        assert chat.state.step is Step.AMOUNT


class TestAmountStep:
    @pytest.mark.parametrize(
        ("typed", "amount"),
        [
            ("1500", 1500),
            ("1,000", 1000),
            ("Ksh 1,500.00", 1500),
            ("KES 20", 20),
            ("1 200/=", 1200),
        ],
    )
    async def test_takes_the_amount_as_typed(self, chat: Chat, typed: str, amount: int) -> None:
        await chat.reach(Step.AMOUNT)
        await chat.text(typed)
        assert chat.state.step is Step.PHONE
        assert chat.state.data["amount"] == amount

    async def test_the_pay_all_button_takes_the_balance(self, chat: Chat) -> None:
        await chat.reach(Step.AMOUNT)
        await chat.press("amount:1500")
        assert chat.state.step is Step.PHONE
        assert chat.state.data["amount"] == 1500

    @pytest.mark.parametrize(
        ("typed", "rule"),
        [
            ("abc", en("amount_not_a_number")),
            ("1e3", en("amount_not_a_number")),
            ("1,50,0", en("amount_not_a_number")),
            ("1500.50", en("amount_not_whole")),
            ("0", en("amount_too_small", minimum=1)),
            ("-100", en("amount_too_small", minimum=1)),
            ("1501", "Only KES 1,500 is left to pay on this order. Please type KES 1,500 or less."),
        ],
    )
    async def test_a_bad_amount_for_a_known_order_says_the_rule_and_asks_again(
        self, chat: Chat, typed: str, rule: str
    ) -> None:
        await chat.reach(Step.AMOUNT)
        turn = await chat.text(typed)
        assert texts(turn) == [rule]
        assert data(turn.replies[0]) == ["amount:1500", CANCEL]
        assert chat.state.step is Step.AMOUNT
        assert "amount" not in chat.state.data

    async def test_an_unknown_order_still_has_the_daraja_limit(self, chat: Chat) -> None:
        await chat.command("pay", "NEW-1")
        turn = await chat.text("250001")
        assert texts(turn) == [en("amount_too_large", maximum=250_000)]
        await chat.text("250000")
        assert chat.state.step is Step.PHONE

    async def test_a_forged_amount_button_obeys_the_balance(self, chat: Chat) -> None:
        await chat.reach(Step.AMOUNT)
        await chat.press("amount:99999")
        assert chat.state.step is Step.AMOUNT


class TestPhoneStep:
    async def test_asks_with_a_contact_button_and_a_saved_number_button(self) -> None:
        chat = Chat(FakeContext(order("WW-1042", 2000, 500), saved_phone=SAVED))
        await chat.reach(Step.AMOUNT)
        turn = await chat.text("1500")
        (reply,) = turn.replies
        assert reply.text == en("phone_ask")
        assert reply.request_contact == "Share my number"
        assert labels(reply) == ["Use 0712 345 678", "Cancel"]
        assert data(reply) == [PHONE_SAVED, CANCEL]

    async def test_without_a_saved_number_offers_only_the_contact_button(self, chat: Chat) -> None:
        await chat.reach(Step.AMOUNT)
        turn = await chat.text("1500")
        assert turn.replies[0].request_contact == "Share my number"
        assert data(turn.replies[0]) == [CANCEL]

    @pytest.mark.parametrize(
        "typed", ["0712345678", "+254712345678", "254712345678", "712345678", "0712-345-678"]
    )
    async def test_takes_a_typed_number_in_any_common_format(self, chat: Chat, typed: str) -> None:
        await chat.reach(Step.PHONE)
        turn = await chat.text(typed)
        assert chat.state.step is Step.CONFIRM
        assert chat.state.data["phone"] == "254712345678"
        assert turn.effects == (RememberPhone("254712345678"),)

    @pytest.mark.parametrize(
        ("typed", "key"),
        [
            ("0712 345 67", "phone_invalid"),
            ("my number", "phone_invalid"),
            ("020 2222222", "phone_not_mobile"),
            ("+14155552671", "phone_not_kenyan"),
        ],
    )
    async def test_a_bad_number_gets_the_rule_with_an_example(
        self, chat: Chat, typed: str, key: str
    ) -> None:
        await chat.reach(Step.PHONE)
        turn = await chat.text(typed)
        assert texts(turn) == [en(key)]
        assert "0712 345 678" in turn.replies[0].text
        assert chat.state.step is Step.PHONE

    async def test_after_a_bad_number_only_the_reason_is_sent(self) -> None:
        # The "Share my number" keyboard (with the saved number and Cancel) was sent with the
        # question and is still on the screen: a mistake is answered with the reason alone.
        chat = Chat(FakeContext(order("WW-1042", 2000, 500), saved_phone=SAVED))
        await chat.reach(Step.PHONE)
        for typed in ("0712 345 67", "020 2222222"):
            (reply,) = (await chat.text(typed)).replies
            assert reply.request_contact is None
            assert reply.buttons == ()
            assert not reply.remove_keyboard
        # The keyboard's buttons still work after the mistakes.
        await chat.text("Use 0712 345 678")
        assert chat.state.step is Step.CONFIRM

    async def test_a_shared_own_contact_is_used(self, chat: Chat) -> None:
        await chat.reach(Step.PHONE)
        await chat.contact("254722000111")
        assert chat.state.data["phone"] == "254722000111"
        assert chat.state.step is Step.CONFIRM

    async def test_someone_elses_contact_is_refused(self, chat: Chat) -> None:
        await chat.reach(Step.PHONE)
        turn = await chat.contact("254722000111", own=False)
        assert texts(turn) == [en("phone_contact_not_own")]
        assert turn.replies[0].request_contact is None
        assert chat.state.step is Step.PHONE
        assert "phone" not in chat.state.data

    async def test_the_saved_number_button_uses_it_without_remembering_it_again(self) -> None:
        chat = Chat(FakeContext(order("WW-1042", 2000, 500), saved_phone=SAVED))
        await chat.reach(Step.PHONE)
        turn = await chat.press(PHONE_SAVED)
        assert chat.state.data["phone"] == SAVED
        assert turn.effects == ()

    async def test_the_saved_number_button_without_a_saved_number_asks_again(
        self, chat: Chat
    ) -> None:
        await chat.reach(Step.PHONE)
        turn = await chat.press(PHONE_SAVED)
        assert texts(turn) == [en("phone_ask")]
        assert chat.state.step is Step.PHONE

    async def test_an_unusable_saved_number_is_not_offered(self) -> None:
        chat = Chat(FakeContext(order("WW-1042", 2000, 500), saved_phone="254202222222"))
        await chat.reach(Step.AMOUNT)
        turn = await chat.text("1500")
        assert data(turn.replies[0]) == [CANCEL]

    async def test_leaving_the_step_removes_the_contact_keyboard(self, chat: Chat) -> None:
        await chat.reach(Step.PHONE)
        turn = await chat.press(CANCEL)
        assert [reply.remove_keyboard for reply in turn.replies] == [True, False]

    # Telegram shows the phone question's buttons on its "Share my number" keyboard (one
    # message, one keyboard), whose buttons send their label as text.
    async def test_the_cancel_label_typed_by_the_keyboard_cancels(self, chat: Chat) -> None:
        await chat.reach(Step.PHONE)
        turn = await chat.text("Cancel")
        assert chat.state.step is Step.IDLE
        assert texts(turn) == [en("cancelled"), menu_text()]

    async def test_the_saved_number_label_uses_the_saved_number(self) -> None:
        chat = Chat(FakeContext(order("WW-1042", 2000, 500), saved_phone=SAVED))
        await chat.reach(Step.AMOUNT)
        await chat.text("1500")
        turn = await chat.text("Use 0712 345 678")
        assert chat.state.step is Step.CONFIRM
        assert chat.state.data["phone"] == SAVED
        assert turn.effects == ()

    async def test_the_labels_are_taken_in_swahili_too(self) -> None:
        chat = Chat(FakeContext(order("WW-1042", 2000, 500), saved_phone=SAVED))
        await chat.command("lugha")
        await chat.press("lang:sw")
        await chat.reach(Step.PHONE)
        await chat.text("tumia 0712 345 678")
        assert chat.state.data["phone"] == SAVED
        await chat.press(CHANGE_PHONE)
        await chat.text("Ghairi")
        assert chat.state.step is Step.IDLE

    async def test_a_label_of_a_button_not_offered_is_read_as_a_number(self, chat: Chat) -> None:
        await chat.reach(Step.PHONE)  # no saved number: no "Use …" button
        turn = await chat.text("Use 0712 345 678")
        assert texts(turn) == [en("phone_invalid")]
        assert chat.state.step is Step.PHONE


class TestConfirmation:
    async def test_asks_to_confirm_amount_order_and_phone(self, chat: Chat) -> None:
        await chat.reach(Step.PHONE)
        turn = await chat.text("0712345678")
        (reply,) = turn.replies
        assert reply.text == "Pay KES 1,500 for order WW-1042 from 0712 345 678?"
        assert labels(reply) == ["Pay", "Change number", "Cancel"]
        assert data(reply) == [PAY, CHANGE_PHONE, CANCEL]
        assert reply.remove_keyboard is True

    async def test_change_number_asks_for_the_phone_again(self, chat: Chat) -> None:
        await chat.reach(Step.CONFIRM)
        turn = await chat.press(CHANGE_PHONE)
        assert chat.state.step is Step.PHONE
        assert "phone" not in chat.state.data
        assert chat.state.data["amount"] == 1500
        assert turn.replies[0].request_contact == "Share my number"

    async def test_typing_instead_of_choosing_shows_the_confirmation_again(
        self, chat: Chat
    ) -> None:
        await chat.reach(Step.CONFIRM)
        turn = await chat.text("yes")
        assert texts(turn) == ["Pay KES 1,500 for order WW-1042 from 0712 345 678?"]
        assert chat.state.step is Step.CONFIRM


class TestPaying:
    async def test_pay_starts_one_payment_and_waits_quietly(self, chat: Chat) -> None:
        await chat.reach(Step.CONFIRM)
        turn = await chat.press(PAY)
        assert turn.effects == (StartPayment("WW-1042", 1500, "254712345678", order_known=True),)
        assert turn.replies == ()  # the service replies once Daraja has answered
        assert chat.state.step is Step.PAYING

    async def test_an_unknown_order_is_paid_as_unknown(self, chat: Chat) -> None:
        await chat.command("pay", "NEW-1")
        await chat.text("700")
        await chat.text("0712345678")
        turn = await chat.press(PAY)
        assert payments(turn) == [StartPayment("NEW-1", 700, "254712345678", order_known=False)]

    async def test_pressing_pay_again_says_it_is_on_its_way(self, chat: Chat) -> None:
        await chat.reach(Step.PAYING)
        turn = await chat.press(PAY)
        assert payments(turn) == []
        assert texts(turn) == [en("already_paying")]
        assert chat.state.step is Step.PAYING

    async def test_pay_still_refuses_a_second_payment_after_chatting(self, chat: Chat) -> None:
        await chat.reach(Step.PAYING)
        await chat.text("did it work?")
        await chat.command("help")
        turn = await chat.press(PAY)
        assert payments(turn) == []
        assert texts(turn) == [en("already_paying")]

    @pytest.mark.parametrize("step", [Step.IDLE, Step.ORDER, Step.AMOUNT, Step.PHONE])
    async def test_a_stale_pay_button_shows_the_menu(self, chat: Chat, step: Step) -> None:
        await chat.reach(step)
        turn = await chat.press(PAY)
        assert payments(turn) == []
        assert texts(turn)[-1] == menu_text()
        assert chat.state.step is Step.IDLE

    async def test_a_pay_button_after_cancelling_starts_nothing(self, chat: Chat) -> None:
        await chat.reach(Step.CONFIRM)
        await chat.command("cancel")
        turn = await chat.press(PAY)
        assert payments(turn) == []

    @pytest.mark.parametrize("stale", ["amount:1500", PHONE_SAVED, CHANGE_PHONE, "lang:xx", "zz"])
    async def test_other_stale_or_unknown_buttons_show_the_menu(
        self, chat: Chat, stale: str
    ) -> None:
        turn = await chat.press(stale)
        assert texts(turn) == [menu_text()]
        assert turn.effects == ()

    async def test_a_new_order_can_start_while_the_last_one_is_paying(self, chat: Chat) -> None:
        await chat.reach(Step.PAYING)
        await chat.press(MENU_PAY)
        assert chat.state.step is Step.ORDER


class TestRetry:
    async def test_try_again_shows_the_confirmation_again(self, chat: Chat) -> None:
        await chat.reach(Step.PAYING)
        turn = await chat.press(RETRY)
        assert texts(turn) == ["Pay KES 1,500 for order WW-1042 from 0712 345 678?"]
        assert chat.state.step is Step.CONFIRM
        assert payments(turn) == []

    async def test_try_again_without_an_order_in_progress_asks_for_the_order(
        self, chat: Chat
    ) -> None:
        turn = await chat.press(RETRY)
        assert texts(turn) == [en("order_ask")]
        assert chat.state.step is Step.ORDER

    async def test_try_again_after_the_order_was_paid_elsewhere_says_so(self, chat: Chat) -> None:
        await chat.reach(Step.PAYING)
        chat.ctx.orders["WW-1042"] = order("WW-1042", 2000, 2000)
        turn = await chat.press(RETRY)
        assert texts(turn)[0] == en("order_paid", order="WW-1042")
        assert chat.state.step is Step.IDLE

    async def test_try_again_after_a_part_was_paid_asks_for_the_amount(self, chat: Chat) -> None:
        await chat.reach(Step.PAYING)
        chat.ctx.orders["WW-1042"] = order("WW-1042", 2000, 1500)
        turn = await chat.press(RETRY)
        assert texts(turn) == [en("amount_above_balance", balance=500)]
        assert chat.state.step is Step.AMOUNT
        assert chat.state.data["balance"] == 500


class TestCancel:
    @pytest.mark.parametrize(
        "step", [Step.IDLE, Step.ORDER, Step.AMOUNT, Step.PHONE, Step.CONFIRM, Step.LANGUAGE]
    )
    @pytest.mark.parametrize("event", [Command("cancel"), ButtonPressed(CANCEL)])
    async def test_cancel_from_any_step_returns_to_the_menu(
        self, chat: Chat, step: Step, event: Event
    ) -> None:
        await chat.reach(step)
        turn = await chat.send(event)
        assert texts(turn) == ["Cancelled. No payment was made.", menu_text()]
        assert chat.state.step is Step.IDLE
        assert chat.state.data == {}
        assert turn.effects == ()

    async def test_cancel_while_paying_says_the_prompt_can_still_be_declined(
        self, chat: Chat
    ) -> None:
        await chat.reach(Step.PAYING)
        turn = await chat.command("cancel")
        assert texts(turn) == [en("cancelled_while_paying"), menu_text()]
        assert chat.state.step is Step.IDLE


class TestIdleTimeout:
    async def test_an_idle_conversation_starts_over_with_a_note(self, chat: Chat) -> None:
        await chat.reach(Step.AMOUNT)
        chat.wait(timedelta(minutes=16))
        turn = await chat.text("1500")
        assert texts(turn) == ["We started over because the chat was idle.", menu_text()]
        assert chat.state.step is Step.IDLE
        assert chat.state.data == {}

    async def test_a_stale_button_after_the_timeout_gets_the_menu(self, chat: Chat) -> None:
        await chat.reach(Step.CONFIRM)
        chat.wait(timedelta(hours=2))
        turn = await chat.press(PAY)
        assert payments(turn) == []
        assert texts(turn) == [en("idle_restarted"), menu_text()]

    async def test_the_event_is_handled_from_idle_after_the_note(self, chat: Chat) -> None:
        await chat.reach(Step.ORDER)
        chat.wait(timedelta(minutes=30))
        turn = await chat.command("pay")
        assert texts(turn) == [en("idle_restarted"), en("order_ask")]
        assert chat.state.step is Step.ORDER

    async def test_within_the_timeout_the_conversation_carries_on(self, chat: Chat) -> None:
        await chat.reach(Step.AMOUNT)
        chat.wait(timedelta(minutes=15))
        await chat.text("1500")
        assert chat.state.step is Step.PHONE

    async def test_an_idle_menu_needs_no_note(self, chat: Chat) -> None:
        await chat.command("start")
        chat.wait(timedelta(days=3))
        turn = await chat.command("start")
        assert texts(turn) == [menu_text()]

    async def test_a_payment_long_finished_restarts_without_a_note(self, chat: Chat) -> None:
        await chat.reach(Step.PAYING)
        chat.wait(timedelta(days=1))
        turn = await chat.press(RETRY)
        assert texts(turn) == [en("order_ask")]

    async def test_a_timeout_on_the_phone_step_removes_the_contact_keyboard(
        self, chat: Chat
    ) -> None:
        await chat.reach(Step.PHONE)
        chat.wait(timedelta(minutes=20))
        turn = await chat.text("0712345678")
        assert turn.replies[0].remove_keyboard is True

    async def test_the_timeout_is_a_setting(self) -> None:
        chat = Chat(settings=replace(SETTINGS, idle_timeout=timedelta(minutes=1)))
        await chat.reach(Step.AMOUNT)
        chat.wait(timedelta(minutes=2))
        await chat.text("1500")
        assert chat.state.step is Step.IDLE


class TestLanguage:
    @pytest.mark.parametrize("name", ["lugha", "language"])
    async def test_offers_english_and_kiswahili(self, chat: Chat, name: str) -> None:
        turn = await chat.command(name)
        assert labels(turn.replies[0]) == ["English", "Kiswahili"]
        assert data(turn.replies[0]) == ["lang:en", "lang:sw"]
        assert chat.state.step is Step.LANGUAGE

    async def test_choosing_swahili_remembers_it_and_speaks_it(self, chat: Chat) -> None:
        await chat.command("lugha")
        turn = await chat.press(language_data("sw"))
        assert turn.effects == (ChangeLanguage("sw"),)
        assert chat.state.language == "sw"
        assert texts(turn) == ["Sawa, tutaendelea kwa Kiswahili.", menu_text("sw")]
        turn = await chat.command("pay")
        assert texts(turn) == ["Tafadhali andika namba ya oda yako."]
        assert chat.state.language == "sw"

    async def test_switching_mid_order_carries_on_in_the_new_language(self, chat: Chat) -> None:
        await chat.reach(Step.AMOUNT)
        await chat.command("lugha")
        turn = await chat.press("lang:sw")
        assert texts(turn)[1] == t("sw", "amount_ask_known", order="WW-1042", balance=1500)
        assert chat.state.step is Step.AMOUNT
        assert "resume_step" not in chat.state.data
        turn = await chat.text("1500")
        assert turn.state.step is Step.PHONE

    async def test_switching_while_paying_keeps_the_payment_guarded(self, chat: Chat) -> None:
        await chat.reach(Step.PAYING)
        await chat.command("language")
        await chat.press("lang:sw")
        assert chat.state.step is Step.PAYING
        turn = await chat.press(PAY)
        assert texts(turn) == [t("sw", "already_paying")]

    async def test_a_new_conversation_speaks_the_default_language(self) -> None:
        chat = Chat(settings=replace(SETTINGS, default_language="sw"), state=ConversationState())
        turn = await chat.command("start")
        assert texts(turn) == [menu_text("sw")]
        assert chat.state.language == "sw"

    async def test_a_stored_choice_wins_over_the_default(self) -> None:
        state = ConversationState(language="en", updated_at=START)
        chat = Chat(settings=replace(SETTINGS, default_language="sw"), state=state)
        turn = await chat.command("start")
        assert texts(turn) == [menu_text("en")]


class TestSwahiliEndToEnd:
    async def test_a_customer_pays_entirely_in_swahili(self) -> None:
        chat = Chat(FakeContext(order("WW-1042", 2000, 500), saved_phone=SAVED))
        await chat.command("lugha")
        await chat.press("lang:sw")
        turn = await chat.press(MENU_PAY)
        assert texts(turn) == ["Tafadhali andika namba ya oda yako."]
        turn = await chat.text("ww-1042")
        assert texts(turn) == [
            "Oda WW-1042: kiasi kilichobaki ni KES 1,500. Lipa chote hapa chini, "
            "au andika kiasi kidogo zaidi."
        ]
        assert labels(turn.replies[0]) == ["Lipa KES 1,500", "Ghairi"]
        turn = await chat.text("1,0000")
        assert texts(turn) == ["Tafadhali andika kiasi kwa tarakimu, kwa mfano 1500."]
        turn = await chat.text("1000")
        assert turn.replies[0].request_contact == "Tuma namba yangu"
        assert labels(turn.replies[0]) == ["Tumia 0712 345 678", "Ghairi"]
        turn = await chat.press(PHONE_SAVED)
        assert texts(turn) == ["Lipa KES 1,000 kwa oda WW-1042 kutoka 0712 345 678?"]
        assert labels(turn.replies[0]) == ["Lipa", "Badilisha namba", "Ghairi"]
        turn = await chat.press(PAY)
        assert payments(turn) == [StartPayment("WW-1042", 1000, SAVED, order_known=True)]
        turn = await chat.press(PAY)
        assert texts(turn) == [t("sw", "already_paying")]


class TestStateHandling:
    async def test_the_given_state_is_never_changed(self, chat: Chat) -> None:
        await chat.reach(Step.CONFIRM)
        before = copy.deepcopy(chat.state)
        given = chat.state
        await handle(given, ButtonPressed(PAY), chat.ctx, SETTINGS, START)
        await handle(given, Command("lugha"), chat.ctx, SETTINGS, START)
        assert given == before

    async def test_every_turn_is_stamped_with_now(self, chat: Chat) -> None:
        chat.wait(timedelta(minutes=3))
        turn = await chat.command("start")
        assert turn.state.updated_at == START + timedelta(minutes=3)

    async def test_state_survives_a_round_trip_through_json(self, chat: Chat) -> None:
        await chat.reach(Step.CONFIRM)
        chat.state = ConversationState.from_json(chat.state.to_json(), updated_at=chat.now)
        turn = await chat.press(PAY)
        assert len(payments(turn)) == 1

    async def test_damaged_stored_data_restarts_the_order_instead_of_failing(
        self, chat: Chat
    ) -> None:
        chat.state = ConversationState(
            step=Step.CONFIRM,
            data={"order_reference": "WW-1042", "amount": "1500", "phone": 254712345678},
            updated_at=START,
        )
        turn = await chat.press(PAY)
        assert payments(turn) == []
        assert chat.state.step is Step.ORDER

    async def test_every_button_fits_telegrams_callback_data_limit(self) -> None:
        chat = Chat(FakeContext(order("WW-1042", 300_000, 0), saved_phone=SAVED))
        await chat.command("start")
        await chat.command("lugha")
        await chat.press("lang:sw")
        await chat.command("start", "pay_WW-1042")
        await chat.text("250000")
        await chat.press(PHONE_SAVED)
        await chat.press(PAY)
        buttons = [b for turn in chat.turns for reply in turn.replies for b in data(reply)]
        assert "amount:250000" in buttons  # a balance above the limit is offered in parts
        assert all(len(each.encode()) <= 64 for each in buttons)
