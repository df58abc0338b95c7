"""What a staff command answers, in shapes the channel adapter renders, and what it was asked.

The Telegram adapter sends a text, a QR code of a link, a bar chart, a document, or messages
with buttons; the commands (:mod:`checkout.staff.commands` and the desks beside it) only build
these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True, slots=True)
class TextAnswer:
    """A text message (the adapter splits it if it is too long for one)."""

    text: str


@dataclass(frozen=True, slots=True)
class QrAnswer:
    """A QR code of ``link`` as a photo, with ``caption``.

    With a ``title``, the photo is a card to print: the code with ``title`` and ``lines``
    (the order, the amount, the link) drawn under it.
    """

    caption: str
    link: str
    title: str = ""
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChartAnswer:
    """A bar chart: one bar per label, titled, with ``caption``."""

    caption: str
    title: str
    labels: tuple[str, ...]
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DocumentAnswer:
    """A file to send as a document, with ``caption``.

    ``data`` is the bytes or an open file at its start (a large export on disk), which the
    adapter streams and then closes."""

    caption: str
    filename: str
    data: bytes | IO[bytes]
    mime_type: str


@dataclass(frozen=True, slots=True)
class ButtonMessage:
    """A message with inline buttons; each button is a label and the command it types."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ButtonsAnswer:
    """Several messages, each with its own buttons (one per queued transaction)."""

    messages: tuple[ButtonMessage, ...]


StaffAnswer = TextAnswer | QrAnswer | ChartAnswer | DocumentAnswer | ButtonsAnswer


@dataclass(frozen=True, slots=True)
class StaffRequest:
    """One staff command: its name and argument, the bot's username for links, and who typed it.

    ``user_id`` (the staff user's Telegram id) picks the language of the answer; None answers
    in the default language.
    """

    name: str
    argument: str
    bot_username: str
    user_id: int | None = None
    chat_id: int | None = None  # where it was typed (answers that come later go there)
