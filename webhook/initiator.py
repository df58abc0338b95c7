"""The initiator APIs' result routes: ``/hooks/result/<secret>`` and ``/hooks/timeout/<secret>``.

Daraja POSTs the Result of a Transaction Status (later: Reversal, B2C) request to the first and
a QueueTimeOut to the second. Like the STK callback route, the path carries the callback
secret (wrong: 404), the allowlist applies (outside: 403), and every body past those checks
is kept with its source address and what became of it. A Result goes to the initiator desk,
which hands it to the request's handler once; a timeout makes the request due to be asked
again. Both answer Daraja at once; a malformed Result gets a 400 and one staff alert.

The paths avoid the words Daraja refuses in URLs (see :mod:`daraja.url_rules`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from checkout.domain.records import BodyStatus, KeptBody, ReceivedBody, TransactionFacts
from checkout.initiator.desk import InitiatorDesk
from checkout.initiator.records import InitiatorAnswer
from checkout.payments.settling.callback_bodies import CallbackBodies
from daraja import CallbackError
from daraja.results import (
    InitiatorResult,
    parse_result,
    parse_timeout,
    transaction_status_details,
)
from webhook.mpesa import CallbackGate, SourceCheck

log = logging.getLogger(__name__)

RESULT_PATH = "/hooks/result/{secret}"
TIMEOUT_PATH = "/hooks/timeout/{secret}"
ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}


def result_path(secret: str) -> str:
    """The Result route's path for ``secret``."""
    return RESULT_PATH.format(secret=secret)


def timeout_path(secret: str) -> str:
    """The QueueTimeOut route's path for ``secret``."""
    return TIMEOUT_PATH.format(secret=secret)


def answer_from(result: InitiatorResult, *, timed_out: bool = False) -> InitiatorAnswer:
    """The checkout's view of a parsed Result (or timeout)."""
    return InitiatorAnswer(
        result_code=result.result_code,
        result_code_text=result.result_code_text,
        description=result.result_desc,
        originator_conversation_id=result.originator_conversation_id,
        conversation_id=result.conversation_id,
        transaction_id=result.transaction_id,
        parameters=dict(result.parameters),
        reference=dict(result.reference),
        timed_out=timed_out,
    )


def transaction_facts(answer: InitiatorAnswer) -> TransactionFacts:
    """What a Transaction Status answer says of its transaction (read by daraja's parser)."""
    result = InitiatorResult(
        result_type=None,
        result_code=answer.result_code,
        result_code_text=answer.result_code_text,
        result_desc=answer.description,
        originator_conversation_id=answer.originator_conversation_id,
        conversation_id=answer.conversation_id,
        transaction_id=answer.transaction_id,
        parameters=answer.parameters,
        reference=answer.reference,
    )
    if not answer.succeeded:
        # A code in letters (R000002: no such transaction) is kept in the words staff read.
        text = answer.result_code_text
        description = f"{text} {answer.description}" if text else answer.description
        return TransactionFacts(
            found=False, result_code=answer.result_code, result_description=description
        )
    details = transaction_status_details(result)
    _, credit_name = _split_name(details.credit_party)
    return TransactionFacts(
        found=True,
        receipt=(details.receipt or "").upper() or None,
        amount=details.amount,
        status=details.status,
        payer_name=details.payer_name,
        debit_phone=details.debit_phone,
        credit_shortcode=details.credit_shortcode,
        credit_name=credit_name,
        finalised_at=details.finalised_at or details.initiated_at,
        result_code=answer.result_code,
        result_description=answer.description,
    )


def _split_name(party: str | None) -> tuple[str | None, str | None]:
    if not party or " - " not in party:
        return None, None
    number, _, name = party.partition(" - ")
    return number.strip() or None, name.strip() or None


# Takes an answer to a call of its own (None: not one of its calls); says what it made of it.
OtherAnswers = Callable[[InitiatorAnswer], Awaitable[str | None]]


