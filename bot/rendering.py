"""Turning the checkout's replies into Telegram messages."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from checkout.chat import Answer
from checkout.conversation import Reply
from checkout.push_limit_views import refusal_text

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One ``sendMessage`` call: text and an optional keyboard."""

    text: str
    markup: Markup | None = None


def present(answer: Answer) -> list[Reply]:
    """The replies to show for a conversation's answer, a push held back by a limit in words."""
    if answer.refused is None:
        return list(answer.replies)
    return [*answer.replies, Reply(refusal_text(answer.language, answer.refused))]


def render(reply: Reply) -> list[TelegramMessage]:
    """The Telegram messages showing one reply.

    A Telegram message carries one keyboard: when a reply has inline buttons *and* asks for
    the customer's contact, the contact keyboard goes on a second, short message.
    """
    inline = (
        InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(button.label, callback_data=button.data) for button in row]
                for row in reply.buttons
            ]
        )
        if reply.buttons
        else None
    )
    contact = (
        ReplyKeyboardMarkup(
            [[KeyboardButton(reply.request_contact, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        if reply.request_contact
        else None
    )
    if inline is not None and contact is not None:
        return [
            TelegramMessage(reply.text, inline),
            TelegramMessage(reply.request_contact or "", contact),
        ]
    markup: Markup | None = inline or contact
    if markup is None and reply.remove_keyboard:
        markup = ReplyKeyboardRemove()
    # With inline buttons the removal is skipped: the contact keyboard is one-time, so
    # Telegram already folds it away once it has been used.
    return [TelegramMessage(reply.text, markup)]
