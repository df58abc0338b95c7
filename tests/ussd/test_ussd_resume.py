"""A caller cut off mid-payment who dials again soon is offered to carry on where they were.

Africa's Talking ends a session after about 180 s. Within the resume window (10 minutes by
default) of the dropped session's last change, the first screen offers "Continue paying" and
"Start over"; continuing shows the step's question with what was entered. Every test goes
through the USSD route, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

from checkout.domain.records import Channel
from tests.ussd.conftest import CALLER_KEY, MakeShop, Phone, UssdShop
from tests.ussd.test_ussd_screens import (
    AMOUNT_EN,
    CONFIRM_EN,
    MENU_EN,
    MENU_SW,
    NAV_EN,
    ORDER_EN,
    QUEUED_EN,
)

OFFER_EN = (
    "CON Welcome back. Your payment is not finished.\n"
    "1. Continue paying WW-1042 (KES 1,500)\n2. Start over"
)


async def cut_off_at_the_amount(shop: UssdShop) -> Phone:
    """A session that reached the amount screen of WW-1042, then dropped."""
    phone = shop.phone()
    assert await phone.dial() == MENU_EN
    await phone.send("1")
    assert await phone.send("WW-1042") == AMOUNT_EN
    return phone


async def walk(phone: Phone, *answers: str) -> str:
    """Dial, answer each screen in turn, and return the last screen."""
    screen = await phone.dial()
    for answer in answers:
        screen = await phone.send(answer)
    return screen


class TestWithinTheWindow:
    async def test_a_caller_cut_off_at_the_amount_continues_there_and_pays(
        self, shop: UssdShop
    ) -> None:
        await cut_off_at_the_amount(shop)
        shop.clock.advance(minutes=9)
        again = shop.phone()
        assert await again.dial() == OFFER_EN
        assert await again.send("1") == AMOUNT_EN
        assert await again.send("1") == CONFIRM_EN
        assert await again.send("1") == QUEUED_EN
        await shop.pushes.run_once()
        [push] = shop.gateway.pushes
        assert (push["amount"], push["reference"], push["phone"]) == (1500, "WW-1042", CALLER_KEY)

    async def test_the_window_counts_from_the_gateways_end_notice(self, shop: UssdShop) -> None:
        phone = await cut_off_at_the_amount(shop)
        shop.clock.advance(minutes=3)  # the gateway ends the session when its time is up
        assert await phone.end("Incomplete", error="session timed out") == 200
        shop.clock.advance(minutes=9)  # 12 minutes after the last answer, 9 after the end
        assert await shop.phone().dial() == OFFER_EN

    async def test_an_amount_typed_is_offered_and_kept(self, shop: UssdShop) -> None:
        phone = shop.phone()
        confirm_700 = CONFIRM_EN.replace("1,500", "700")
        assert await walk(phone, "1", "WW-1042", "2", "700") == confirm_700
        shop.clock.advance(minutes=2)
        again = shop.phone()
        assert await again.dial() == OFFER_EN.replace("1,500", "700")
        assert await again.send("1") == confirm_700

    async def test_another_amount_chosen_but_not_typed_asks_to_type_it(
        self, shop: UssdShop
    ) -> None:
        typing = f"CON Enter the amount in KES (up to 1,500):\n{NAV_EN}"
        assert await walk(shop.phone(), "1", "WW-1042", "2") == typing
        again = shop.phone()
        assert await again.dial() == OFFER_EN
        assert await again.send("1") == typing
        assert await again.send("800") == CONFIRM_EN.replace("1,500", "800")

    async def test_a_caller_cut_off_while_typing_another_number_is_asked_it_again(
        self, shop: UssdShop
    ) -> None:
        asked = await walk(shop.phone(), "1", "WW-1042", "1", "3")
        assert asked.startswith("CON Enter the M-Pesa number to pay from"), asked
        again = shop.phone()
        assert await again.dial() == OFFER_EN
        assert await again.send("1") == asked
        assert await again.send("0722000000") == CONFIRM_EN.replace("0712 345 678", "0722 000 000")

    async def test_an_order_the_business_did_not_list_is_offered_without_an_amount(
        self, shop: UssdShop
    ) -> None:
        asked = f"CON Order XY-99: enter the amount in KES:\n{NAV_EN}"
        assert await walk(shop.phone(), "1", "XY-99") == asked
        again = shop.phone()
        assert await again.dial() == (
            "CON Welcome back. Your payment is not finished.\n"
            "1. Continue paying XY-99\n2. Start over"
        )
        assert await again.send("1") == asked

    async def test_start_over_is_the_menu_and_forgets_the_order(self, shop: UssdShop) -> None:
        await cut_off_at_the_amount(shop)
        again = shop.phone()
        assert await again.dial() == OFFER_EN
        assert await again.send("2") == MENU_EN
        assert await again.send("1") == ORDER_EN
        # Nothing left in progress: the next session starts at the menu.
        assert await shop.phone().dial() == MENU_EN

    async def test_a_choice_that_is_not_offered_repeats_the_offer(self, shop: UssdShop) -> None:
        await cut_off_at_the_amount(shop)
        again = shop.phone()
        await again.dial()
        assert await again.send("7") == OFFER_EN.replace("CON ", "CON Invalid choice.\n")
        assert await again.send("1") == AMOUNT_EN

    async def test_the_offer_speaks_the_callers_language(self, make_shop: MakeShop) -> None:
        shop = await make_shop(language="sw")
        phone = shop.phone()
        assert await phone.dial() == MENU_SW
        await phone.send("1")
        amount_sw = await phone.send("WW-1042")
        again = shop.phone()
        assert await again.dial() == (
            "CON Karibu tena. Malipo yako hayajakamilika.\n"
            "1. Endelea kulipa WW-1042 (KES 1,500)\n2. Anza upya"
        )
        assert await again.send("1") == amount_sw

    async def test_a_repeated_first_request_gets_the_same_offer(self, shop: UssdShop) -> None:
        await cut_off_at_the_amount(shop)
        again = shop.phone()
        assert await again.dial() == OFFER_EN
        assert await again.post("") == OFFER_EN
        assert await again.send("1") == AMOUNT_EN


class TestNotOffered:
    async def test_after_the_window_the_caller_gets_the_normal_menu(self, shop: UssdShop) -> None:
        await cut_off_at_the_amount(shop)
        shop.clock.advance(minutes=10, seconds=1)
        again = shop.phone()
        assert await again.dial() == MENU_EN
        assert await again.send("1") == ORDER_EN

    async def test_a_session_that_ended_with_its_push_on_the_way(self, shop: UssdShop) -> None:
        assert await walk(shop.phone(), "1", "WW-1042", "1", "1") == QUEUED_EN
        assert await shop.phone().dial() == MENU_EN

    async def test_a_session_the_gateway_reports_finished(self, shop: UssdShop) -> None:
        phone = await cut_off_at_the_amount(shop)
        assert await phone.end("Success") == 200
        assert await shop.phone().dial() == MENU_EN

    async def test_an_order_paid_in_full_meanwhile(self, shop: UssdShop) -> None:
        assert await walk(shop.phone(), "1", "WW-1042", "1") == CONFIRM_EN
        async with shop.uow() as unit:
            await unit.orders.record_paid("WW-1042", 1500)
            await unit.commit()
        assert await shop.phone().dial() == MENU_EN

    async def test_a_caller_who_never_got_past_the_menu(self, shop: UssdShop) -> None:
        assert await walk(shop.phone(), "1") == ORDER_EN
        assert await shop.phone().dial() == MENU_EN

    async def test_another_number(self, shop: UssdShop) -> None:
        await cut_off_at_the_amount(shop)
        assert await shop.phone("+254722000000").dial() == MENU_EN

    async def test_a_window_of_zero_turns_the_offer_off(self, make_shop: MakeShop) -> None:
        shop = await make_shop(resume_window=timedelta(0))
        await cut_off_at_the_amount(shop)
        # The conversation is there to continue; only the offer is off.
        assert await shop.chat.unfinished(Channel.USSD, CALLER_KEY) is not None
        assert await shop.phone().dial() == MENU_EN


async def test_the_longest_offer_fits_one_screen_in_both_languages(make_shop: MakeShop) -> None:
    for language in ("en", "sw"):
        shop = await make_shop(language=language)
        phone = shop.phone()
        await walk(phone, "1", "ABCDEFGHIJKL")
        offer = await shop.phone().dial()  # Phone.post checks CON, GSM only, 160 characters
        assert "ABCDEFGHIJKL (KES 250,000)" in offer, offer
        await walk(shop.phone(), "00")  # start over, so the next language starts clean
