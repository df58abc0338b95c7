"""The orders API for the business's platform: create, list, read, change and cancel orders,
page settled payments, read plans (and ask for refunds, when those are on).

Mounted under ``/api`` as a sub-application with its own bearer-token check. Every answer is
JSON; every refusal is ``{"error": {"field": ..., "message": ...}}`` with the field at fault
(null when no one field is) and, for a refusal caused by the order's state, a ``code``.
``/api/openapi.json`` describes exactly these routes.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Handler

from checkout.conversation.links import pay_link, web_pay_link, whatsapp_pay_link
from checkout.domain.references import parse_order_reference
from checkout.domain.summaries import PaymentCursor
from checkout.platform.desk import OrderDetails
from checkout.platform.orders import (
    MAX_PAGE,
    OrderConflict,
    OrderInputError,
    OrderService,
    order_request,
)
from checkout.platform.views import order_view, payment_view, refund_view, timestamp
from webhook.api_common import (
    ApiError,
    decode_position,
    encode_position,
    error_response,
    json_object,
    page_limit,
    parse_time,
    single_query,
)
from webhook.openapi import openapi_document
from webhook.order_routes import OrderRoutes
from webhook.refunds_api import RefundRefused, RefundRoutes, refund_paths, refund_schemas

log = logging.getLogger(__name__)

API_PREFIX: Final = "/api"
ORDER_FIELDS: Final = frozenset({"reference", "amount", "customer_phone", "description"})
PAGE_PARAMETERS: Final = frozenset({"since", "limit", "cursor"})
DEFAULT_PAGE: Final = 100
# Payment ids are the databases' 32-bit integer keys; a larger one is no cursor of ours.
MAX_PAYMENT_ID: Final = 2**31 - 1
_PUBLIC: Final = frozenset({"/openapi.json"})


def encode_cursor(cursor: PaymentCursor) -> str:
    """An opaque page cursor: base64url of the last payment's settle time and id."""
    return encode_position(cursor.settled_at, cursor.payment_id)


def decode_cursor(text: str) -> PaymentCursor:
    """The cursor :func:`encode_cursor` made; raises ValueError for anything else."""
    settled_at, payment_id = decode_position(text, max_id=MAX_PAYMENT_ID)
    return PaymentCursor(settled_at=settled_at, payment_id=payment_id)


