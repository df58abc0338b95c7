"""Webhook updates parsed into the checkout's events, at the edge."""

from __future__ import annotations

from typing import Any

import pytest

from checkout.conversation.model import ButtonPressed, Command, ContactShared, TextMessage
from whatsapp.events import StatusUpdate, event_from_text, parse_update


def update(**value: Any) -> dict[str, Any]:
    return {"entry": [{"changes": [{"value": value, "field": "messages"}]}]}


def message(kind: str, **content: Any) -> dict[str, Any]:
    return {
        "from": "254712345678",
        "id": "wamid.1",
        "timestamp": "1764800000",
        "type": kind,
        **content,
    }


@pytest.mark.parametrize("text", ["PAY WW-1042", "pay ww-1042", "  Lipa WW-1042 ", "/pay WW-1042"])
def test_a_pay_link_message_starts_that_orders_checkout(text: str) -> None:
    assert event_from_text(text) == Command("start", f"pay_{text.split()[-1]}")


@pytest.mark.parametrize(
    ("word", "command"),
    [
        ("status", "status"),
        ("Hali", "status"),
        ("history", "history"),
        ("HELP", "help"),
        ("msaada", "help"),
        ("plans", "plans"),
        ("lugha", "language"),
        ("menu", "start"),
        ("pay", "pay"),
    ],
)
def test_typed_words_are_the_commands_of_the_same_meaning(word: str, command: str) -> None:
    assert event_from_text(word) == Command(command)


def test_other_text_is_an_answer() -> None:
    assert event_from_text("0712 345 678") == TextMessage("0712 345 678")


def test_a_button_or_list_choice_carries_the_flows_callback_data() -> None:
    button = message(
        "interactive",
        interactive={"type": "button_reply", "button_reply": {"id": "pay", "title": "Pay"}},
    )
    row = message(
        "interactive",
        interactive={"type": "list_reply", "list_reply": {"id": "lang:sw", "title": "Kiswahili"}},
    )
    parsed = parse_update(update(messages=[button, row]))
    assert [m.event for m in parsed.messages] == [ButtonPressed("pay"), ButtonPressed("lang:sw")]
    assert parsed.messages[0].wa_id == "254712345678"


def test_a_shared_contact_is_own_only_when_its_whatsapp_number_is_the_senders() -> None:
    own = message(
        "contacts", contacts=[{"phones": [{"phone": "+254 712 345 678", "wa_id": "254712345678"}]}]
    )
    other = message("contacts", contacts=[{"phones": [{"phone": "+254 722 000 111"}]}])
    parsed = parse_update(update(messages=[own, other]))
    assert [m.event for m in parsed.messages] == [
        ContactShared("254712345678", is_own=True),
        ContactShared("+254 722 000 111", is_own=False),
    ]


def test_a_photo_asks_the_current_question_again() -> None:
    [parsed] = parse_update(update(messages=[message("image", image={"id": "1"})])).messages
    assert parsed.event == TextMessage("")


def test_statuses_carry_their_error() -> None:
    status = {
        "id": "wamid.9",
        "status": "failed",
        "recipient_id": "254712345678",
        "errors": [{"code": 131026, "title": "Message Undeliverable"}],
    }
    assert parse_update(update(statuses=[status])).statuses == (
        StatusUpdate("wamid.9", "254712345678", "failed", "131026: Message Undeliverable"),
    )


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"entry": "x"},
        update(messages=[{"id": 1}]),
        update(messages=[message("text") | {"from": "+2547"}]),
    ],
)
def test_what_is_not_understood_is_skipped(body: Any) -> None:
    assert parse_update(body).messages == ()
