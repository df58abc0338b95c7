"""The simulator's aiohttp application: Daraja's three endpoints over a SimulatedDaraja."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from daraja.error_codes import ErrorCode
from daraja.simulator.engine import Reply, SimulatedDaraja
from daraja.simulator.faults import Endpoint, Fault
from daraja.simulator.rules import Rejection
from daraja.simulator.settings import SimulatorSettings

TOKEN_PATH = "/oauth/v1/generate"
STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"

SIMULATOR_KEY = web.AppKey("daraja_simulator", SimulatedDaraja)

SYSTEM_BUSY = Rejection(
    500, ErrorCode.SYSTEM_BUSY, "System is busy. Please try again in few minutes."
)


def _respond(reply: Reply) -> web.Response:
    if reply.body is None:
        return web.Response(status=reply.status)
    return web.json_response(dict(reply.body), status=reply.status)


async def _faulty(daraja: SimulatedDaraja, fault: Fault) -> web.Response:
    if fault is Fault.SYSTEM_BUSY:
        return _respond(daraja.error(SYSTEM_BUSY))
    if fault is Fault.SERVER_ERROR:
        return web.Response(
            status=503,
            text="<html><body><h1>503 Service Unavailable</h1></body></html>",
            content_type="text/html",
        )
    await daraja.hang()
    return web.Response(status=504)


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except (ValueError, RecursionError):
        return None  # refused by the rules as "Bad Request - Invalid Request"


async def token(request: web.Request) -> web.Response:
    """``GET /oauth/v1/generate``: a new access token for Basic key:secret."""
    daraja = request.app[SIMULATOR_KEY]
    fault = daraja.received(Endpoint.TOKEN)
    if fault is not None:
        return await _faulty(daraja, fault)
    reply = daraja.issue_token(
        request.headers.get("Authorization"), request.query.get("grant_type")
    )
    return _respond(reply)


async def stk_push(request: web.Request) -> web.Response:
    """``POST /mpesa/stkpush/v1/processrequest``: open a prompt on the customer's phone."""
    daraja = request.app[SIMULATOR_KEY]
    fault = daraja.received(Endpoint.STK_PUSH)
    if fault is not None and fault is not Fault.ACCEPT_THEN_HANG:
        return await _faulty(daraja, fault)
    refusal = daraja.check_bearer(request.headers.get("Authorization"))
    if refusal is not None:
        return _respond(refusal)
    reply = daraja.push(await _json_body(request))
    if fault is Fault.ACCEPT_THEN_HANG:
        return await _faulty(daraja, Fault.HANG)
    return _respond(reply)


async def stk_query(request: web.Request) -> web.Response:
    """``POST /mpesa/stkpushquery/v1/query``: how a push ended, or that it has not yet."""
    daraja = request.app[SIMULATOR_KEY]
    fault = daraja.received(Endpoint.STK_QUERY)
    if fault is not None:
        return await _faulty(daraja, fault)
    refusal = daraja.check_bearer(request.headers.get("Authorization"))
    if refusal is not None:
        return _respond(refusal)
    return _respond(daraja.query(await _json_body(request)))


async def _callback_session(app: web.Application) -> AsyncIterator[None]:
    daraja = app[SIMULATOR_KEY]
    async with aiohttp.ClientSession() as session:
        daraja.attach(session)
        try:
            yield
        finally:
            await daraja.close()


async def _release_hanging(app: web.Application) -> None:
    # Runs before aiohttp waits for open requests, so hanging ones end at once.
    app[SIMULATOR_KEY].stopping.set()


def create_simulator_app(
    settings: SimulatorSettings | None = None, *, daraja: SimulatedDaraja | None = None
) -> web.Application:
    """Return an aiohttp app answering like Daraja; its SimulatedDaraja is at ``SIMULATOR_KEY``."""
    app = web.Application()
    app[SIMULATOR_KEY] = daraja if daraja is not None else SimulatedDaraja(settings)
    app.router.add_get(TOKEN_PATH, token)
    app.router.add_post(STK_PUSH_PATH, stk_push)
    app.router.add_post(STK_QUERY_PATH, stk_query)
    app.cleanup_ctx.append(_callback_session)
    app.on_shutdown.append(_release_hanging)
    return app