class InitiatorResultHandler:
    """Checks, keeps and routes the initiator APIs' Results and timeouts."""

    def __init__(
        self,
        desk: InitiatorDesk,
        bodies: CallbackBodies,
        secret: str,
        sources: SourceCheck | None = None,
        others: Sequence[OtherAnswers] = (),
    ) -> None:
        """``others`` take the answers to calls the desk did not store (refunds' Reversal and
        B2C, issue 15), in turn, when the desk knows no request for them."""
        self._desk = desk
        self._bodies = bodies
        # The secret and allowlist checks every route Safaricom calls shares.
        self._gate = CallbackGate(secret, sources)
        self._others = tuple(others)

    def install(self, app: web.Application) -> None:
        """Serve both routes on ``app``."""
        app.router.add_post(RESULT_PATH, self.result)
        app.router.add_post(TIMEOUT_PATH, self.timeout)

    async def result(self, request: web.Request) -> web.Response:
        """Handle one Result POST."""
        received = await self._gate.admit(request)
        try:
            parsed = parse_result(received.body)
        except CallbackError as error:
            body_id = await self._bodies.keep_unsettled(
                received, status=BodyStatus.REFUSED, reason=f"initiator result: {error}"
            )
            log.warning("malformed initiator result refused and kept as %s: %s", body_id, error)
            return web.json_response({"ResultCode": 1, "ResultDesc": str(error)}, status=400)
        return await self._take(received, answer_from(parsed), "result")

    async def timeout(self, request: web.Request) -> web.Response:
        """Handle one QueueTimeOut POST."""
        received = await self._gate.admit(request)
        try:
            parsed = parse_timeout(received.body)
        except CallbackError as error:
            body_id = await self._bodies.keep_unsettled(
                received, status=BodyStatus.REFUSED, reason=f"initiator timeout: {error}"
            )
            log.warning("malformed initiator timeout refused and kept as %s: %s", body_id, error)
            return web.json_response({"ResultCode": 1, "ResultDesc": str(error)}, status=400)
        return await self._take(received, answer_from(parsed, timed_out=True), "timeout")

    async def _other(self, answer: InitiatorAnswer) -> str | None:
        """What the first of ``others`` that knows the call made of the answer, if any."""
        for other in self._others:
            note = await other(answer)
            if note is not None:
                return note
        return None

    async def _take(
        self, received: ReceivedBody, answer: InitiatorAnswer, kind: str
    ) -> web.Response:
        try:
            if answer.timed_out:
                taken = await self._desk.take_timeout(answer)
            else:
                taken = await self._desk.take_answer(answer)
            other = None
            if taken is None:
                other = await self._other(answer)
        except Exception as error:
            log.exception("initiator %s could not be handled", kind)
            body_id = await self._bodies.keep_unsettled(
                received,
                status=BodyStatus.FAILED,
                reason=f"initiator {kind}: handling failed ({type(error).__name__})",
            )
            return web.json_response(
                {"ResultCode": 1, "ResultDesc": f"kept as callback {body_id}"}, status=500
            )
        if other is not None:
            status, note = BodyStatus.SETTLED, f"initiator {kind}: {other}"
        elif taken is None:
            status, note = BodyStatus.UNKNOWN, f"initiator {kind} for no known request"
        else:
            status, note = BodyStatus.SETTLED, f"initiator {kind}: request {taken.id}"
        await self._bodies.keep(received, status=status, note=note)
        log.info("initiator %s: %s", kind, note)
        return web.json_response(ACCEPTED)


def looks_like_initiator_answer(kept: KeptBody) -> bool:
    """Whether a kept body came to the Result or QueueTimeOut route (by the note it was kept
    with, or its ``Result`` envelope)."""
    if (kept.note or "").startswith(("initiator result", "initiator timeout")):
        return True
    try:
        data = json.loads(kept.received.body)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "Result" in data


async def replay_initiator_answer(
    desk: InitiatorDesk,
    bodies: CallbackBodies,
    body_id: int,
    others: Sequence[OtherAnswers] = (),
) -> tuple[bool, str]:
    """Run a kept Result (or timeout) through the desk again, after a fix: whether it was
    taken now, and what happened in one line. A Result already acted on changes nothing.
    ``others`` get what the desk knows no request for (refunds' results), as on the route."""
    kept = await bodies.get(body_id)
    if kept is None:
        return False, f"callback {body_id}: no such callback body"
    timeout = (kept.note or "").startswith("initiator timeout")
    try:
        parsed = (parse_timeout if timeout else parse_result)(kept.received.body)
    except CallbackError as error:
        await bodies.record_replay(body_id, status=BodyStatus.REFUSED, note=str(error))
        return False, f"callback {body_id}: refused: {error}"
    answer = answer_from(parsed, timed_out=timeout)
    taken = await (desk.take_timeout(answer) if timeout else desk.take_answer(answer))
    if taken is None:
        for other in others:
            note = await other(answer)
            if note is not None:
                await bodies.record_replay(body_id, status=BodyStatus.SETTLED, note=note)
                return True, f"callback {body_id}: {note}"
        await bodies.record_replay(body_id, status=BodyStatus.UNKNOWN, note="no known request")
        return False, f"callback {body_id}: initiator answer for no known request"
    await bodies.record_replay(
        body_id, status=BodyStatus.SETTLED, note=f"initiator request {taken.id}"
    )
    outcome = taken.outcome or taken.state.value
    return True, f"callback {body_id}: initiator request {taken.id}: {outcome}"
