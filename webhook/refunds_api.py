"""``POST /api/refunds`` and ``GET /api/refunds/{id}``: the platform asks for refunds too.

A refund asked through the API is a request like a staff user's ``/refund``: the staff approve
it in chat (any staff user may, since no staff user asked). ``reference`` makes the request
idempotent: the same request again answers 200 with the same refund; the reference with
other terms answers 409. Mounted by :class:`webhook.api.OrdersApi` when refunds are on.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from checkout.domain.money import MAX_AMOUNT
from checkout.domain.refunds import RefundOutcome
from checkout.i18n.refunds import outcome_text
from checkout.platform.views import refund_view
from checkout.refunds.desk import MAX_REASON, RefundAnswer, RefundDesk
from checkout.refunds.rules import API_ACTOR

REFUND_FIELDS: Final = frozenset({"receipt", "amount", "reason", "reference"})
MAX_REFERENCE: Final = 64
MAX_REFUND_ID: Final = 2**31 - 1
_RECEIPT_PATTERN: Final = "^[A-Za-z0-9]{8,12}$"
# Refusals: the status and the field at fault.
_REFUSALS: Final[dict[RefundOutcome, tuple[int, str]]] = {
    RefundOutcome.NO_PAYMENT: (404, "receipt"),
    RefundOutcome.NOT_PAID: (409, "receipt"),
    RefundOutcome.TOO_OLD: (409, "receipt"),
    RefundOutcome.BAD_AMOUNT: (400, "amount"),
    RefundOutcome.TOO_MUCH: (409, "amount"),
    RefundOutcome.REFERENCE_TAKEN: (409, "reference"),
}


class RefundRefused(Exception):
    """A refusal for the API's error middleware: status, field, message."""

    def __init__(self, status: int, field: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message


def check_request(body: dict[str, Any]) -> tuple[str, int | None, str | None, str | None]:
    """The receipt, amount, reason and reference of a body; raises :class:`RefundRefused`."""
    unknown = sorted(set(body) - REFUND_FIELDS)
    if unknown:
        raise RefundRefused(400, unknown[0], "unknown field")
    receipt = body.get("receipt")
    if not isinstance(receipt, str) or not (8 <= len(receipt) <= 12) or not receipt.isalnum():
        raise RefundRefused(400, "receipt", "must be the payment's M-Pesa receipt (8-12 letters)")
    if not receipt.isascii():
        raise RefundRefused(400, "receipt", "must be the payment's M-Pesa receipt (8-12 letters)")
    amount = body.get("amount")
    if amount is not None and (
        not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT
    ):
        raise RefundRefused(400, "amount", f"must be whole shillings from 1 to {MAX_AMOUNT:,}")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise RefundRefused(400, "reason", f"must be text of at most {MAX_REASON} characters")
    reference = body.get("reference")
    if reference is not None and (
        not isinstance(reference, str)
        or not 1 <= len(reference) <= MAX_REFERENCE
        or not reference.isprintable()
    ):
        raise RefundRefused(400, "reference", f"must be 1 to {MAX_REFERENCE} printable characters")
    return receipt.upper(), amount, reason, reference


class RefundRoutes:
    """The refund routes of the API."""

    def __init__(self, desk: RefundDesk) -> None:
        self._desk = desk

    async def create(self, body: dict[str, Any]) -> web.Response:
        """``POST /api/refunds``: 201 with the new request, 200 with the same one again."""
        receipt, amount, reason, reference = check_request(body)
        answer = await self._desk.request(
            receipt, amount=amount, reason=reason, by=API_ACTOR, api_reference=reference
        )
        if answer.outcome in (RefundOutcome.REQUESTED, RefundOutcome.SAME) and answer.view:
            status = 201 if answer.outcome is RefundOutcome.REQUESTED else 200
            return web.json_response(refund_view(answer.view.refund), status=status)
        raise self._refused(answer, receipt)

    async def read(self, request: web.Request) -> web.Response:
        """``GET /api/refunds/{id}``: the refund and its state."""
        text = request.match_info["id"]
        if not text.isdigit() or not 1 <= int(text) <= MAX_REFUND_ID:
            raise RefundRefused(400, "id", "must be a refund id (a whole number)")
        view = await self._desk.get(int(text))
        if view is None:
            raise RefundRefused(404, "id", f"no refund {text}")
        return web.json_response(refund_view(view.refund))

    def _refused(self, answer: RefundAnswer, receipt: str) -> RefundRefused:
        status, field = _REFUSALS.get(answer.outcome, (409, ""))
        rules = self._desk.rules
        message = outcome_text(
            "en",
            answer.outcome,
            answer.view,
            receipt=receipt,
            left=answer.left,
            limit=rules.daily_limit,
            days=rules.max_age.days,
        )
        return RefundRefused(status, field or None, message)


def refund_schemas() -> dict[str, Any]:
    """The OpenAPI schemas of the refund routes."""
    nullable_time = {"type": ["string", "null"], "format": "date-time"}
    return {
        "NewRefund": {
            "type": "object",
            "required": ["receipt"],
            "additionalProperties": False,
            "properties": {
                "receipt": {
                    "type": "string",
                    "pattern": _RECEIPT_PATTERN,
                    "description": "The M-Pesa receipt of the paid payment to refund.",
                },
                "amount": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "maximum": MAX_AMOUNT,
                    "description": "Whole shillings; omit it for all that is left of the payment.",
                },
                "reason": {"type": ["string", "null"], "maxLength": MAX_REASON},
                "reference": {
                    "type": ["string", "null"],
                    "minLength": 1,
                    "maxLength": MAX_REFERENCE,
                    "description": (
                        "Your reference: asking is idempotent on it (the same request again "
                        "answers 200 with the same refund; other terms answer 409)."
                    ),
                },
            },
        },
        "Refund": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "id",
                "payment_id",
                "order_reference",
                "receipt_number",
                "amount",
                "reason",
                "state",
                "method",
                "reference",
                "transaction_id",
                "failure",
                "result_code",
                "requested_at",
                "decided_at",
                "finished_at",
            ],
            "properties": {
                "id": {"type": "integer"},
                "payment_id": {"type": "integer"},
                "order_reference": {"type": "string"},
                "receipt_number": {"type": "string"},
                "amount": {"type": "integer"},
                "reason": {"type": ["string", "null"]},
                "state": {
                    "type": "string",
                    "enum": [
                        "requested",
                        "approved",
                        "rejected",
                        "expired",
                        "sending",
                        "sent",
                        "completed",
                        "failed",
                    ],
                    "description": (
                        "requested waits for a staff user's approval in chat; completed means "
                        "the money went back."
                    ),
                },
                "method": {"type": ["string", "null"], "enum": ["reversal", "b2c", None]},
                "reference": {"type": ["string", "null"]},
                "transaction_id": {
                    "type": ["string", "null"],
                    "description": "M-Pesa's reference of the money going back.",
                },
                "failure": {"type": ["string", "null"]},
                "result_code": {"type": ["string", "null"]},
                "requested_at": {"type": "string", "format": "date-time"},
                "decided_at": nullable_time,
                "finished_at": nullable_time,
            },
        },
    }


def refund_paths(json: Any, error: Any, unauthorised: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The OpenAPI paths of the refund routes (``json``/``error`` build responses)."""
    return {
        "/refunds": {
            "post": {
                "operationId": "createRefund",
                "summary": "Ask for a refund, approved by staff in chat (idempotent).",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewRefund"}}
                    },
                },
                "responses": {
                    "201": json("The refund was asked for.", "Refund"),
                    "200": json("The same request was made before: the refund.", "Refund"),
                    "400": error("A field is missing, unknown or breaks a rule."),
                    "401": unauthorised,
                    "404": error("No payment has this receipt."),
                    "409": error(
                        "Not refundable: not paid, too old, more than is left, or the "
                        "reference names another refund."
                    ),
                },
            }
        },
        "/refunds/{id}": {
            "get": {
                "operationId": "getRefund",
                "summary": "A refund and its state.",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_REFUND_ID},
                    }
                ],
                "responses": {
                    "200": json("The refund.", "Refund"),
                    "400": error("Not a refund id."),
                    "401": unauthorised,
                    "404": error("No refund has this id."),
                },
            }
        },
    }
