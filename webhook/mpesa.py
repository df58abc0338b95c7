"""The M-Pesa callback route: Safaricom POSTs each STK push's outcome here.

Pushes name ``/hooks/stk/<secret>``, free of the words Daraja refuses in URLs; the first
deployments' ``/mpesa/callback/<secret>`` is served too, for pushes sent before an upgrade.

Safaricom does not sign callbacks, so the route's path carries a secret (wrong secret: 404,
as if the route did not exist). Every body past the secret is kept raw, with its source address
and time: a good one in the transaction that settles it (through the same code path as status
queries), then acknowledged; a malformed one gets a 400, changes no payment, and is kept with
one staff alert naming its id, for ``lipa callbacks replay`` once the cause is fixed.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from aiohttp import web

from checkout.domain.records import BodyStatus, ReceivedBody
from checkout.payments.batching import Settler
from checkout.payments.gateway import PaymentResult
from checkout.payments.settling.results import SettleOutcome
from daraja import CallbackError, StkCallback, load_callback, parse_callback, storable_json
from daraja.callback import storable_as_loaded, storable_text

log = logging.getLogger(__name__)

ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
# The path handed to Daraja: none of the words Daraja refuses in URLs (see daraja.url_rules).
STK_PATH = "/hooks/stk/{secret}"
# The first deployments' path, still served: pushes sent before an upgrade call it back.
CALLBACK_PATH = "/mpesa/callback/{secret}"
CALLBACK_PATHS = (STK_PATH, CALLBACK_PATH)


def callback_path(secret: str) -> str:
    """The STK callback route's path for ``secret``, as Daraja is given it."""
    return STK_PATH.format(secret=secret)


def result_from_callback(callback: StkCallback) -> PaymentResult:
    """The checkout's view of a parsed callback."""
    return PaymentResult(
        checkout_request_id=callback.checkout_request_id,
        merchant_request_id=callback.merchant_request_id,
        result_code=callback.result_code,
        result_code_text=callback.result_code_text,
        result_description=callback.result_desc,
        amount=callback.amount,
        receipt_number=callback.receipt_number,
        phone=callback.phone,
        transaction_date=callback.transaction_date,
    )


def read_callback(body: bytes) -> tuple[StkCallback, dict[str, Any]]:
    """The callback in ``body`` and its JSON as it can be stored; CallbackError if malformed."""
    # Parsed once: the same object is checked and kept as the audit record.
    raw = load_callback(body)
    callback = parse_callback(raw)
    # A plain body (every real one) is stored as read: walking it to copy it changed nothing
    # and cost a third of reading the callback (benchmark 5, session 8).
    return callback, raw if storable_as_loaded(body) else storable_json(raw)


@dataclass(frozen=True, slots=True)
class Taken:
    """What handling one callback body did: its settle outcome, or why it was not settled."""

    outcome: SettleOutcome | None = None
    status: BodyStatus | None = None  # REFUSED or FAILED when not settled
    reason: str | None = None
    checkout_request_id: str | None = None

    def line(self, body_id: int) -> str:
        """The result in one line, for the operator (``lipa callbacks replay``)."""
        if self.outcome is not None:
            return f"callback {body_id}: {self.outcome.value} ({self.checkout_request_id})"
        status = self.status.value if self.status is not None else "failed"
        return f"callback {body_id}: {status}: {self.reason}"


async def take_callback(settlement: Settler, body: bytes, received: ReceivedBody | None) -> Taken:
    """Parse and settle ``body``; with ``received``, the settlement keeps it as it came.

    Never raises for a bad body or a failed settlement: the caller keeps those.
    """
    try:
        callback, raw = read_callback(body)
    except CallbackError as error:
        return Taken(status=BodyStatus.REFUSED, reason=str(error))
    try:
        outcome = await settlement.settle(
            result_from_callback(callback), source="callback", raw=raw, received=received
        )
    except Exception as error:
        log.exception("settling callback %s failed", callback.checkout_request_id)
        return Taken(
            status=BodyStatus.FAILED,
            reason=f"settling failed ({type(error).__name__})",
            checkout_request_id=callback.checkout_request_id,
        )
    return Taken(outcome=outcome, checkout_request_id=callback.checkout_request_id)


