"""The M-Pesa callback route: Safaricom POSTs each STK push's outcome here.

Safaricom does not sign callbacks, so the route's path carries a secret (wrong secret: 404,
as if the route did not exist). A malformed body gets a 400 and changes nothing; a good one is
settled through the same code path as status queries and acknowledged at once.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from aiohttp import web

from checkout.ports import PaymentResult
from checkout.settlement import SettlementService
from daraja import CallbackError, StkCallback, parse_callback

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


class MpesaCallbackHandler:
    """Checks, parses and settles callbacks."""

    def __init__(self, settlement: SettlementService, secret: str) -> None:
        self._settlement = settlement
        self._secret = secret.encode()

    async def handle(self, request: web.Request) -> web.Response:
        """Handle one callback POST."""
        given = request.match_info.get("secret", "").encode()
        if not secrets.compare_digest(given, self._secret):
            log.warning("callback with a wrong secret from %s refused", request.remote)
            raise web.HTTPNotFound()
        body = await request.read()
        try:
            callback = parse_callback(body)
        except CallbackError as error:
            log.warning("malformed callback refused: %s", error)
            return web.json_response({"ResultCode": 1, "ResultDesc": str(error)}, status=400)
        raw: dict[str, Any] = json.loads(body)
        outcome = await self._settlement.settle(
            result_from_callback(callback), source="callback", raw=raw
        )
        log.info("callback for %s: %s", callback.checkout_request_id, outcome.value)
        return web.json_response(ACCEPTED)