class OrdersApi:
    """The ``/api`` routes, their token check and their OpenAPI description."""

    def __init__(
        self,
        orders: OrderService,
        *,
        token: str,
        bot_username: str | None,
        server_url: str,
        web_base_url: str | None = None,
        whatsapp_number: str | None = None,
        refunds: RefundRoutes | None = None,
    ) -> None:
        """``bot_username``: the Telegram bot whose links orders carry (None: no Telegram).

        ``refunds``: the refund routes (``/refunds``), served and described when given.

        ``web_base_url``: where the web checkout serves orders' pages (None: it is off);
        ``whatsapp_number``: the business's WhatsApp number, for wa.me links (None: none).
        """
        self._whatsapp_number = whatsapp_number
        self._orders = orders
        self._web_base_url = web_base_url
        self._token = token.encode()
        self._bot_username = bot_username
        self._document = openapi_document(server_url)
        self._refunds = refunds
        self._routes = OrderRoutes(orders.desk, self._order)
        if refunds is not None:
            paths = refund_paths(_json_response_spec, _error_spec, _unauthorised_spec())
            self._document["paths"].update(paths)
            self._document["components"]["schemas"] = {
                **self._document["components"]["schemas"],
                **refund_schemas(),
            }

    def application(self) -> web.Application:
        """The sub-application to mount at ``/api``."""
        app = web.Application(middlewares=[self._guard])
        app.router.add_post("/orders", self.create_order)
        app.router.add_get("/orders/{reference}", self.get_order)
        self._routes.install(app)
        app.router.add_get("/payments", self.list_payments)
        app.router.add_get("/openapi.json", self.openapi)
        if self._refunds is not None:
            app.router.add_post("/refunds", self.create_refund)
            app.router.add_get("/refunds/{id}", self.get_refund)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Check the bearer token (except on the public description); answer ApiErrors."""
        route = request.match_info.route.resource
        relative = (route.canonical if route is not None else "").removeprefix(API_PREFIX)
        if relative not in _PUBLIC and not self._authorised(request):
            return error_response(401, None, "missing or wrong bearer token")
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error.status, error.field, error.message, error.code)

    def _authorised(self, request: web.Request) -> bool:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return secrets.compare_digest(given.strip().encode(), self._token)

    def _order(self, details: OrderDetails) -> dict[str, Any]:
        """An order as the platform reads it: its links, times, payments and refunds."""
        order = details.listed.order
        link = None
        if self._bot_username is not None:
            link = pay_link(self._bot_username, order.reference)
        view = order_view(order, link, details.payments)
        view["web_url"] = (
            None
            if self._web_base_url is None
            else web_pay_link(self._web_base_url, order.reference)
        )
        view["whatsapp_url"] = (
            whatsapp_pay_link(self._whatsapp_number, order.reference)
            if self._whatsapp_number
            else None
        )
        view["refunds"] = [refund_view(refund) for refund in details.refunds]
        view["created_at"] = timestamp(details.listed.created_at)
        view["updated_at"] = timestamp(details.listed.updated_at)
        view["cancelled_at"] = timestamp(details.listed.cancelled_at)
        return view

    async def create_order(self, request: web.Request) -> web.Response:
        """``POST /api/orders``: 201 with the new order, 200 with the same one for a repeat."""
        body = await json_object(request)
        unknown = sorted(set(body) - ORDER_FIELDS)
        if unknown:
            raise ApiError(400, unknown[0], "unknown field")
        if body.get("amount") is None:
            raise ApiError(400, "amount", "is required")
        try:
            checked = order_request(
                amount=body.get("amount"),
                reference=body.get("reference"),
                customer_phone=body.get("customer_phone"),
                description=body.get("description"),
            )
        except OrderInputError as error:
            raise ApiError(400, error.field, error.message) from None
        try:
            opened = await self._orders.open(checked)
        except OrderConflict as conflict:
            raise ApiError(409, conflict.field, conflict.message) from None
        details = await self._orders.desk.details(opened.order.reference)
        if details is None:  # orders are never deleted
            raise LookupError(f"order {opened.order.reference} vanished")
        if opened.created:
            log.info("order %s created through the API", opened.order.reference)
        return web.json_response(self._order(details), status=201 if opened.created else 200)

    async def get_order(self, request: web.Request) -> web.Response:
        """``GET /api/orders/{reference}``: the order, what is paid and its payments."""
        reference = parse_order_reference(request.match_info["reference"])
        if reference is None:
            raise ApiError(400, "reference", "must be 1 to 12 letters, digits or hyphens")
        details = await self._orders.desk.details(reference)
        if details is None:
            raise ApiError(404, "reference", f"no order {reference}")
        return web.json_response(self._order(details))

    async def list_payments(self, request: web.Request) -> web.Response:
        """``GET /api/payments?since=…``: settled payments in settle order, a page at a time."""
        query = single_query(request, PAGE_PARAMETERS)
        if "since" not in query:
            raise ApiError(400, "since", "is required (an ISO 8601 time with its zone)")
        try:
            since = parse_time(query["since"])
        except ValueError:
            raise ApiError(400, "since", "must be an ISO 8601 time with its zone") from None
        limit = page_limit(query, default=DEFAULT_PAGE, maximum=MAX_PAGE)
        after = None
        if "cursor" in query:
            try:
                after = decode_cursor(query["cursor"])
            except ValueError:
                raise ApiError(400, "cursor", "must be a next_cursor from this API") from None
        page = await self._orders.settled_payments(since=since, after=after, limit=limit)
        return web.json_response(
            {
                "payments": [payment_view(payment) for payment in page.payments],
                "next_cursor": encode_cursor(page.next_cursor) if page.next_cursor else None,
            }
        )

    async def create_refund(self, request: web.Request) -> web.Response:
        """``POST /api/refunds``: ask for a refund the staff approve in chat."""
        assert self._refunds is not None
        body = await json_object(request)
        try:
            return await self._refunds.create(body)
        except RefundRefused as refused:
            raise ApiError(refused.status, refused.field, refused.message) from None

    async def get_refund(self, request: web.Request) -> web.Response:
        """``GET /api/refunds/{id}``: a refund and its state."""
        assert self._refunds is not None
        try:
            return await self._refunds.read(request)
        except RefundRefused as refused:
            raise ApiError(refused.status, refused.field, refused.message) from None

    async def openapi(self, _request: web.Request) -> web.Response:
        """``GET /api/openapi.json``: the OpenAPI 3.1 description of these routes."""
        return web.json_response(self._document)


def _json_response_spec(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _error_spec(description: str) -> dict[str, Any]:
    return _json_response_spec(description, "Error")


def _unauthorised_spec() -> dict[str, Any]:
    return _error_spec("Missing or wrong bearer token (API_TOKEN).")
