"""The initiator desk: stores, sends and re-sends initiator requests, and routes their answers.

Every request is stored before it is sent. Daraja's Result goes to the handler registered for
the request's ``purpose``, once: a second copy of the same Result changes nothing. A
QueueTimeOut, a refusal that may pass (busy, unreachable) or a Result that never comes makes
the request due again; the periodic pass (:meth:`InitiatorDesk.run_due`) asks again, up to
``max_attempts`` times, then hands the request to its handler's :meth:`AnswerHandler.gave_up`.
Nothing is ever assumed from a missing answer.

A handler sends its own requests (:meth:`AnswerHandler.send`), so each purpose decides what
"asking again" means: Transaction Status simply asks again, while a money-moving request
(Reversal, B2C) must never be sent twice and checks its fate instead.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from checkout.domain.time import Clock
from checkout.initiator.ports import InitiatorRefused, InitiatorRequestStore
from checkout.initiator.records import (
    InitiatorAccepted,
    InitiatorAnswer,
    InitiatorRequest,
    NewInitiatorRequest,
    RequestState,
)
from checkout.runtime.periodic import run_every

log = logging.getLogger(__name__)

# Our OriginatorConversationID: a prefix Daraja accepts and 20 random hex digits.
ID_PREFIX = "lipa-"


class AnswerHandler(Protocol):
    """Sends the requests of one purpose and acts on their answers."""

    async def send(self, request: InitiatorRequest) -> InitiatorAccepted:
        """Send (or send again) ``request`` to Daraja; raises :class:`InitiatorRefused`."""
        ...

    async def answered(self, request: InitiatorRequest, answer: InitiatorAnswer) -> str:
        """Act on Daraja's Result; the outcome to store. Run again after a crash, so it must
        not act twice on the same answer."""
        ...

    async def gave_up(self, request: InitiatorRequest, reason: str) -> str:
        """No answer will come (refused, or none after every attempt): tell whoever waits."""
        ...

    def subject_of(self, answer: InitiatorAnswer) -> str | None:
        """The transaction an answer is about, to find the request of an earlier attempt."""
        ...


@dataclass(frozen=True, slots=True)
class InitiatorPolicy:
    """How long to wait for answers and how often to ask again."""

    # How long after each attempt a Result may take before the request is asked again
    # (the last value repeats); Daraja's Results usually come within seconds.
    waits: tuple[timedelta, ...] = (
        timedelta(seconds=60),
        timedelta(seconds=120),
        timedelta(seconds=300),
    )
    max_attempts: int = 4
    # After a QueueTimeOut: Daraja was busy; ask again shortly.
    after_timeout: timedelta = timedelta(seconds=15)
    # A claimed request is someone's for this long (a send takes at most the client's timeout).
    lease: timedelta = timedelta(seconds=180)
    interval_seconds: float = 10.0
    batch: int = 20

    def wait_after(self, attempts: int) -> timedelta:
        """How long to wait for a Result after the ``attempts``-th attempt."""
        return self.waits[min(max(attempts, 1), len(self.waits)) - 1]


@dataclass(frozen=True, slots=True)
class Asked:
    """What asking did: the stored request, and why it could not be sent (None: it was)."""

    request: InitiatorRequest
    refused: InitiatorRefused | None = None

    @property
    def gave_up(self) -> bool:
        """Whether the request was given up at once (it cannot be sent)."""
        return self.refused is not None and not self.refused.retry


class InitiatorDesk:
    """Stores initiator requests, sends them through their handlers, and routes the answers."""

    def __init__(
        self,
        store: InitiatorRequestStore,
        *,
        clock: Clock,
        policy: InitiatorPolicy | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy or InitiatorPolicy()
        self._handlers: dict[str, AnswerHandler] = {}

    @property
    def store(self) -> InitiatorRequestStore:
        return self._store

    def register(self, purpose: str, handler: AnswerHandler) -> None:
        """Have ``handler`` send the requests of ``purpose`` and act on their answers."""
        if purpose in self._handlers:
            raise ValueError(f"a handler for {purpose!r} is registered already")
        self._handlers[purpose] = handler

    @property
    def purposes(self) -> Mapping[str, AnswerHandler]:
        return dict(self._handlers)

    async def ask(self, new: NewInitiatorRequest, *, send_now: bool = True) -> Asked:
        """Store a request and (with ``send_now``) send it; without, the next pass sends it.

        A refusal that may pass leaves the request due again; one that cannot gives it up
        (its handler is told, as for any request given up).
        """
        handler = self._handler(new.purpose)
        now = self._clock()
        request = await self._store.add(
            new,
            originator_conversation_id=ID_PREFIX + secrets.token_hex(10),
            now=now,
            # Not sent yet: the next pass may send it (at once without send_now; after a
            # lease otherwise, in case this process dies before sending).
            next_check_at=now + self._policy.lease if send_now else now,
        )
        if not send_now:
            return Asked(request)
        refused = await self._send(handler, request)
        stored = await self._store.get(request.id)
        return Asked(stored or request, refused)

    async def take_answer(self, answer: InitiatorAnswer) -> InitiatorRequest | None:
        """Route a Result to its request's handler, once; the request (None: none known)."""
        request = await self._find(answer)
        if request is None:
            log.warning(
                "initiator result for no known request (conversation %s)", answer.conversation_id
            )
            return None
        if answer.timed_out:
            return await self._timed_out(request)
        now = self._clock()
        first = await self._store.answer(
            request.id, answer, now=now, recheck_at=now + self._policy.lease
        )
        if not first:
            log.info("initiator request %s answered again; nothing changed", request.id)
            return request
        answered = await self._store.get(request.id)
        assert answered is not None
        await self._run_handler(answered, answer)
        return await self._store.get(request.id)

    async def take_timeout(self, answer: InitiatorAnswer) -> InitiatorRequest | None:
        """A QueueTimeOut: the request is asked again shortly; nothing is assumed."""
        request = await self._find(answer)
        if request is None:
            log.warning(
                "initiator timeout for no known request (conversation %s)",
                answer.conversation_id,
            )
            return None
        return await self._timed_out(request)

    async def run_due(self) -> int:
        """One pass: send again what is due, give up what has had every attempt, and finish
        the answers whose handler was interrupted. How many requests were handled."""
        now = self._clock()
        due = await self._store.claim_due(
            now, until=now + self._policy.lease, limit=self._policy.batch
        )
        for request in due:
            handler = self._handlers.get(request.purpose)
            if handler is None:
                log.warning("initiator request %s has no handler (%s)", request.id, request.purpose)
                continue
            if request.state is RequestState.ANSWERED:
                if request.answer is not None:
                    await self._run_handler(request, request.answer)
            elif request.attempts >= self._policy.max_attempts:
                await self._give_up(handler, request, "no answer")
            else:
                await self._send(handler, request)
        return len(due)

    async def run_forever(self) -> None:
        """Run :meth:`run_due` every ``interval_seconds`` until cancelled."""
        await run_every(self._policy.interval_seconds, self.run_due, name="initiator requests")

    async def _send(
        self, handler: AnswerHandler, request: InitiatorRequest
    ) -> InitiatorRefused | None:
        attempts = request.attempts + 1
        try:
            accepted = await handler.send(request)
        except InitiatorRefused as refused:
            if not refused.retry or attempts >= self._policy.max_attempts:
                await self._store.sent(
                    request.id, None, now=self._clock(), next_check_at=self._clock()
                )
                await self._give_up(handler, request, refused.detail)
            else:
                now = self._clock()
                log.warning("initiator request %s not taken: %s", request.id, refused.detail)
                await self._store.sent(
                    request.id, None, now=now, next_check_at=now + self._policy.wait_after(attempts)
                )
            return refused
        now = self._clock()
        await self._store.sent(
            request.id, accepted, now=now, next_check_at=now + self._policy.wait_after(attempts)
        )
        return None

    async def _timed_out(self, request: InitiatorRequest) -> InitiatorRequest:
        now = self._clock()
        if await self._store.time_out(
            request.id, now=now, next_check_at=now + self._policy.after_timeout
        ):
            log.info("initiator request %s timed out in Daraja's queue: asking again", request.id)
        return await self._store.get(request.id) or request

    async def _run_handler(self, request: InitiatorRequest, answer: InitiatorAnswer) -> None:
        handler = self._handlers.get(request.purpose)
        if handler is None:
            log.warning("initiator request %s has no handler (%s)", request.id, request.purpose)
            return
        # A failure leaves the outcome unset: the request is due again after its lease.
        outcome = await handler.answered(request, answer)
        await self._store.finish(request.id, outcome, now=self._clock())

    async def _give_up(
        self, handler: AnswerHandler, request: InitiatorRequest, reason: str
    ) -> None:
        log.warning("initiator request %s given up: %s", request.id, reason)
        outcome = await handler.gave_up(request, reason)
        await self._store.finish(request.id, outcome, now=self._clock(), failed=True)

    async def _find(self, answer: InitiatorAnswer) -> InitiatorRequest | None:
        ids = [
            value for value in (answer.originator_conversation_id, answer.conversation_id) if value
        ]
        request = await self._store.find(ids) if ids else None
        if request is not None:
            return request
        # A late answer to an earlier attempt, whose ids were replaced by a later one.
        for handler in self._handlers.values():
            subject = handler.subject_of(answer)
            if subject is None:
                continue
            for candidate in await self._store.waiting_for(subject):
                if candidate.purpose in self._handlers:
                    return candidate
        return None

    def _handler(self, purpose: str) -> AnswerHandler:
        try:
            return self._handlers[purpose]
        except KeyError:
            raise ValueError(f"no handler registered for {purpose!r}") from None
