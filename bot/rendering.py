"""Turning the checkout's replies into Telegram messages: one message per reply."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import MessageLimit

from checkout.conversation.replying import Answer
from checkout.domain.replies import Reply
from checkout.i18n.payments.refusals import refusal_text

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

# Between two replies shown as one message.
_JOIN = "\n\n"


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


def render(reply: Reply) -> TelegramMessage:
    """The one Telegram message showing a reply.

    A Telegram message carries one keyboard. A reply asking for the customer's contact gets a
    reply keyboard: the "share my number" button first, then its other buttons as keyboard
    buttons, which send their label as text (the flow takes those labels at that step). Two
    messages back to back would be held a second apart by Telegram's per-chat limit.
    """
    if reply.request_contact:
        rows = [[KeyboardButton(reply.request_contact, request_contact=True)]]
        rows += [[KeyboardButton(button.label) for button in row] for row in reply.buttons]
        keyboard = ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
        return TelegramMessage(reply.text, keyboard)
    if reply.buttons:
        inline = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(button.label, url=button.url)
                    if button.url
                    else InlineKeyboardButton(button.label, callback_data=button.data)
                    for button in row
                ]
                for row in reply.buttons
            ]
        )
        # The removal is skipped: the contact keyboard is one-time, so Telegram already
        # folds it away once it has been used.
        return TelegramMessage(reply.text, inline)
    return TelegramMessage(reply.text, ReplyKeyboardRemove() if reply.remove_keyboard else None)


def combine(replies: Iterable[Reply]) -> list[Reply]:
    """The replies of one turn as few messages as they fit: a plain reply joins the next.

    A reply without buttons or keyboard ("Cancelled.", the help text) is shown in the same
    message as the reply after it, unless together they are too long for one message. The
    customer reads the same words in the same order, without waiting a second between them.
    """
    combined: list[Reply] = []
    for reply in replies:
        previous = combined[-1] if combined else None
        if previous is not None and _plain(previous):
            text = previous.text + _JOIN + reply.text
            if len(text) <= MessageLimit.MAX_TEXT_LENGTH:
                combined[-1] = replace(reply, text=text)
                continue
        combined.append(reply)
    return combined


def _plain(reply: Reply) -> bool:
    return not (reply.buttons or reply.request_contact or reply.remove_keyboard)
