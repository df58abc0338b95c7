"""What the customer is shown: a message with its buttons, and its JSON form in the outbox.

A :class:`Reply` is the finished words of a presenter (the flow, or a presenter in
:mod:`checkout.i18n`); services and the outbox carry it without reading it. It lives in the
domain so that every layer above may build or store one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# --- replies -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: a label for the customer and data for the flow.

    A button with a ``url`` opens that address instead (Telegram's URL button, e.g. a
    receipt's PDF); only channels that can show one are given one.
    """

    label: str
    data: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show the customer.

    ``buttons`` are rows of inline buttons. ``request_contact`` is the label of a
    "share my number" keyboard button (Telegram only; other channels ignore it and rely on
    typed numbers). Telegram shows a reply as one message, so a reply with ``request_contact``
    has its ``buttons`` on that keyboard too, and a press arrives as the button's label typed:
    the step asking for the contact takes its buttons' labels as presses. ``remove_keyboard``
    removes such a keyboard once it is no longer needed.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    request_contact: str | None = None
    remove_keyboard: bool = False


# --- replies as outbox payloads -------------------------------------------------------------


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """A JSON-safe dict of a reply, as stored in the outbox."""
    payload: dict[str, Any] = {"text": reply.text}
    if reply.buttons:
        payload["buttons"] = [[_button_payload(button) for button in row] for row in reply.buttons]
    if reply.request_contact:
        payload["request_contact"] = reply.request_contact
    if reply.remove_keyboard:
        payload["remove_keyboard"] = True
    return payload


def reply_from_payload(payload: dict[str, Any]) -> Reply:
    """The reply stored by :func:`reply_to_payload`."""
    rows = payload.get("buttons") or []
    return Reply(
        text=str(payload.get("text", "")),
        buttons=tuple(
            tuple(
                Button(str(button["label"]), str(button["data"]), str(button.get("url", "")))
                for button in row
            )
            for row in rows
        ),
        request_contact=payload.get("request_contact"),
        remove_keyboard=bool(payload.get("remove_keyboard", False)),
    )


def _button_payload(button: Button) -> dict[str, str]:
    payload = {"label": button.label, "data": button.data}
    if button.url:
        payload["url"] = button.url
    return payload
