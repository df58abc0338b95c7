"""The checkout's replies as WhatsApp messages: every one within WhatsApp's limits."""

from __future__ import annotations

from typing import Any

import pytest

from checkout.conversation.model import Button, Reply
from checkout.domain.records import LANGUAGES
from checkout.i18n.buttons import menu_buttons
from checkout.i18n.texts import TEXTS
from lipa_testing.whatsapp_api import DEFAULT_TEMPLATES, limit_violations
from whatsapp.rendering import message_text, render, split_text, template_message


def checked(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages, each asserted to be a send WhatsApp accepts."""
    for message in messages:
        body = {"messaging_product": "whatsapp", "to": "254712345678", **message}
        assert limit_violations(body, DEFAULT_TEMPLATES) == [], message
    return messages


def buttons(*labels: str) -> tuple[tuple[Button, ...], ...]:
    return tuple((Button(label, f"data:{index}"),) for index, label in enumerate(labels))


def test_up_to_three_short_choices_become_reply_buttons_carrying_the_callback_data() -> None:
    [message] = checked(
        render(Reply("Pay?", buttons=buttons("Pay", "Change number", "Cancel")), "en")
    )
    interactive = message["interactive"]
    assert interactive["type"] == "button"
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == [
        "data:0",
        "data:1",
        "data:2",
    ]


def test_four_to_ten_choices_become_one_list_labelled_in_the_customers_language() -> None:
    [message] = checked(render(Reply("Choose", buttons=buttons(*"ABCDEFGHIJ")), "sw"))
    assert message["interactive"]["type"] == "list"
    assert message["interactive"]["action"]["button"] == "Chagua"
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert [row["title"] for row in rows] == list("ABCDEFGHIJ")


def test_more_than_ten_choices_are_split_over_lists_of_ten() -> None:
    messages = checked(
        render(Reply("Choose", buttons=buttons(*[f"Option {i}" for i in range(13)])), "en")
    )
    assert [len(m["interactive"]["action"]["sections"][0]["rows"]) for m in messages] == [10, 3]


def test_a_label_too_long_for_a_button_goes_in_a_list_and_whole_in_the_description() -> None:
    label = "Pay KES 1,500 now in three installments of KES 500"
    [message] = checked(render(Reply("Plan", buttons=buttons("Yes", label)), "en"))
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0] == {"id": "data:0", "title": "Yes"}
    assert rows[1]["title"].endswith("…")
    assert len(rows[1]["title"]) == 24
    assert rows[1]["description"] == label


def test_a_body_too_long_for_an_interactive_message_goes_first_as_text() -> None:
    text = "\n".join(f"Line {i}: " + "x" * 60 for i in range(40))
    messages = checked(render(Reply(text, buttons=buttons("OK")), "en"))
    assert messages[-1]["type"] == "interactive"
    assert all(m["type"] == "text" for m in messages[:-1])
    assert "\n".join(message_text(m) for m in messages) == text


def test_a_text_longer_than_one_message_is_split_at_line_breaks_without_losing_words() -> None:
    text = "\n".join("word " * 30 for _ in range(60))
    messages = checked(render(Reply(text), "en"))
    assert len(messages) > 1
    assert "\n".join(message_text(m) for m in messages) == text.strip()


def test_one_line_longer_than_a_part_is_split_at_spaces() -> None:
    parts = split_text("abc " * 50, 40)
    assert all(len(part) <= 40 for part in parts)
    assert " ".join(parts).split() == ("abc " * 50).split()


def test_the_contact_keyboard_has_no_whatsapp_form_and_is_left_out() -> None:
    [message] = checked(render(Reply("Which number?", request_contact="Share my number"), "en"))
    assert message == {"type": "text", "text": {"body": "Which number?", "preview_url": False}}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_of_the_checkout_with_the_menu_renders_within_the_limits(
    language: str,
) -> None:
    for key, text in TEXTS[language].items():  # type: ignore[index]
        shown = text.replace("{", "(").replace("}", ")")
        checked(render(Reply(shown, buttons=menu_buttons(language)), language))  # type: ignore[arg-type]
        checked(render(Reply(shown), language))  # type: ignore[arg-type]
        assert key


def test_a_template_parameter_carries_the_text_on_one_line() -> None:
    message = template_message("payment_result", "sw", "Imelipwa: KES 1,500.\n\nRisiti   ABC")
    checked([message])
    assert message_text(message) == "Imelipwa: KES 1,500. · Risiti ABC"
