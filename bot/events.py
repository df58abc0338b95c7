"""Turning Telegram updates into checkout events."""

from __future__ import annotations

from telegram import Message, Update

from checkout.conversation.model import ButtonPressed, Command, ContactShared, Event, TextMessage


def event_from_update(update: Update) -> Event | None:
    """The checkout event an update carries, or None for updates the checkout ignores."""
    if update.callback_query is not None:
        return ButtonPressed(update.callback_query.data or "")
    message = update.effective_message
    if message is None or update.effective_user is None:
        return None
    if message.contact is not None:
        # A shared contact counts only if it is the sender's own number.
        own = message.contact.user_id == update.effective_user.id
        return ContactShared(phone=message.contact.phone_number, is_own=own)
    if message.text is None:
        return None
    return command_from(message) or TextMessage(message.text)


def command_from(message: Message) -> Command | None:
    """``/name@bot argument`` as a command, if the message starts with one."""
    text = message.text or ""
    if not text.startswith("/"):
        return None
    head, _, argument = text.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    if not name:
        return None
    return Command(name=name, argument=argument.strip())
