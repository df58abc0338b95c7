"""Every USSD screen fits one GSM-7 screen, for any replies and for any input sequence."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.channels.gsm import SCREEN_LENGTH, gsm7_length, is_gsm7
from checkout.channels.ussd.screens import Screen, build_screen
from checkout.conversation.model import Button, Reply, Step
from checkout.domain.records import Language
from tests.ussd.conftest import MakeShop

# Texts as the flow and customers make them: GSM letters, extension characters that count
# twice, typographic and emoji characters that are replaced, newlines and very long words.
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("abcXYZ019 .,:-'\n[]{}€~|^\\’“”…😀ñçé\u00a0"),
        st.characters(codec="utf-8"),
    ),
    max_size=400,
)
LABEL = st.text(max_size=40)
REPLIES = st.lists(
    st.builds(
        Reply,
        TEXT,
        buttons=st.lists(
            st.lists(st.builds(Button, LABEL, st.text(max_size=8)), min_size=1, max_size=3),
            max_size=4,
        ).map(lambda rows: tuple(tuple(row) for row in rows)),
    ),
    min_size=1,
    max_size=4,
)


def assert_fits(page: str) -> None:
    assert page.startswith(("CON ", "END ")), page
    assert is_gsm7(page), page
    assert gsm7_length(page) <= SCREEN_LENGTH, (gsm7_length(page), page)


@given(REPLIES, st.sampled_from(list(Step)), st.sampled_from(["en", "sw"]), LABEL)
@settings(max_examples=300, deadline=None)
def test_every_page_of_any_screen_fits_one_gsm_screen(
    replies: list[Reply], step: Step, language: Language, notice: str
) -> None:
    screen = build_screen(replies, step=step, language=language)
    for candidate in (screen, screen.with_notice(notice)):
        pages = candidate.pages()
        assert pages
        for page in pages:
            assert_fits(page)
        # Only the last page may end the session.
        assert all(page.startswith("CON ") for page in pages[:-1])
        assert Screen.from_json(candidate.to_json()) == candidate


# What a caller may press or type: choices, navigation, answers to each question, mistakes.
INPUT = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "5", "0", "00", "98", "99", "x", ""]),
    st.sampled_from(["WW-1042", "WW-7", "ABCDEFGHIJKL", "NEW-1", "1500", "1,000", "0722000000"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="*"), max_size=30),
)


# The screens are the same on every database: walk them on SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["en", "sw"])
async def test_every_answer_to_any_input_sequence_fits_one_gsm_screen(
    make_shop: MakeShop, language: Language
) -> None:
    shop = await make_shop(language=language)
    loop = asyncio.get_running_loop()

    @given(st.lists(INPUT, max_size=12))
    @settings(max_examples=60, deadline=None, database=None)
    def any_sequence(inputs: list[str]) -> None:
        phone = shop.phone()
        # Each prefix is a request of its own, as the gateway sends them; Phone.post checks
        # that every answer is CON/END, GSM-7 only and at most 160 characters.
        texts = ["", *("*".join(inputs[: index + 1]) for index in range(len(inputs)))]
        for text in texts:
            answer = asyncio.run_coroutine_threadsafe(phone.post(text), loop).result(30)
            assert_fits(answer)
            if answer.startswith("END "):
                break

    # Hypothesis drives the examples from a thread; the server answers on this loop.
    await asyncio.to_thread(any_sequence)
