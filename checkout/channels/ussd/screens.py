"""USSD screens: the flow's replies as one answer's text, with numbered choices and pages.

An answer holds at most 160 characters of the GSM alphabet, ``CON `` or ``END `` included.
A longer screen is cut into pages ending "98. More"; "98" shows the next page and "0" the
previous one. Choices are numbered from 1 across all pages and map back to the buttons' data.
Below a question, "0. Back 00. Home" reminds the customer how to move; the top menu, which
has nowhere to go back to, leaves it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from checkout.channels.gsm import SCREEN_LENGTH, gsm7_length, to_gsm7
from checkout.conversation.flow import TEXT_STEPS
from checkout.conversation.model import Step
from checkout.conversation.resume import Unfinished
from checkout.domain.callbacks import HOME as HOME_DATA
from checkout.domain.callbacks import RESUME
from checkout.domain.records import Language
from checkout.domain.replies import Reply
from checkout.i18n.ussd import words as say
from checkout.i18n.ussd.words import UssdLine

MORE: Final = "98"  # the next page
BACK: Final = "0"  # the previous page, else the previous question
HOME: Final = "00"  # the menu

CONTINUE: Final = "CON "
END: Final = "END "


@dataclass(frozen=True, slots=True)
class ScreenChoice:
    """A numbered choice: what the customer reads and the button data it stands for."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Screen:
    """What one USSD answer shows, before it is cut into pages.

    ``ends`` closes the session (END); ``takes_text`` lets the customer type an answer
    that is not a choice; ``navigable`` shows the back/home line; ``notice`` is a short
    remark above the body ("Invalid choice.").
    """

    body: str
    choices: tuple[ScreenChoice, ...] = ()
    ends: bool = False
    takes_text: bool = False
    navigable: bool = False
    language: Language = "en"
    notice: str = ""

    def choice(self, answer: str) -> str | None:
        """The data of the choice numbered ``answer``, or None if there is none."""
        if not answer.isdigit() or answer.startswith("0"):
            return None
        index = int(answer) - 1
        return self.choices[index].data if index < len(self.choices) else None

    def with_notice(self, notice: str) -> Screen:
        """The same screen with ``notice`` above it (replacing any earlier notice)."""
        return replace(self, notice=to_gsm7(notice))

    def pages(self) -> list[str]:
        """Every page's full answer text, ``CON``/``END`` included; each fits one screen."""
        more = f"{MORE}. {say.line(self.language, UssdLine.MORE)}"
        tail = [say.line(self.language, UssdLine.NAVIGATION)] if self.navigable else []
        budget = SCREEN_LENGTH - len(CONTINUE)
        lines = self._lines()
        if _size([*lines, *tail]) > budget:
            # Paged: every line must fit a page beside "98. More" and the navigation line.
            width = budget - _size([more, *tail]) - 1
            lines = [piece for line in lines for piece in _wrap(line, width)]
        pages: list[list[str]] = []
        while True:
            if _size([*lines, *tail]) <= budget:
                pages.append([*lines, *tail])
                break
            taken: list[str] = []
            while lines and _size([*taken, lines[0], more, *tail]) <= budget:
                taken.append(lines.pop(0))
            pages.append([*taken, more, *tail])
        last = len(pages) - 1
        return [
            (END if self.ends and index == last else CONTINUE) + "\n".join(page)
            for index, page in enumerate(pages)
        ]

    def page(self, index: int) -> str:
        """The answer text of page ``index`` (clamped to the pages there are)."""
        pages = self.pages()
        return pages[min(max(index, 0), len(pages) - 1)]

    def page_count(self) -> int:
        """How many pages the screen takes."""
        return len(self.pages())

    def ends_on(self, index: int) -> bool:
        """Whether showing page ``index`` ends the session."""
        return self.page(index).startswith(END)

    def _lines(self) -> list[str]:
        lines = [self.notice] if self.notice else []
        lines += [line for line in self.body.split("\n") if line.strip()]
        lines += [f"{number}. {choice.label}" for number, choice in enumerate(self.choices, 1)]
        return lines

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict of the screen, as stored with its session."""
        return {
            "body": self.body,
            "choices": [[choice.label, choice.data] for choice in self.choices],
            "ends": self.ends,
            "takes_text": self.takes_text,
            "navigable": self.navigable,
            "language": self.language,
            "notice": self.notice,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Screen:
        """The screen stored by :meth:`to_json`."""
        language: Language = "sw" if data.get("language") == "sw" else "en"
        return cls(
            body=str(data.get("body", "")),
            choices=tuple(
                ScreenChoice(str(label), str(value)) for label, value in data.get("choices", [])
            ),
            ends=bool(data.get("ends", False)),
            takes_text=bool(data.get("takes_text", False)),
            navigable=bool(data.get("navigable", False)),
            language=language,
            notice=str(data.get("notice", "")),
        )


def build_screen(replies: Sequence[Reply], *, step: Step, language: Language) -> Screen:
    """The screen showing the flow's replies for a conversation now at ``step``.

    The texts are joined; the choices are the buttons of the last reply that has any. The
    session ends once the payment is on its way (PAYING), or when nothing is asked (a status
    report); otherwise it continues, taking typed text only on a question without choices.
    """
    body = "\n".join(to_gsm7(reply.text) for reply in replies if reply.text)
    with_buttons = [reply for reply in replies if reply.buttons]
    choices = (
        tuple(
            ScreenChoice(to_gsm7(button.label), button.data)
            for row in with_buttons[-1].buttons
            for button in row
        )
        if with_buttons
        else ()
    )
    ends = step is Step.PAYING or (not choices and step not in TEXT_STEPS)
    return Screen(
        body=body,
        choices=() if ends else choices,
        ends=ends,
        # Where there are choices only they count: a typed "3" is never read as an amount.
        takes_text=not ends and not choices and step in TEXT_STEPS,
        navigable=not ends and step is not Step.IDLE,
        language=language,
    )


def resume_screen(left: Unfinished) -> Screen:
    """The first screen of a session after one dropped mid-payment: carry on, or start over.

    "Continue paying" carries on at the step the customer was at; "Start over" is the menu.
    """
    language = left.language
    ask, label, start_over = say.resume_texts(language, left.order_reference, left.amount)
    return Screen(
        body=to_gsm7(ask),
        choices=(
            ScreenChoice(to_gsm7(label), RESUME),
            ScreenChoice(to_gsm7(start_over), HOME_DATA),
        ),
        language=language,
    )


def _size(lines: Sequence[str]) -> int:
    return gsm7_length("\n".join(lines))


def _wrap(line: str, width: int) -> list[str]:
    """``line`` cut at spaces into pieces of at most ``width`` places (long words are split)."""
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if gsm7_length(candidate) <= width:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while gsm7_length(word) > width:
            cut = _cut(word, width)
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not pieces:
        pieces.append(current)
    return pieces


def _cut(word: str, width: int) -> int:
    """How many characters of ``word`` fit in ``width`` places."""
    used = 0
    for index, character in enumerate(word):
        used += gsm7_length(character)
        if used > width:
            return max(index, 1)
    return len(word)
