"""USSD sessions: the gateway's requests become checkout events, the flow's replies screens.

The gateway (Africa's Talking) sends every input of a session so far joined by ``*``. Each
session's row keeps the text already answered and the screen shown, so any process can answer
any request: the new input is what the text adds, and a repeated request gets the same screen
again. A text that does not extend the stored one (or a session never stored) is rebuilt by
replaying its inputs from the menu. Numbered choices become button presses, "0" and "00" the
flow's back and home, "98" the next page, and anything typed where only choices count repeats
the screen with "Invalid choice.".

The conversation itself is the same one Telegram has (channel USSD, keyed by the caller's
normalised number). Nothing here waits for Daraja: pressing "Pay" queues the push, which is
sent after the session has ended.

A caller whose session dropped mid-payment (the gateway ends a session after about 180 s) and
who dials again within the resume window (``USSD_RESUME_MINUTES``) is first offered to carry
on: "1. Continue paying <order> (KES <amount>) 2. Start over". Continuing shows the question
of the step they were at, with what they had entered; starting over shows the menu. Only a
previous session that did not end with an END screen of ours (a push on its way, a report)
counts, and only while its order is not paid (:mod:`checkout.conversation.resume`).

Replaying is bounded: a text of more than :data:`MAX_INPUTS` inputs is answered ``END`` with a
sentence and touches nothing (a real session has a few dozen inputs at most in its ~180 s), and
the caller's ``proceed`` check runs before every input replayed, so a request whose time is up
or whose client has gone stops there and stores nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import timedelta
from typing import Final

from checkout.channels.ussd.ports import UssdSession, UssdStatus, UssdUnitOfWorkFactory
from checkout.channels.ussd.screens import (
    BACK,
    END,
    HOME,
    MORE,
    Screen,
    build_screen,
    resume_screen,
)
from checkout.conversation.model import ButtonPressed, Command, Event, TextMessage
from checkout.conversation.replying import Conversations
from checkout.conversation.resume import Unfinished
from checkout.domain import callbacks
from checkout.domain.phones import PhoneError, mask_phone, normalise_phone
from checkout.domain.records import Channel, Language
from checkout.domain.replies import Reply
from checkout.domain.time import Clock
from checkout.i18n.payments.refusals import refusal_text
from checkout.i18n.ussd import words as say
from checkout.i18n.ussd.words import UssdLine

log = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 3
# Inputs one session may carry. A real session lasts about 180 s and has a few dozen inputs at
# most; more is a replay attack (each input is a conversation transaction).
MAX_INPUTS: Final = 60
SEPARATOR: Final = "*"
GATEWAY_SUCCESS: Final = "Success"  # the end-of-session status of a session that finished well
# How long after a session dropped mid-payment the caller is offered to carry on with it.
RESUME_WINDOW: Final = timedelta(minutes=10)
# Sessions that may have dropped mid-payment: the last answer continued (CON) and the gateway
# said nothing, or it reported the session abandoned.
_DROPPED: Final = frozenset({UssdStatus.OPEN, UssdStatus.ABANDONED})


@dataclass(frozen=True, slots=True)
class UssdCall:
    """What the gateway names in everything it sends about a session: the session, the
    caller's phone, and the service and network codes (the last two by keyword only)."""

    session_id: str
    phone: str
    _: KW_ONLY
    service_code: str = ""
    network_code: str = ""


@dataclass(frozen=True, slots=True)
class UssdRequest(UssdCall):
    """One request from the gateway; ``text`` is every input so far joined by ``*``."""

    text: str


@dataclass(frozen=True, slots=True)
class UssdAnswer:
    """The answer's whole text, starting ``CON `` (continue) or ``END `` (finish)."""

    text: str


@dataclass(frozen=True, slots=True)
class UssdSessionEnd(UssdCall):
    """The gateway's end-of-session notice (``status``: Success, Incomplete or Failed)."""

    status: str
    error: str | None = None


class UssdStopped(Exception):
    """Replaying a session's inputs stopped: the request's time ran out or its client left."""


def _always() -> bool:
    return True


def input_count(text: str) -> int:
    """How many inputs a gateway ``text`` holds (0 for the first, empty, request)."""
    return text.count(SEPARATOR) + 1 if text else 0


