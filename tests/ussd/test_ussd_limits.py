"""Every screen a customer can reach fits a basic phone; longer ones are paginated."""

from __future__ import annotations

import pytest

from checkout.channels.gsm import gsm7_length
from checkout.channels.ussd.screens import Screen, ScreenChoice, build_screen
from checkout.conversation.model import Button, Reply, Step
from checkout.domain.records import Channel, Language
from tests.ussd.conftest import CALLER_KEY, MakeShop, UssdShop

# What a customer may type where typing is asked: good answers, and each kind of mistake.
TYPED = {
    Step.ORDER: ("WW-1042", "ABCDEFGHIJKL", "WW-7", "NEW-ORDER-12", "bad order!"),
    Step.AMOUNT: ("249,999", "abc", "12.50", "999999"),
    Step.PHONE: ("0722000000", "0722", "0202222222", "+255712345678"),
}
MAX_DEPTH = 7
NOTICES = ("Invalid choice.", "Chaguo si sahihi.")


async def crawl(shop: UssdShop) -> dict[str, str]:
    """Every screen reachable within MAX_DEPTH inputs: screen text → the inputs reaching it.

    Each screen is reached by a new session whose text holds the whole path (the session is
    rebuilt by replaying it); then every choice, "0", "00", a bad choice, "98" where there is
    a next page, and the typed answers that fit the question are tried on it.
    """
    seen: dict[str, str] = {}
    frontier = [""]
    for _depth in range(MAX_DEPTH):
        following: list[str] = []
        for path in frontier:
            answer = await shop.phone().post(path)
            if answer in seen:
                continue
            seen[answer] = path
            lines = answer[len("CON ") :].split("\n")
            if answer.startswith("END ") or lines[0] in NOTICES:
                continue  # a bad choice's screen leads where the screen without it does
            async with shop.uow() as unit:
                stored = await unit.conversations.load(Channel.USSD, CALLER_KEY)
            assert stored is not None
            inputs = ["0", "00", *TYPED.get(stored.state.step, ())]
            if stored.state.step not in TYPED:
                numbered = [line.split(".")[0] for line in lines if line[:1].isdigit()]
                inputs += [number for number in numbered if number not in ("0", "00")]
                inputs.append("x")
            following += [f"{path}*{typed}" if path else typed for typed in inputs]
        frontier = following
    return seen


# The screens are the same on every database: walk them on SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["en", "sw"])
async def test_every_reachable_screen_fits_one_gsm_screen(
    make_shop: MakeShop, language: Language
) -> None:
    shop = await make_shop(business="Wildwash Laundry", language=language)
    seen = await crawl(shop)  # Phone.post checks CON/END, GSM only and 160 characters
    endings = [screen for screen in seen if screen.startswith("END ")]
    # The walk reached the payment's end, refusals, the status report and each question.
    assert len(seen) >= 30, sorted(seen)
    assert any("M-Pesa" in screen and "PIN" in screen for screen in endings), endings
    assert any("250,000" in screen for screen in seen)
    assert any("0722 000 000" in screen for screen in seen)  # another number was confirmed


class TestPagination:
    async def test_a_screen_too_long_for_one_page_continues_with_98(
        self, make_shop: MakeShop
    ) -> None:
        business = (
            "The Wildwash Laundry and Dry Cleaning Company of Westlands, Kilimani, Lavington, "
            "Kileleshwa and Parklands"
        )
        shop = await make_shop(business=business)
        phone = shop.phone()
        first = await phone.dial()
        assert first.startswith("CON The Wildwash Laundry")
        assert first.endswith("\n98. More")
        second = await phone.send("98")
        assert second.startswith("CON ")
        assert "3. Language / Lugha" in second
        full = first + second
        # Choices keep their numbers across pages, each shown once.
        for line in ("1. Pay an order", "2. My last payment", "3. Language / Lugha"):
            assert full.count(line) == 1
        assert await phone.send("0") == first  # back a page
        await phone.send("98")
        assert await phone.send("1") == "CON Enter the order number:\n0. Back 00. Home"

    async def test_98_is_an_amount_where_there_is_no_next_page(self, shop: UssdShop) -> None:
        phone = shop.phone()
        for answer in ("", "1", "WW-1042", "2"):
            await (phone.send(answer) if answer else phone.dial())
        assert (await phone.send("98")).startswith("CON Pay KES 98 for WW-1042")


class TestScreens:
    def test_a_long_ending_is_paged_and_only_its_last_page_ends(self) -> None:
        screen = Screen(body=" ".join(["word"] * 80), ends=True)
        pages = screen.pages()
        assert len(pages) > 1
        assert all(page.startswith("CON ") and page.endswith("98. More") for page in pages[:-1])
        assert pages[-1].startswith("END ")
        assert all(gsm7_length(page) <= 160 for page in pages)
        text = " ".join(page[4:].removesuffix("\n98. More") for page in pages)
        assert text.split() == ["word"] * 80

    def test_a_word_longer_than_a_screen_is_cut(self) -> None:
        screen = Screen(body="x" * 400, navigable=True)
        pages = screen.pages()
        assert "".join(page[4:].split("\n")[0] for page in pages) == "x" * 400
        assert all(gsm7_length(page) <= 160 for page in pages)
        assert all(page.endswith("0. Back 00. Home") for page in pages)

    def test_extension_characters_count_twice(self) -> None:
        body = "[" * 78
        assert len(Screen(body=body).pages()) == 1  # 4 + 156 places
        assert len(Screen(body=body + "[").pages()) == 2

    def test_a_screen_survives_storage(self) -> None:
        screen = Screen(
            body="Pay?",
            choices=(ScreenChoice("Pay", "pay"), ScreenChoice("Cancel", "cancel")),
            navigable=True,
            language="sw",
        ).with_notice("Chaguo si sahihi.")
        assert Screen.from_json(screen.to_json()) == screen
        assert screen.choice("2") == "cancel"
        assert screen.choice("3") is None
        assert screen.choice("02") is None

    def test_replies_become_one_screen_with_the_last_buttons(self) -> None:
        replies = [
            Reply("Language set to English."),
            Reply("Menu", buttons=((Button("Pay \u2019n go \U0001f600", "menu:pay"),),)),
        ]
        screen = build_screen(replies, step=Step.IDLE, language="en")
        assert screen.pages() == ["CON Language set to English.\nMenu\n1. Pay 'n go ?"]

    def test_a_payment_on_its_way_ends_the_session(self) -> None:
        screen = build_screen(
            [Reply("You will get an M-Pesa prompt.", buttons=((Button("x", "y"),),))],
            step=Step.PAYING,
            language="en",
        )
        assert screen.pages() == ["END You will get an M-Pesa prompt."]
