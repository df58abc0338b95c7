"""The simulator's endpoints beyond STK Push, and its control routes.

Daraja's (bearer token, faults and field checks as for STK):
``POST /mpesa/c2b/v2/registerurl`` (and ``v1``), ``POST /mpesa/c2b/v1/simulate``,
``POST /mpesa/transactionstatus/v1/query``, ``POST /mpesa/reversal/v1/request``,
``POST /mpesa/b2c/v3/paymentrequest`` (and ``v1``), ``POST /pulltransactions/v1/register``,
``POST /pulltransactions/v1/query``.

Control (the simulator's own, no token): ``POST /simulator/c2b/pay {phone, amount, account,
shortcode?}`` pays a paybill or till as a customer would and answers what became of it;
``GET /simulator/certificate`` serves the certificate to encrypt the initiator password with;
``GET /simulator/phones/{msisdn}/messages`` lists the SMS a phone received;
``GET /simulator/ledger`` lists every transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from daraja.signing import NAIROBI
from daraja.simulator.c2b import msisdn, whole_amount
from daraja.simulator.engine import SimulatedDaraja
from daraja.simulator.faults import Endpoint, Fault
from daraja.simulator.keys import simulator_keys
from daraja.simulator.rules import Rejection
from daraja.simulator.web_common import SIMULATOR_KEY, faulty, json_body, respond

Handle = Callable[[SimulatedDaraja, Any], dict[str, Any]]
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _daraja_route(endpoint: Endpoint, handle: Handle) -> Route:
    async def route(request: web.Request) -> web.StreamResponse:
        daraja = request.app[SIMULATOR_KEY]
        fault = daraja.received(endpoint)
        if fault is not None and fault is not Fault.ACCEPT_THEN_HANG:
            return await faulty(daraja, fault)
        refusal = daraja.check_bearer(request.headers.get("Authorization"))
        if refusal is not None:
            return respond(refusal)
        try:
            answer = handle(daraja, await json_body(request))
        except Rejection as rejection:
            return respond(daraja.error(rejection))
        if fault is Fault.ACCEPT_THEN_HANG:
            return await faulty(daraja, Fault.HANG)
        return web.json_response(answer)

    return route


async def c2b_pay(request: web.Request) -> web.Response:
    """``POST /simulator/c2b/pay``: a customer pays the paybill/till with any account."""
    daraja = request.app[SIMULATOR_KEY]
    body = await json_body(request)
    if not isinstance(body, dict):
        return web.json_response({"error": "send a JSON object"}, status=400)
    try:
        phone = msisdn(body.get("phone"), "phone")
        amount = whole_amount(body.get("amount"))
        account = body.get("account", "")
        shortcode = body.get("shortcode")
        if not isinstance(account, str) or len(account) > 64:
            return web.json_response({"error": "account must be text"}, status=400)
        if shortcode is not None and not isinstance(shortcode, str):
            shortcode = str(shortcode)
        outcome = await daraja.c2b.pay(
            phone=phone, amount=amount, account=account, shortcode=shortcode
        )
    except Rejection as rejection:
        return web.json_response({"error": rejection.error_message}, status=400)
    answer: dict[str, Any] = {"status": outcome.status}
    if outcome.transaction is not None:
        answer.update(
            transaction_id=outcome.transaction.transaction_id,
            amount=outcome.transaction.amount,
            account=outcome.transaction.bill_ref or "",
            shortcode=outcome.transaction.shortcode,
        )
    if outcome.result_code is not None:
        answer.update(result_code=outcome.result_code, result_desc=outcome.result_desc)
    return web.json_response(answer)


async def certificate(request: web.Request) -> web.Response:
    """``GET /simulator/certificate``: the PEM certificate to encrypt initiator passwords with."""
    pem = simulator_keys().certificate_pem
    return web.Response(body=pem, content_type="application/x-pem-file")


async def phone_messages(request: web.Request) -> web.Response:
    """``GET /simulator/phones/{msisdn}/messages``: the SMS that phone received, oldest first."""
    daraja = request.app[SIMULATOR_KEY]
    try:
        phone = msisdn(request.match_info["msisdn"], "msisdn")
    except Rejection:
        return web.json_response({"error": "not a Kenyan mobile number"}, status=400)
    messages = [
        {"time": message.time.astimezone(NAIROBI).isoformat(), "text": message.text}
        for message in daraja.ledger.messages(phone)
    ]
    return web.json_response({"msisdn": phone, "messages": messages})


async def ledger(request: web.Request) -> web.Response:
    """``GET /simulator/ledger``: every transaction, oldest first."""
    daraja = request.app[SIMULATOR_KEY]
    rows = [
        {
            "transaction_id": entry.transaction_id,
            "kind": entry.kind.value,
            "time": entry.time.astimezone(NAIROBI).isoformat(),
            "shortcode": entry.shortcode,
            "phone": entry.phone,
            "amount": entry.amount,
            "bill_ref": entry.bill_ref,
            "status": entry.status,
            "reverses": entry.reverses,
        }
        for entry in daraja.ledger.all()
    ]
    return web.json_response({"transactions": rows})


def add_business_routes(app: web.Application) -> None:
    """Add the C2B, initiator and Pull endpoints and the control routes to ``app``."""
    daraja_routes: list[tuple[str, Endpoint, Handle]] = [
        ("/mpesa/c2b/v2/registerurl", Endpoint.C2B_REGISTER, lambda d, b: d.c2b.register(b)),
        ("/mpesa/c2b/v1/registerurl", Endpoint.C2B_REGISTER, lambda d, b: d.c2b.register(b)),
        ("/mpesa/c2b/v1/simulate", Endpoint.C2B_SIMULATE, lambda d, b: d.c2b.simulate(b)),
        (
            "/mpesa/transactionstatus/v1/query",
            Endpoint.TRANSACTION_STATUS,
            lambda d, b: d.initiator.transaction_status(b),
        ),
        ("/mpesa/reversal/v1/request", Endpoint.REVERSAL, lambda d, b: d.initiator.reversal(b)),
        ("/mpesa/b2c/v3/paymentrequest", Endpoint.B2C, lambda d, b: d.initiator.b2c(b)),
        ("/mpesa/b2c/v1/paymentrequest", Endpoint.B2C, lambda d, b: d.initiator.b2c(b)),
        ("/pulltransactions/v1/register", Endpoint.PULL_REGISTER, lambda d, b: d.pull.register(b)),
        ("/pulltransactions/v1/query", Endpoint.PULL_QUERY, lambda d, b: d.pull.query(b)),
    ]
    for path, endpoint, handle in daraja_routes:
        app.router.add_post(path, _daraja_route(endpoint, handle))
    app.router.add_post("/simulator/c2b/pay", c2b_pay)
    app.router.add_get("/simulator/certificate", certificate)
    app.router.add_get("/simulator/phones/{msisdn}/messages", phone_messages)
    app.router.add_get("/simulator/ledger", ledger)
