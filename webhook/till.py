"""The C2B routes: Safaricom asks whether to accept a payment to the till, then confirms it.

``/hooks/c2b/validate/<secret>`` answers a validation request (accept, or reject an unknown
account number with ``C2B00012`` when the business asked for that); ``/hooks/c2b/confirm/
<secret>`` credits the confirmed payment through :class:`checkout.till.credit.TillCredits`.
Both check the secret and the allowlist as the STK callback does (:class:`CallbackGate`) and
keep every body: a good one in the transaction that credits it, a malformed one with a staff
alert. ``/hooks/pull/<secret>`` keeps what Daraja posts to the Pull Transactions callback.
The paths avoid the words Daraja refuses in URLs.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from checkout.domain.records import BodyStatus
from checkout.payments.settling.callback_bodies import CallbackBodies
from checkout.till.credit import TillCredits
from checkout.till.records import LedgerSource, TillPayment
from checkout.till.validate import TillValidation, Verdict
from daraja import (
    C2B_ACCEPT,
    C2B_CONFIRMED,
    C2BNotice,
    C2BRejectCode,
    CallbackError,
    PullEntry,
    c2b_reject,
    parse_c2b,
)
from webhook.mpesa import CallbackGate, SourceCheck

log = logging.getLogger(__name__)

C2B_CONFIRM_PATH = "/hooks/c2b/confirm/{secret}"
C2B_VALIDATE_PATH = "/hooks/c2b/validate/{secret}"
# Pull Transactions' registration names a callback URL; what Daraja posts there is kept.
PULL_PATH = "/hooks/pull/{secret}"


def c2b_confirm_path(secret: str) -> str:
    """The confirmation route's path for ``secret``."""
    return C2B_CONFIRM_PATH.format(secret=secret)


def c2b_validate_path(secret: str) -> str:
    """The validation route's path for ``secret``."""
    return C2B_VALIDATE_PATH.format(secret=secret)


def pull_path(secret: str) -> str:
    """The Pull Transactions callback's path for ``secret``."""
    return PULL_PATH.format(secret=secret)


def till_payment(notice: C2BNotice) -> TillPayment:
    """The till's view of a C2B confirmation (or validation request)."""
    return TillPayment(
        transaction_id=notice.transaction_id.strip().upper(),
        amount=notice.amount,
        paid_at=notice.transaction_time,
        account=notice.bill_ref,
        msisdn=notice.msisdn,
        payer_name=notice.payer_name,
        kind=notice.transaction_type,
        shortcode=notice.shortcode,
    )


def kept_confirmation(body: bytes) -> TillPayment | None:
    """A kept C2B confirmation's payment, or None when the body is not a readable one."""
    if not looks_like_c2b(body):
        return None
    try:
        return till_payment(parse_c2b(body))
    except CallbackError:
        return None


def statement_payment(entry: PullEntry, shortcode: str | None = None) -> TillPayment:
    """The till's view of one line of the shortcode's statement (Pull Transactions)."""
    return TillPayment(
        transaction_id=entry.transaction_id.strip().upper(),
        amount=entry.amount,
        paid_at=entry.time,
        account=entry.bill_reference,
        msisdn=entry.msisdn,
        payer_name=entry.sender,
        kind=entry.transaction_type,
        shortcode=shortcode,
    )


def looks_like_c2b(body: bytes) -> bool:
    """Whether a kept body is a C2B one (it names a ``TransID``), not an STK callback."""
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and "TransID" in data


async def replay_c2b(
    credits: TillCredits, bodies: CallbackBodies, body_id: int
) -> tuple[bool, str]:
    """Run a kept C2B confirmation through crediting again (``lipa callbacks replay``).

    Returns whether it was taken now (credited, matched, queued or already known) and what
    happened, in one line.
    """
    kept = await bodies.get(body_id)
    if kept is None:
        return False, f"callback {body_id}: no such callback body"
    try:
        notice = parse_c2b(kept.received.body)
    except CallbackError as error:
        await bodies.record_replay(body_id, status=BodyStatus.REFUSED, note=str(error))
        return False, f"callback {body_id}: refused: {error}"
    result = await credits.record(till_payment(notice), source=LedgerSource.CONFIRMATION)
    status = BodyStatus.DUPLICATE if result.outcome.value == "duplicate" else BodyStatus.SETTLED
    await bodies.record_replay(
        body_id, status=status, note=f"till {notice.transaction_id}: {result.outcome.value}"
    )
    return True, f"callback {body_id}: {result.outcome.value} ({notice.transaction_id})"


class TillHooks:
    """The C2B validation and confirmation routes."""

    def __init__(
        self,
        credits: TillCredits,
        validation: TillValidation,
        bodies: CallbackBodies,
        secret: str,
        sources: SourceCheck | None = None,
    ) -> None:
        self._credits = credits
        self._validation = validation
        self._bodies = bodies
        self._gate = CallbackGate(secret, sources)

    def install(self, app: web.Application) -> None:
        """Add the two routes to ``app``."""
        app.router.add_post(C2B_CONFIRM_PATH, self.confirm)
        app.router.add_post(C2B_VALIDATE_PATH, self.validate)
        app.router.add_post(PULL_PATH, self.pull_notice)

    async def pull_notice(self, request: web.Request) -> web.Response:
        """Keep what Daraja posts to the Pull callback: the statement is read by query."""
        received = await self._gate.admit(request)
        await self._credits.keep(received, note="pull notice")
        return web.json_response({"ResultCode": 0, "ResultDesc": "Accepted"})

    async def validate(self, request: web.Request) -> web.Response:
        """Accept or reject a payment before the money moves (answered within seconds)."""
        received = await self._gate.admit(request)
        try:
            notice = parse_c2b(received.body)
        except CallbackError as error:
            await self._bodies.keep_unsettled(
                received, status=BodyStatus.REFUSED, reason=f"C2B validation: {error}"
            )
            # An unreadable request is not ours to refuse: the shortcode's default decides.
            return web.json_response(dict(C2B_ACCEPT))
        verdict = await self._validation.decide(notice.bill_ref, notice.amount, received=received)
        log.info("C2B validation for %s: %s", notice.transaction_id, verdict.value)
        if verdict is Verdict.UNKNOWN_ACCOUNT:
            return web.json_response(
                c2b_reject(C2BRejectCode.INVALID_ACCOUNT, "Invalid account number")
            )
        return web.json_response(dict(C2B_ACCEPT))

    async def confirm(self, request: web.Request) -> web.Response:
        """Credit a payment that reached the till."""
        received = await self._gate.admit(request)
        try:
            notice = parse_c2b(received.body)
        except CallbackError as error:
            body_id = await self._bodies.keep_unsettled(
                received, status=BodyStatus.REFUSED, reason=f"C2B confirmation: {error}"
            )
            log.warning("malformed C2B confirmation refused and kept as %s", body_id)
            return web.json_response({"ResultCode": 1, "ResultDesc": str(error)}, status=400)
        try:
            result = await self._credits.record(
                till_payment(notice), source=LedgerSource.CONFIRMATION, received=received
            )
        except Exception as error:
            log.exception("crediting C2B %s failed", notice.transaction_id)
            body_id = await self._bodies.keep_unsettled(
                received,
                status=BodyStatus.FAILED,
                reason=f"C2B {notice.transaction_id}: crediting failed ({type(error).__name__})",
            )
            return web.json_response(
                {"ResultCode": 1, "ResultDesc": f"kept as callback {body_id} for a replay"},
                status=500,
            )
        log.info("C2B confirmation %s: %s", notice.transaction_id, result.outcome.value)
        return web.json_response(dict(C2B_CONFIRMED))