class UssdService:
    """Answers the USSD gateway's requests with screens of the checkout flow."""

    def __init__(
        self,
        units: UssdUnitOfWorkFactory,
        conversations: Conversations,
        *,
        clock: Clock,
        default_language: Language = "en",
        resume_window: timedelta = RESUME_WINDOW,
    ) -> None:
        self._units = units
        self._conversations = conversations
        self._clock = clock
        self._default_language: Language = default_language
        # Zero: never offered; a new session always starts at the menu.
        self._resume_window = resume_window

    def sorry(self) -> UssdAnswer:
        """The END answer for a request that could not be handled."""
        return UssdAnswer(END + say.line(self._default_language, UssdLine.SORRY))

    async def answer(
        self, request: UssdRequest, *, proceed: Callable[[], bool] = _always
    ) -> UssdAnswer:
        """The answer to one request of a session, remembered for the next one.

        ``proceed`` is asked before each input is replayed; once it says no, the request
        stops with :class:`UssdStopped` and nothing of it is stored.
        """
        try:
            phone = normalise_phone(request.phone)
        except PhoneError:
            log.info("USSD request from a number M-Pesa cannot pay from refused")
            return UssdAnswer(END + say.line(self._default_language, UssdLine.PHONE_UNSUPPORTED))
        if input_count(request.text) > MAX_INPUTS:
            log.warning(
                "USSD session %s of %s sent %d inputs (at most %d); ended",
                request.session_id,
                mask_phone(phone),
                input_count(request.text),
                MAX_INPUTS,
            )
            return UssdAnswer(END + say.line(self._default_language, UssdLine.TOO_MANY_INPUTS))
        for _attempt in range(MAX_ATTEMPTS):
            async with self._units() as unit:
                stored = await unit.ussd_sessions.get(request.session_id)
            if stored is not None and stored.phone != phone:
                log.warning(
                    "USSD session %s came from %s, not its caller",
                    request.session_id,
                    mask_phone(phone),
                )
                return self.sorry()
            if stored is not None and (
                request.text == stored.text or stored.status is not UssdStatus.OPEN
            ):
                # A repeated request (the gateway retries), or one after the session ended.
                return UssdAnswer(Screen.from_json(stored.screen).page(stored.page))
            screen, page = await self._advance(stored, request, phone, proceed)
            session = UssdSession(
                session_id=request.session_id,
                phone=phone,
                service_code=request.service_code[:32],
                network_code=request.network_code[:16],
                text=request.text,
                screen=screen.to_json(),
                page=page,
                status=UssdStatus.ENDED if screen.ends_on(page) else UssdStatus.OPEN,
                version=stored.version if stored is not None else 0,
            )
            async with self._units() as unit:
                saved = await unit.ussd_sessions.save(session, now=self._clock())
                await unit.commit()
            if saved:
                return UssdAnswer(screen.page(page))
            # Another process answered this session meanwhile: answer from what it stored.
        log.warning("USSD session %s kept changing; answered with an apology", request.session_id)
        return self.sorry()

    async def session_ended(self, notice: UssdSessionEnd) -> UssdStatus:
        """Record the gateway's end-of-session notice; a session not finished is abandoned."""
        status = UssdStatus.COMPLETED if notice.status == GATEWAY_SUCCESS else UssdStatus.ABANDONED
        try:
            phone = normalise_phone(notice.phone)
        except PhoneError:
            phone = notice.phone[:16]
        async with self._units() as unit:
            await unit.ussd_sessions.record_end(
                session_id=notice.session_id,
                phone=phone,
                service_code=notice.service_code,
                network_code=notice.network_code,
                status=status,
                gateway_status=notice.status,
                error=notice.error,
                now=self._clock(),
            )
            await unit.commit()
        log.info(
            "USSD session of %s %s (%s)", mask_phone(phone), status.value, notice.status or "-"
        )
        return status

    async def _advance(
        self,
        stored: UssdSession | None,
        request: UssdRequest,
        phone: str,
        proceed: Callable[[], bool],
    ) -> tuple[Screen, int]:
        """The screen and page after the inputs ``request`` adds to the stored session."""
        if stored is not None and request.text.startswith(stored.text + SEPARATOR):
            screen, page = Screen.from_json(stored.screen), stored.page
            inputs = request.text[len(stored.text) + 1 :].split(SEPARATOR)
        elif stored is not None and not stored.text and request.text:
            screen, page = Screen.from_json(stored.screen), stored.page
            inputs = request.text.split(SEPARATOR)
        else:
            # A new session, or a text that does not extend what was answered: start at the
            # menu and replay every input. A session's very first request may instead offer to
            # carry on; a replayed one starts at the menu, as it always did.
            first = None
            if stored is None and not request.text:
                first = await self._left_unfinished(request.session_id, phone)
            if first is not None:
                log.info(
                    "USSD caller %s offered to continue order %s",
                    mask_phone(phone),
                    first.order_reference,
                )
                screen = resume_screen(first)
            else:
                screen = await self._event(phone, Command("start"))
            page = 0
            inputs = request.text.split(SEPARATOR) if request.text else []
        for raw in inputs:
            if not proceed():
                raise UssdStopped(request.session_id)
            screen, page = await self._apply(phone, screen, page, raw.strip())
        return screen, page

    async def _left_unfinished(self, session_id: str, phone: str) -> Unfinished | None:
        """The order ``phone``'s previous session left half paid, if it dropped within the
        resume window; None otherwise."""
        if self._resume_window <= timedelta(0):
            return None
        async with self._units() as unit:
            last = await unit.ussd_sessions.latest_of(phone, other_than=session_id)
        if last is None or last.status not in _DROPPED or last.updated_at is None:
            return None
        if self._clock() - last.updated_at > self._resume_window:
            return None
        return await self._conversations.unfinished(Channel.USSD, phone)

    async def _apply(
        self, phone: str, screen: Screen, page: int, answer: str
    ) -> tuple[Screen, int]:
        """The screen and page after one input on ``screen``."""
        if answer == MORE and page + 1 < screen.page_count():
            return screen, page + 1
        if answer == BACK and page > 0:
            return screen, page - 1
        event: Event
        if answer == BACK:
            event = ButtonPressed(callbacks.BACK)
        elif answer == HOME:
            event = ButtonPressed(callbacks.HOME)
        elif (data := screen.choice(answer)) is not None:
            event = ButtonPressed(data)
        elif screen.takes_text and answer:
            event = TextMessage(answer)
        else:
            return screen.with_notice(say.line(screen.language, UssdLine.INVALID_CHOICE)), 0
        return await self._event(phone, event), 0

    async def _event(self, phone: str, event: Event) -> Screen:
        answer = await self._conversations.answer(Channel.USSD, phone, event, phone=phone)
        replies = answer.replies
        if answer.refused is not None:
            # The push limits held the payment back: say why and how long to wait.
            replies = [*replies, Reply(refusal_text(answer.language, answer.refused, sms=True))]
        return build_screen(replies, step=answer.step, language=answer.language)