async def replay_callback(settlement: Settler, body_id: int) -> tuple[bool, str]:
    """Run a kept body through parsing and settlement again.

    Returns whether it was settled now (a settle outcome, duplicate included) and what
    happened, in one line.
    """
    kept = await settlement.bodies.get(body_id)
    if kept is None:
        return False, f"callback {body_id}: no such callback body"
    taken = await take_callback(settlement, kept.received.body, None)
    status = BodyStatus(taken.outcome.value) if taken.outcome is not None else taken.status
    assert status is not None
    await settlement.bodies.record_replay(
        body_id,
        status=status,
        note=taken.reason,
        checkout_request_id=taken.checkout_request_id or kept.checkout_request_id,
    )
    return taken.outcome is not None, taken.line(body_id)


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """Which addresses may POST callbacks, and where to read the caller's address.

    Behind a reverse proxy the peer is the proxy: ``trusted_header`` (e.g. X-Forwarded-For)
    names the header it sets, and its last address (the one the proxy itself added) is used.
    """

    networks: Sequence[IPv4Network | IPv6Network] = ()
    trusted_header: str | None = None

    def caller(self, request: web.Request) -> str | None:
        """The caller's address as this deployment sees it."""
        if self.trusted_header:
            forwarded = request.headers.get(self.trusted_header, "")
            addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
            return addresses[-1] if addresses else None
        return request.remote

    def allows(self, request: web.Request) -> bool:
        """Whether the request comes from an allowed address (always, with no allowlist)."""
        if not self.networks:
            return True
        caller = self.caller(request)
        try:
            address = ip_address(caller or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)


class CallbackGate:
    """What every route Safaricom calls checks first: the path's secret, then the allowlist.

    A wrong secret is a 404 (as if the route did not exist), a caller outside the allowlist a
    403; past both, the body is read and stamped with its source address and time, to keep.
    """

    def __init__(self, secret: str, sources: SourceCheck | None = None) -> None:
        self._secret = secret.encode()
        self._sources = sources or SourceCheck()

    async def admit(self, request: web.Request) -> ReceivedBody:
        """The request's body as received; raises HTTPNotFound or HTTPForbidden."""
        given = request.match_info.get("secret", "").encode()
        if not secrets.compare_digest(given, self._secret):
            log.warning("callback with a wrong secret from %s refused", request.remote)
            raise web.HTTPNotFound()
        if not self._sources.allows(request):
            log.warning(
                "callback from %s, outside the allowlist, refused", self._sources.caller(request)
            )
            raise web.HTTPForbidden()
        body = await request.read()
        # A forwarded-for header can carry anything; the address is kept as storable text.
        caller = self._sources.caller(request)
        return ReceivedBody(body, storable_text(caller)[:64] if caller else None, datetime.now(UTC))


class MpesaCallbackHandler:
    """Checks, parses and settles callbacks."""

    def __init__(
        self, settlement: Settler, secret: str, sources: SourceCheck | None = None
    ) -> None:
        self._settlement = settlement
        self._gate = CallbackGate(secret, sources)

    async def handle(self, request: web.Request) -> web.Response:
        """Handle one callback POST."""
        received = await self._gate.admit(request)
        body = received.body
        taken = await take_callback(self._settlement, body, received)
        if taken.outcome is not None:
            # A settled payment has its own line ("payment … settled …"): one INFO line per
            # callback is enough; the other outcomes (duplicate, conflict, …) are worth one here.
            level = logging.DEBUG if taken.outcome is SettleOutcome.SETTLED else logging.INFO
            log.log(level, "callback for %s: %s", taken.checkout_request_id, taken.outcome.value)
            return web.json_response(ACCEPTED)
        assert taken.status is not None
        assert taken.reason is not None
        # Not settled, so not kept by the settlement: kept here, with one staff alert.
        body_id = await self._settlement.bodies.keep_unsettled(
            received,
            status=taken.status,
            reason=taken.reason,
            checkout_request_id=taken.checkout_request_id,
        )
        if taken.status is BodyStatus.REFUSED:
            log.warning("malformed callback refused and kept as %s: %s", body_id, taken.reason)
            return web.json_response({"ResultCode": 1, "ResultDesc": taken.reason}, status=400)
        return web.json_response(
            {"ResultCode": 1, "ResultDesc": f"kept as callback {body_id} for a replay"},
            status=500,
        )
