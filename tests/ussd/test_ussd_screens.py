"""Every USSD screen, request by request over HTTP, in English and Swahili.

Each answer is checked to start CON/END, use the GSM alphabet only and fit 160 characters
(``Phone.post`` does that for every request).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from checkout.domain.records import Channel, PaymentStatus
from lipa_testing.gateway import paid
from storage.models import PushRequestRow
from tests.ussd.conftest import CALLER_KEY, MakeShop, UssdShop

# "4. My open orders" is the chat's /orders (issue 21); "5. My plans" comes with a plan.
MENU_EN = (
    "CON Wildwash - pay with M-Pesa\n1. Pay an order\n2. My last payment\n3. Language / Lugha"
    "\n4. My open orders"
)
MENU_SW = (
    "CON Wildwash - lipa kwa M-Pesa\n1. Lipia oda\n2. Malipo yangu ya mwisho\n3. Lugha / Language"
    "\n4. Oda zangu zilizo wazi"
)
NAV_EN = "0. Back 00. Home"
NAV_SW = "0. Rudi 00. Mwanzo"
ORDER_EN = f"CON Enter the order number:\n{NAV_EN}"
AMOUNT_EN = f"CON Order WW-1042: KES 1,500 to pay.\n1. Pay KES 1,500\n2. Another amount\n{NAV_EN}"
CONFIRM_EN = (
    "CON Pay KES 1,500 for WW-1042 from 0712 345 678?\n"
    f"1. Pay\n2. Cancel\n3. Pay from another number\n{NAV_EN}"
)
QUEUED_EN = "END You will get an M-Pesa prompt. Enter your PIN to pay."


async def pushes_queued(shop: UssdShop) -> int:
    async with shop.uow() as unit:
        rows = await unit.session.scalars(select(PushRequestRow))
        return len(list(rows))


class TestPayingAnOrder:
    async def test_from_the_menu_to_the_prompt_in_english(self, shop: UssdShop) -> None:
        phone = shop.phone()
        assert await phone.dial() == MENU_EN
        assert await phone.send("1") == ORDER_EN
        assert await phone.send("ww-1042") == AMOUNT_EN
        assert await phone.send("1") == CONFIRM_EN
        assert await phone.send("1") == QUEUED_EN
        # The answer came before any push: it is queued for after the session.
        assert shop.gateway.pushes == []
        assert await pushes_queued(shop) == 1
        await shop.pushes.run_once()
        assert shop.gateway.pushes == [
            {
                "phone": CALLER_KEY,
                "amount": 1500,
                "reference": "WW-1042",
                "description": "Order payment",
            }
        ]

    async def test_from_the_menu_to_the_prompt_in_swahili(self, make_shop: MakeShop) -> None:
        shop = await make_shop(language="sw")
        phone = shop.phone()
        assert await phone.dial() == MENU_SW
        assert await phone.send("1") == f"CON Weka namba ya oda:\n{NAV_SW}"
        assert await phone.send("WW-1042") == (
            f"CON Oda WW-1042: KES 1,500 ya kulipa.\n1. Lipa KES 1,500\n2. Kiasi kingine\n{NAV_SW}"
        )
        assert await phone.send("1") == (
            "CON Lipa KES 1,500 kwa WW-1042 kutoka 0712 345 678?\n"
            f"1. Lipa\n2. Ghairi\n3. Lipa kwa namba nyingine\n{NAV_SW}"
        )
        assert await phone.send("1") == "END Utapokea ombi la M-Pesa. Weka PIN yako ili kulipa."
        async with shop.uow() as unit:
            payment = await unit.payments.latest_for_chat(Channel.USSD, CALLER_KEY)
        assert payment is not None
        assert payment.language == "sw"

    async def test_another_amount_is_typed_on_a_screen_of_its_own(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.send("2") == f"CON Enter the amount in KES (up to 1,500):\n{NAV_EN}"
        assert await phone.send("500") == CONFIRM_EN.replace("1,500", "500")

    @pytest.mark.parametrize(
        ("typed", "reason"),
        [
            ("abc", "Use digits only, e.g. 1500."),
            ("12.50", "Whole shillings only, e.g. 1500."),
            ("0", None),  # "0" is back, not an amount
            ("2000", "Only KES 1,500 is left to pay."),
        ],
    )
    async def test_a_refused_amount_repeats_the_question_with_the_reason(
        self, shop: UssdShop, typed: str, reason: str | None
    ) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "2"):
            await (phone.send(answer) if answer else phone.dial())
        answer = await phone.send(typed)
        if reason is None:
            assert answer == AMOUNT_EN
        else:
            assert answer == (f"CON {reason}\nEnter the amount in KES (up to 1,500):\n{NAV_EN}")

    async def test_a_balance_above_the_mpesa_limit_is_offered_in_full_up_to_it(
        self, shop: UssdShop
    ) -> None:
        phone = shop.phone()
        await phone.dial()
        await phone.send("1")
        answer = await phone.send("ABCDEFGHIJKL")
        assert answer == (
            "CON Order ABCDEFGHIJKL: KES 250,000 to pay.\n1. Pay KES 250,000\n"
            f"2. Another amount\n{NAV_EN}"
        )

    async def test_an_unknown_order_asks_for_the_amount_when_allowed(self, shop: UssdShop) -> None:
        phone = shop.phone()
        await phone.dial()
        await phone.send("1")
        assert await phone.send("table5") == (
            f"CON Order TABLE5: enter the amount in KES:\n{NAV_EN}"
        )
        assert await phone.send("700") == (
            "CON Pay KES 700 for TABLE5 from 0712 345 678?\n"
            f"1. Pay\n2. Cancel\n3. Pay from another number\n{NAV_EN}"
        )

    async def test_an_unknown_order_is_refused_when_not_allowed(self, make_shop: MakeShop) -> None:
        shop = await make_shop(accept_unknown_orders=False)
        phone = shop.phone()
        await phone.dial()
        await phone.send("1")
        assert await phone.send("WW-9999") == (
            f"CON Order WW-9999 not found. Check the number and enter it again:\n{NAV_EN}"
        )

    async def test_an_invalid_order_number_is_asked_again(self, shop: UssdShop) -> None:
        phone = shop.phone()
        await phone.dial()
        await phone.send("1")
        assert await phone.send("WW 1042!") == (
            f"CON Invalid order number. Enter it again, e.g. AB-1042:\n{NAV_EN}"
        )

    async def test_a_paid_order_is_said_to_be_paid_and_the_menu_follows(
        self, shop: UssdShop
    ) -> None:
        phone = shop.phone()
        await phone.dial()
        await phone.send("1")
        answer = await phone.send("WW-7")
        assert answer == MENU_EN.replace(
            "CON ", "CON Order WW-7 is already fully paid. Thank you!\n"
        )

    async def test_cancel_at_the_confirmation_pays_nothing(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1"):
            await (phone.send(answer) if answer else phone.dial())
        answer = await phone.send("2")
        assert answer == MENU_EN.replace("CON ", "CON Cancelled. No payment was made.\n")
        assert await pushes_queued(shop) == 0


class TestPayingFromAnotherNumber:
    async def test_another_number_is_asked_and_confirmed(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.send("3") == (
            f"CON Enter the M-Pesa number to pay from, e.g. 0712345678:\n{NAV_EN}"
        )
        assert await phone.send("0722 000 000") == CONFIRM_EN.replace(
            "0712 345 678", "0722 000 000"
        )
        await phone.send("1")
        await shop.pushes.run_once()
        assert shop.gateway.pushes[0]["phone"] == "254722000000"

    async def test_the_callers_own_number_stays_the_default(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "3", "0722000000", "2"):
            await (phone.send(answer) if answer else phone.dial())
        again = shop.phone()
        for answer in ("", "1", "WW-1042"):
            await (again.send(answer) if answer else again.dial())
        assert await again.send("1") == CONFIRM_EN

    @pytest.mark.parametrize(
        ("typed", "reason"),
        [
            ("0722", "Not a valid Kenyan mobile number."),
            ("020 2222222", "That is a landline; M-Pesa needs a mobile number."),
            ("+255 712 345 678", "Only Kenyan M-Pesa numbers can pay."),
        ],
    )
    async def test_a_refused_number_is_asked_again_with_the_reason(
        self, shop: UssdShop, typed: str, reason: str
    ) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "3"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.send(typed) == (
            f"CON {reason}\nEnter the M-Pesa number to pay from, e.g. 0712345678:\n{NAV_EN}"
        )

    async def test_back_from_the_number_returns_to_the_own_number(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "3"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.send("0") == CONFIRM_EN


class TestBackAndHome:
    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            (("1",), MENU_EN),
            (("1", "WW-1042"), ORDER_EN),
            (("1", "WW-1042", "2"), AMOUNT_EN),
            (("1", "WW-1042", "1"), AMOUNT_EN),
            (("3",), MENU_EN),
        ],
        ids=["order→menu", "amount→order", "typed amount→amount", "confirm→amount", "language"],
    )
    async def test_zero_goes_back_one_question(
        self, shop: UssdShop, path: tuple[str, ...], expected: str
    ) -> None:
        phone = shop.phone()
        await phone.dial()
        for answer in path:
            await phone.send(answer)
        assert await phone.send("0") == expected

    @pytest.mark.parametrize("path", [("1",), ("1", "WW-1042"), ("1", "WW-1042", "1"), ("3",)])
    async def test_double_zero_goes_home_from_anywhere(
        self, shop: UssdShop, path: tuple[str, ...]
    ) -> None:
        phone = shop.phone()
        await phone.dial()
        for answer in path:
            await phone.send(answer)
        assert await phone.send("00") == MENU_EN
        assert await pushes_queued(shop) == 0

    async def test_the_order_can_be_paid_after_going_back_and_home(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "0", "0", "00", "1", "WW-1042", "1"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.send("1") == QUEUED_EN


class TestBadInput:
    @pytest.mark.parametrize("typed", ["7", "x", "98", "1 2"])
    async def test_a_bad_choice_on_the_menu_repeats_it_with_the_reason(
        self, shop: UssdShop, typed: str
    ) -> None:
        phone = shop.phone()
        await phone.dial()
        assert await phone.send(typed) == MENU_EN.replace("CON ", "CON Invalid choice.\n")

    async def test_a_number_typed_where_only_choices_count_is_not_an_amount(
        self, shop: UssdShop
    ) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.send("500") == AMOUNT_EN.replace("CON ", "CON Invalid choice.\n")

    async def test_an_empty_answer_is_a_bad_choice(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.send("") == CONFIRM_EN.replace("CON ", "CON Invalid choice.\n")

    async def test_repeated_bad_choices_show_the_reason_once(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "9"):
            await (phone.send(answer) if answer else phone.dial())
        assert await phone.send("x") == CONFIRM_EN.replace("CON ", "CON Invalid choice.\n")
        assert await phone.send("1") == QUEUED_EN

    async def test_a_bad_choice_in_swahili_says_so_in_swahili(self, make_shop: MakeShop) -> None:
        shop = await make_shop(language="sw")
        phone = shop.phone()
        await phone.dial()
        assert await phone.send("5") == MENU_SW.replace("CON ", "CON Chaguo si sahihi.\n")


class TestLanguage:
    async def test_choosing_swahili_switches_the_menu_and_is_remembered(
        self, shop: UssdShop
    ) -> None:
        phone = shop.phone()
        await phone.dial()
        assert await phone.send("3") == (
            f"CON Choose your language / Chagua lugha:\n1. English\n2. Kiswahili\n{NAV_EN}"
        )
        assert await phone.send("2") == MENU_SW.replace(
            "CON ", "CON Sawa, tutaendelea kwa Kiswahili.\n"
        )
        assert await shop.phone().dial() == MENU_SW

    async def test_choosing_english_from_swahili(self, make_shop: MakeShop) -> None:
        shop = await make_shop(language="sw")
        phone = shop.phone()
        await phone.dial()
        assert await phone.send("3") == (
            f"CON Chagua lugha / Choose your language:\n1. English\n2. Kiswahili\n{NAV_SW}"
        )
        assert await phone.send("1") == MENU_EN.replace("CON ", "CON Language set to English.\n")


class TestMyLastPayment:
    async def test_with_no_payment_yet(self, shop: UssdShop) -> None:
        phone = shop.phone()
        await phone.dial()
        assert await phone.send("2") == "END You have no payments yet."

    async def test_a_pending_payment_is_told_without_asking_daraja(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "1"):
            await (phone.send(answer) if answer else phone.dial())
        await shop.pushes.run_once()
        again = shop.phone()
        await again.dial()
        # Paid to the paybill meanwhile? "I already paid" takes the code on the next screen.
        assert await again.send("2") == (
            "CON Your last payment, KES 1,500 for order WW-1042, is still waiting for M-Pesa.\n"
            "1. I already paid"
        )
        assert shop.gateway.queries == []

    async def test_a_paid_payment_shows_its_receipt_in_swahili(self, make_shop: MakeShop) -> None:
        shop = await make_shop(language="sw")
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "1", "1"):
            await (phone.send(answer) if answer else phone.dial())
        await shop.pushes.run_once()
        await shop.settlement.settle(paid("ws_CO_1", 1500), source="callback")
        again = shop.phone()
        await again.dial()
        assert await again.send("2") == (
            "END Malipo yako ya mwisho, KES 1,500 kwa oda WW-1042, yamepokelewa. "
            "Risiti ya M-Pesa NLJ7RT61SV."
        )
        async with shop.uow() as unit:
            payment = await unit.payments.latest_for_chat(Channel.USSD, CALLER_KEY)
        assert payment is not None
        assert payment.status is PaymentStatus.PAID
