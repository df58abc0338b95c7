"""The OpenAPI description of listing, changing and cancelling orders and reading plans.

Merged into :func:`webhook.openapi.openapi_document`; written by hand beside
:mod:`webhook.order_routes`, whose routes it describes.
"""

from __future__ import annotations

from typing import Any, Final

from checkout.domain.money import MAX_AMOUNT, MIN_AMOUNT
from checkout.domain.records import OrderStatus
from checkout.platform.desk import MAX_ORDER_PAGE
from checkout.platform.orders import MAX_DESCRIPTION
from checkout.platform.ports import Blocker
from webhook.openapi_parts import (
    NULLABLE_TIME,
    REFERENCE_PARAMETER,
    TIME,
    error,
    json,
    page_parameters,
    time_parameter,
)
from webhook.order_routes import MAX_ROW_ID

BLOCKER_CODES: Final = [blocker.value for blocker in Blocker]
ORDER_STATUSES: Final = [status.value for status in OrderStatus]


def order_schemas() -> dict[str, Any]:
    """The schemas these routes add."""
    return {
        "OrderChange": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "description": "The new terms; give amount, description or both.",
            "properties": {
                "amount": {
                    "type": "integer",
                    "minimum": MIN_AMOUNT,
                    "maximum": MAX_AMOUNT,
                    "description": "The new amount due, in whole Kenyan shillings.",
                },
                "description": {
                    "type": ["string", "null"],
                    "maxLength": MAX_DESCRIPTION,
                    "description": "The new description; null clears it.",
                },
            },
        },
        "OrderPage": {
            "type": "object",
            "required": ["orders", "next_cursor"],
            "additionalProperties": False,
            "properties": {
                "orders": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}},
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as cursor for the next page; null on the last page.",
                },
            },
        },
        "Installment": {
            "type": "object",
            "required": [
                "number",
                "amount",
                "late_fee",
                "paid_amount",
                "status",
                "due_at",
                "paid_at",
                "payment_id",
            ],
            "additionalProperties": False,
            "properties": {
                "number": {"type": "integer", "description": "0 is the deposit."},
                "amount": {"type": "integer", "description": "Due, its late fee included."},
                "late_fee": {"type": "integer"},
                "paid_amount": {"type": "integer", "description": "amount once paid, else 0."},
                "status": {
                    "type": "string",
                    "enum": ["due", "paid", "overdue", "cancelled", "rolled"],
                    "description": "rolled: missed and added to the next installment.",
                },
                "due_at": TIME,
                "paid_at": NULLABLE_TIME,
                "payment_id": {
                    "type": ["integer", "null"],
                    "description": "The latest payment made for it.",
                },
            },
        },
        "Plan": {
            "type": "object",
            "required": [
                "id",
                "order_reference",
                "status",
                "phone",
                "total",
                "deposit",
                "fees",
                "paid",
                "balance",
                "created_at",
                "installments",
            ],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "order_reference": {"type": "string"},
                "status": {
                    "type": "string",
                    "enum": ["pending_deposit", "active", "overdue", "completed", "cancelled"],
                },
                "phone": {"type": "string", "description": "The paying number (2547XXXXXXXX)."},
                "total": {"type": "integer", "description": "What the plan was made for."},
                "deposit": {"type": "integer", "description": "Installment 0's amount."},
                "fees": {"type": "integer", "description": "Late fees charged so far."},
                "paid": {"type": "integer", "description": "Paid on the plan so far."},
                "balance": {"type": "integer", "description": "Still owed on the plan."},
                "created_at": TIME,
                "installments": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Installment"},
                },
            },
        },
        "PlanList": {
            "type": "object",
            "required": ["plans"],
            "additionalProperties": False,
            "properties": {
                "plans": {"type": "array", "items": {"$ref": "#/components/schemas/Plan"}}
            },
        },
    }


def order_paths(unauthorised: dict[str, Any]) -> dict[str, Any]:
    """The operations these routes add, by path (``unauthorised``: the 401 response).

    ``/orders`` and ``/orders/{reference}`` hold other operations too: the caller merges.
    """
    blocked = error(
        "Money moved on the order (error.code: " + ", ".join(BLOCKER_CODES) + "); nothing changed."
    )
    return {
        "/orders": {
            "get": {
                "operationId": "listOrders",
                "summary": "Orders by status and creation time, oldest created first.",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ORDER_STATUSES},
                    },
                    time_parameter("since", "Orders created at or after this time."),
                    time_parameter("before", "Orders created before this time."),
                    *page_parameters(MAX_ORDER_PAGE),
                ],
                "responses": {
                    "200": json("One page of orders.", "OrderPage"),
                    "400": error("A parameter is unknown or invalid."),
                    "401": unauthorised,
                },
            }
        },
        "/orders/{reference}": {
            "patch": {
                "operationId": "changeOrder",
                "summary": "Change an order's amount and/or description while no money moved.",
                "parameters": [REFERENCE_PARAMETER],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/OrderChange"}}
                    },
                },
                "responses": {
                    "200": json("The order as changed.", "Order"),
                    "400": error("Not a valid reference, or a field breaks a rule."),
                    "401": unauthorised,
                    "404": error("No order has this reference."),
                    "409": blocked,
                },
            }
        },
        "/orders/{reference}/cancel": {
            "post": {
                "operationId": "cancelOrder",
                "summary": "Cancel an order no money moved on (again: the cancelled order).",
                "parameters": [REFERENCE_PARAMETER],
                "responses": {
                    "200": json("The cancelled order.", "Order"),
                    "400": error("Not a valid reference."),
                    "401": unauthorised,
                    "404": error("No order has this reference."),
                    "409": blocked,
                },
            }
        },
        "/orders/{reference}/plans": {
            "get": {
                "operationId": "listOrderPlans",
                "summary": "Every Buy-Now-Pay-Later plan made for an order, oldest first.",
                "parameters": [REFERENCE_PARAMETER],
                "responses": {
                    "200": json("The order's plans.", "PlanList"),
                    "400": error("Not a valid reference."),
                    "401": unauthorised,
                    "404": error("No order has this reference."),
                },
            }
        },
        "/plans/{id}": {
            "get": {
                "operationId": "getPlan",
                "summary": "A Buy-Now-Pay-Later plan with its installments.",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID},
                    }
                ],
                "responses": {
                    "200": json("The plan.", "Plan"),
                    "400": error("Not a plan id."),
                    "401": unauthorised,
                    "404": error("No plan has this id."),
                },
            }
        },
    }
