"""The orders API beyond creating and reading one order: list orders, change or cancel one
while no money moved on it, and read Buy-Now-Pay-Later plans.

``GET /api/orders`` pages like ``GET /api/payments`` (``limit``, an opaque ``cursor``, and
``next_cursor`` in the answer). A change or cancellation refused because money moved answers
409 with the usual error and a ``code`` naming why (``order_paid``, ``order_refunded``,
``order_cancelled``, ``payment_in_flight``, ``plan_exists``); nothing changed then.
Mounted by :class:`webhook.api.OrdersApi`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from checkout.domain.records import OrderStatus
from checkout.domain.references import parse_order_reference
from checkout.platform.desk import (
    MAX_ORDER_PAGE,
    OrderBlocked,
    OrderDesk,
    OrderDetails,
    OrderMissing,
)
from checkout.platform.orders import OrderInputError, order_change
from checkout.platform.ports import Blocker, OrderCursor, OrderFilter
from checkout.platform.views import plan_view
from webhook.api_common import (
    ApiError,
    decode_position,
    encode_position,
    json_object,
    page_limit,
    parse_time,
    single_query,
)

LIST_PARAMETERS: Final = frozenset({"status", "since", "before", "limit", "cursor"})
CHANGE_FIELDS: Final = frozenset({"amount", "description"})
DEFAULT_PAGE: Final = 100
# Row ids are the databases' 32-bit integer keys; a larger one is no id of ours.
MAX_ROW_ID: Final = 2**31 - 1
_STATUSES: Final = ", ".join(status.value for status in OrderStatus)
# What each refusal says, in the API's words (the code says the same for programs).
BLOCKED: Final[dict[Blocker, str]] = {
    Blocker.ORDER_PAID: "money was paid on this order: it can no longer change",
    Blocker.ORDER_REFUNDED: "this order was paid and refunded: it is closed",
    Blocker.ORDER_CANCELLED: "this order is cancelled: it can no longer change",
    Blocker.PAYMENT_IN_FLIGHT: (
        "an M-Pesa prompt for this order awaits the customer's answer: try again once it ends"
    ),
    Blocker.PLAN_EXISTS: "a pay-later plan was made for this order: it can no longer change",
}

OrderViewer = Callable[[OrderDetails], dict[str, Any]]


def reference_of(request: web.Request) -> str:
    """The order reference in the path, or a 400."""
    reference = parse_order_reference(request.match_info["reference"])
    if reference is None:
        raise ApiError(400, "reference", "must be 1 to 12 letters, digits or hyphens")
    return reference


def order_filter(request: web.Request) -> tuple[OrderFilter, OrderCursor | None, int]:
    """The filter, cursor and limit of a listing request, or a 400 naming the parameter."""
    query = single_query(request, LIST_PARAMETERS)
    status = None
    if "status" in query:
        try:
            status = OrderStatus(query["status"])
        except ValueError:
            raise ApiError(400, "status", f"must be one of {_STATUSES}") from None
    times = {}
    for name in ("since", "before"):
        if name in query:
            try:
                times[name] = parse_time(query[name])
            except ValueError:
                raise ApiError(400, name, "must be an ISO 8601 time with its zone") from None
    limit = page_limit(query, default=DEFAULT_PAGE, maximum=MAX_ORDER_PAGE)
    after = None
    if "cursor" in query:
        try:
            at, row_id = decode_position(query["cursor"], max_id=MAX_ROW_ID)
        except ValueError:
            raise ApiError(400, "cursor", "must be a next_cursor from this API") from None
        after = OrderCursor(created_at=at, order_id=row_id)
    chosen = OrderFilter(status=status, since=times.get("since"), before=times.get("before"))
    return chosen, after, limit


class OrderRoutes:
    """``GET /orders``, ``PATCH /orders/{reference}``, ``POST /orders/{reference}/cancel``,
    ``GET /orders/{reference}/plans`` and ``GET /plans/{id}``."""

    def __init__(self, desk: OrderDesk, view: OrderViewer) -> None:
        """``view``: an order's JSON (with the links only the API knows)."""
        self._desk = desk
        self._view = view

    def install(self, app: web.Application) -> None:
        """Add the routes to the ``/api`` sub-application."""
        app.router.add_get("/orders", self.list_orders)
        app.router.add_patch("/orders/{reference}", self.change_order)
        app.router.add_post("/orders/{reference}/cancel", self.cancel_order)
        app.router.add_get("/orders/{reference}/plans", self.order_plans)
        app.router.add_get("/plans/{id}", self.get_plan)

    async def list_orders(self, request: web.Request) -> web.Response:
        """``GET /api/orders``: orders by status and creation time, oldest first, paged."""
        chosen, after, limit = order_filter(request)
        page = await self._desk.page(chosen, after=after, limit=limit)
        cursor = page.next_cursor
        return web.json_response(
            {
                "orders": [self._view(order) for order in page.orders],
                "next_cursor": (
                    encode_position(cursor.created_at, cursor.order_id) if cursor else None
                ),
            }
        )

    async def change_order(self, request: web.Request) -> web.Response:
        """``PATCH /api/orders/{reference}``: new amount and/or description, while unpaid."""
        reference = reference_of(request)
        body = await json_object(request)
        unknown = sorted(set(body) - CHANGE_FIELDS)
        if unknown:
            raise ApiError(400, unknown[0], "unknown field (only amount and description change)")
        try:
            change = order_change(body)
        except OrderInputError as error:
            raise ApiError(400, error.field, error.message) from None
        try:
            changed = await self._desk.change(reference, change)
        except OrderMissing:
            raise ApiError(404, "reference", f"no order {reference}") from None
        except OrderBlocked as blocked:
            raise _refusal(blocked) from None
        return web.json_response(self._view(changed))

    async def cancel_order(self, request: web.Request) -> web.Response:
        """``POST /api/orders/{reference}/cancel``: cancel an unpaid order (again: the same)."""
        reference = reference_of(request)
        try:
            cancelled = await self._desk.cancel(reference)
        except OrderMissing:
            raise ApiError(404, "reference", f"no order {reference}") from None
        except OrderBlocked as blocked:
            raise _refusal(blocked) from None
        return web.json_response(self._view(cancelled))

    async def order_plans(self, request: web.Request) -> web.Response:
        """``GET /api/orders/{reference}/plans``: every plan made for the order."""
        reference = reference_of(request)
        plans = await self._desk.plans_for(reference)
        if plans is None:
            raise ApiError(404, "reference", f"no order {reference}")
        return web.json_response({"plans": [plan_view(plan) for plan in plans]})

    async def get_plan(self, request: web.Request) -> web.Response:
        """``GET /api/plans/{id}``: a plan with its installments."""
        text = request.match_info["id"]
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ROW_ID:
            raise ApiError(400, "id", "must be a plan id (a whole number)")
        plan = await self._desk.plan(int(text))
        if plan is None:
            raise ApiError(404, "id", f"no plan {text}")
        return web.json_response(plan_view(plan))


def _refusal(blocked: OrderBlocked) -> ApiError:
    return ApiError(409, None, BLOCKED[blocked.blocker], code=blocked.blocker.value)
