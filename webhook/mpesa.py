"""The M-Pesa callback route: Safaricom POSTs each STK push's outcome here.

Safaricom does not sign callbacks, so the route's path carries a secret (wrong secret: 404,
as if the route did not exist). A malformed body gets a 400 and changes nothing; a good one is
settled through the same code path as status queries and acknowledged at once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address

from aiohttp import web

from checkout.batching import Settler
from checkout.ports import PaymentResult
from daraja import CallbackError, StkCallback, load_callback, parse_callback

log = logging.getLogger(__name__)

ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
CALLBACK_PATH = "/mpesa/callback/{secret}"


def callback_path(secret: str) -> str:
    """The callback route's path for ``secret``."""
    return CALLBACK_PATH.format(secret=secret)


def result_from_callback(callback: StkCallback) -> PaymentResult:
    """The checkout's view of a parsed callback."""
    return PaymentResult(
        checkout_request_id=callback.checkout_request_id,
        merchant_request_id=callback.merchant_request_id,
        result_code=callback.result_code,
        result_description=callback.result_desc,
        amount=callback.amount,
        receipt_number=callback.receipt_number,
        phone=callback.phone,
        transaction_date=callback.transaction_date,
    )


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


class MpesaCallbackHandler:
    """Checks, parses and settles callbacks."""

    def __init__(
        self, settlement: Settler, secret: str, sources: SourceCheck | None = None
    ) -> None:
        self._settlement = settlement
        self._secret = secret.encode()
        self._sources = sources or SourceCheck()

    async def handle(self, request: web.Request) -> web.Response:
        """Handle one callback POST."""
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
        try:
            # Parsed once: the same object is checked and kept as the audit record.
            raw = load_callback(body)
            callback = parse_callback(raw)
        except CallbackError as error:
            log.warning("malformed callback refused: %s", error)
            return web.json_response({"ResultCode": 1, "ResultDesc": str(error)}, status=400)
        outcome = await self._settlement.settle(
            result_from_callback(callback), source="callback", raw=raw
        )
        log.info("callback for %s: %s", callback.checkout_request_id, outcome.value)
        return web.json_response(ACCEPTED)
