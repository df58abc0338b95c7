"""Turning the checkout's replies into WhatsApp messages, within WhatsApp's limits.

Up to three buttons whose labels fit become reply buttons; more (up to ten a message), or a
label too long for a button, become a list message. The flow's callback data travels as the
button's or row's id. A body too long for an interactive message goes first as text; a text
too long for one message is split at line breaks. "Share my number" (Telegram's contact
keyboard) has no WhatsApp equivalent: the saved number's button ("Use 0712 345 678") and a
shared contact card do that job.
"""

from __future__ import annotations

from typing import Any

from checkout.conversation.model import Button, Reply
from checkout.domain.records import Language
from checkout.i18n.buttons import list_button_label
from whatsapp.limits import (
    BUTTON_TITLE,
    INTERACTIVE_BODY,
    LIST_BUTTON,
    MAX_LIST_ROWS,
    MAX_REPLY_BUTTONS,
    ROW_DESCRIPTION,
    ROW_TITLE,
    TEMPLATE_PARAMETER,
    TEXT_BODY,
)

Message = dict[str, Any]  # the body of one send, without ``messaging_product`` and ``to``

ELLIPSIS = "…"


def render(reply: Reply, language: Language) -> list[Message]:
    """The WhatsApp messages showing one reply, in order."""
    buttons = [button for row in reply.buttons for button in row]
    text = reply.text.strip()
    if not buttons:
        return [text_message(part) for part in split_text(text, TEXT_BODY)] if text else []
    parts = split_text(text, INTERACTIVE_BODY) or [ELLIPSIS]
    leading = [text_message(part) for part in parts[:-1]]
    body = parts[-1]
    fits_buttons = len(buttons) <= MAX_REPLY_BUTTONS and all(
        len(button.label) <= BUTTON_TITLE for button in buttons
    )
    if fits_buttons:
        return [*leading, _reply_buttons(body, buttons)]
    label = _shorten(list_button_label(language), LIST_BUTTON)
    lists = [
        _list(body if index == 0 else ELLIPSIS, label, buttons[start : start + MAX_LIST_ROWS])
        for index, start in enumerate(range(0, len(buttons), MAX_LIST_ROWS))
    ]
    return [*leading, *lists]


def text_message(text: str) -> Message:
    """A plain text message (at most 4,096 characters)."""
    return {"type": "text", "text": {"body": text, "preview_url": False}}


def template_message(name: str, language_code: str, text: str) -> Message:
    """An approved template with one body parameter carrying ``text``.

    A template parameter may hold no line breaks, tabs or more than four spaces in a row:
    the lines are joined with " · " and the whole kept within the parameter's limit.
    """
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    parameter = _shorten(" · ".join(lines) or ELLIPSIS, TEMPLATE_PARAMETER)
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language_code},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": parameter}]},
            ],
        },
    }


def message_text(message: Message) -> str:
    """The words a message shows (its text, interactive body, or template parameter)."""
    kind = message.get("type")
    if kind == "text":
        return str(message["text"]["body"])
    if kind == "interactive":
        return str(message["interactive"]["body"]["text"])
    if kind == "template":
        components = message["template"].get("components") or []
        return " ".join(
            str(parameter.get("text", ""))
            for component in components
            for parameter in component.get("parameters", [])
        )
    return ""


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, split at line breaks where possible."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > limit:  # one line longer than a part: split it at a space, or hard
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        joined = f"{current}\n{line}" if current else line
        if len(joined) <= limit:
            current = joined
        else:
            parts.append(current)
            current = line
    if current.strip():
        parts.append(current)
    return [part for part in parts if part.strip()]


def _reply_buttons(body: str, buttons: list[Button]) -> Message:
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": button.data, "title": button.label}}
                    for button in buttons
                ]
            },
        },
    }


def _list(body: str, label: str, buttons: list[Button]) -> Message:
    rows: list[dict[str, str]] = []
    for button in buttons:
        row = {"id": button.data, "title": _shorten(button.label, ROW_TITLE)}
        if len(button.label) > ROW_TITLE:
            # The title had to be shortened: the description shows the whole label.
            row["description"] = _shorten(button.label, ROW_DESCRIPTION)
        rows.append(row)
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {"button": label, "sections": [{"title": label, "rows": rows}]},
        },
    }


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS
