"""The OpenAPI 3.1 description of the orders API, served at ``/api/openapi.json``.

Written by hand next to the routes it describes; a test walks it and checks every path,
method, parameter, status and schema against the running application.
"""

from __future__ import annotations

from typing import Any, Final

from checkout.domain.money import MAX_AMOUNT, MIN_AMOUNT
from checkout.platform.orders import MAX_DESCRIPTION, MAX_PAGE
from webhook.openapi_orders import BLOCKER_CODES, ORDER_STATUSES, order_paths, order_schemas
from webhook.openapi_parts import (
    NULLABLE_TIME,
    REFERENCE_PARAMETER,
    REFERENCE_PATTERN,
    TIME,
    error,
    json,
    page_parameters,
    time_parameter,
)
from webhook.refunds_api import refund_schemas

_SCHEMAS: Final[dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["field", "message"],
                "additionalProperties": False,
                "properties": {
                    "field": {
                        "type": ["string", "null"],
                        "description": "The field or parameter at fault; null if none is.",
                    },
                    "message": {"type": "string", "description": "Why it was refused."},
                    "code": {
                        "type": "string",
                        "enum": BLOCKER_CODES,
                        "description": (
                            "Only on a refusal the order's state caused (409): which state."
                        ),
                    },
                },
            }
        },
    },
    "NewOrder": {
        "type": "object",
        "required": ["amount"],
        "additionalProperties": False,
        "properties": {
            "reference": {
                "type": ["string", "null"],
                "pattern": REFERENCE_PATTERN,
                "description": (
                    "Your reference (upper-cased; shown on the customer's M-Pesa prompt). "
                    "Creating is idempotent on it: the same request again answers 200 with the "
                    "same order; other terms for it answer 409. Omit it to get a generated one."
                ),
            },
            "amount": {
                "type": "integer",
                "minimum": MIN_AMOUNT,
                "maximum": MAX_AMOUNT,
                "description": "What the customer owes, in whole Kenyan shillings.",
            },
            "customer_phone": {
                "type": ["string", "null"],
                "description": "The customer's Kenyan mobile number, e.g. 0712345678.",
            },
            "description": {
                "type": ["string", "null"],
                "maxLength": MAX_DESCRIPTION,
                "description": "What the order is for.",
            },
        },
    },
    "Payment": {
        "type": "object",
        "required": [
            "id",
            "order_reference",
            "amount",
            "status",
            "result_code",
            "receipt_number",
            "phone",
            "channel",
            "created_at",
            "settled_at",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer"},
            "order_reference": {"type": "string"},
            "amount": {"type": "integer"},
            "status": {
                "type": "string",
                "enum": ["pending", "paid", "failed", "cancelled", "expired", "mismatched"],
            },
            "result_code": {"type": ["integer", "null"], "description": "Daraja's ResultCode."},
            "receipt_number": {"type": ["string", "null"], "description": "M-Pesa receipt."},
            "phone": {"type": "string", "description": "The paying number (2547XXXXXXXX)."},
            "channel": {"type": "string"},
            "created_at": TIME,
            "settled_at": NULLABLE_TIME,
        },
    },
    "Order": {
        "type": "object",
        "required": [
            "reference",
            "status",
            "amount_due",
            "amount_paid",
            "balance",
            "description",
            "customer_phone",
            "pay_url",
            "web_url",
            "whatsapp_url",
            "payments",
            "refunds",
            "created_at",
            "updated_at",
            "cancelled_at",
        ],
        "additionalProperties": False,
        "properties": {
            "reference": {"type": "string"},
            "status": {
                "type": "string",
                "enum": ORDER_STATUSES,
                "description": (
                    "refunded: everything paid on it went back (refunds); cancelled: "
                    "cancelled through this API before any money moved (it cannot be paid)."
                ),
            },
            "amount_due": {"type": "integer"},
            "amount_paid": {"type": "integer"},
            "balance": {"type": "integer", "description": "amount_due - amount_paid, at least 0."},
            "description": {"type": ["string", "null"]},
            "customer_phone": {
                "type": ["string", "null"],
                "description": "The customer's number as given (2547XXXXXXXX), if any.",
            },
            "pay_url": {
                "type": ["string", "null"],
                "description": (
                    "Telegram deep link that opens the checkout at this order; "
                    "null when the service runs without Telegram."
                ),
            },
            "web_url": {
                "type": ["string", "null"],
                "description": (
                    "The order's payment page for any browser (PUBLIC_BASE_URL/pay/<reference>); "
                    "null when the web checkout is off."
                ),
            },
            "whatsapp_url": {
                "type": ["string", "null"],
                "description": (
                    "wa.me link that opens the business's WhatsApp chat with "
                    '"PAY <reference>" typed; null without WHATSAPP_DISPLAY_NUMBER.'
                ),
            },
            "payments": {"type": "array", "items": {"$ref": "#/components/schemas/Payment"}},
            "refunds": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Refund"},
                "description": "Refunds of its payments, oldest first.",
            },
            "created_at": TIME,
            "updated_at": TIME,
            "cancelled_at": NULLABLE_TIME,
        },
    },
    "PaymentPage": {
        "type": "object",
        "required": ["payments", "next_cursor"],
        "additionalProperties": False,
        "properties": {
            "payments": {"type": "array", "items": {"$ref": "#/components/schemas/Payment"}},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as cursor for the next page; null on the last page.",
            },
        },
    },
}


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI document, with ``server_url`` (the public base URL) as its server."""
    unauthorised = error("Missing or wrong bearer token (API_TOKEN).")
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Lipa orders API",
            "version": "1",
            "description": (
                "Create orders customers pay by M-Pesa through Lipa's checkout, list, read, "
                "change and cancel them, read their pay-later plans, and page through settled "
                "payments. Amounts are whole shillings; phone numbers are whole (2547XXXXXXXX)."
            ),
        },
        "servers": [{"url": server_url.rstrip("/") + "/api"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {**_SCHEMAS, "Refund": refund_schemas()["Refund"], **order_schemas()},
        },
        "paths": {
            "/orders": {
                "post": {
                    "operationId": "createOrder",
                    "summary": "Create an order (idempotent on its reference).",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewOrder"}
                            }
                        },
                    },
                    "responses": {
                        "201": json("The order was created.", "Order"),
                        "200": json("The same request was made before: the order.", "Order"),
                        "400": error("A field is missing, unknown or breaks a rule."),
                        "401": unauthorised,
                        "409": error("The reference belongs to an order with other terms."),
                    },
                }
            },
            "/orders/{reference}": {
                "get": {
                    "operationId": "getOrder",
                    "summary": "An order: what is due and paid, and its payments.",
                    "parameters": [REFERENCE_PARAMETER],
                    "responses": {
                        "200": json("The order.", "Order"),
                        "400": error("Not a valid reference."),
                        "401": unauthorised,
                        "404": error("No order has this reference."),
                    },
                }
            },
            "/payments": {
                "get": {
                    "operationId": "listSettledPayments",
                    "summary": "Settled payments (any final status), oldest settled first.",
                    "parameters": [
                        time_parameter(
                            "since", "Payments settled at or after this time.", required=True
                        ),
                        *page_parameters(MAX_PAGE),
                    ],
                    "responses": {
                        "200": json("One page of settled payments.", "PaymentPage"),
                        "400": error("A parameter is missing, unknown or invalid."),
                        "401": unauthorised,
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This description.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
    }
    for path, operations in order_paths(unauthorised).items():
        document["paths"].setdefault(path, {}).update(operations)
    return document
