"""The simulator's aiohttp application: Daraja's endpoints over a SimulatedDaraja."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from daraja.simulator.engine import SimulatedDaraja
from daraja.simulator.faults import Endpoint, Fault
from daraja.simulator.routes import add_business_routes
from daraja.simulator.settings import SimulatorSettings
from daraja.simulator.web_common import SIMULATOR_KEY, faulty, json_body, respond

TOKEN_PATH = "/oauth/v1/generate"
STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"


async def token(request: web.Request) -> web.Response:
    """``GET /oauth/v1/generate``: a new access token for Basic key:secret."""
    daraja = request.app[SIMULATOR_KEY]
    fault = daraja.received(Endpoint.TOKEN)
    if fault is not None:
        return await faulty(daraja, fault)
    reply = daraja.issue_token(
        request.headers.get("Authorization"), request.query.get("grant_type")
    )
    return respond(reply)


async def stk_push(request: web.Request) -> web.Response:
    """``POST /mpesa/stkpush/v1/processrequest``: open a prompt on the customer's phone."""
    daraja = request.app[SIMULATOR_KEY]
    fault = daraja.received(Endpoint.STK_PUSH)
    if fault is not None and fault is not Fault.ACCEPT_THEN_HANG:
        return await faulty(daraja, fault)
    refusal = daraja.check_bearer(request.headers.get("Authorization"))
    if refusal is not None:
        return respond(refusal)
    reply = daraja.push(await json_body(request))
    if fault is Fault.ACCEPT_THEN_HANG:
        return await faulty(daraja, Fault.HANG)
    return respond(reply)


async def stk_query(request: web.Request) -> web.Response:
    """``POST /mpesa/stkpushquery/v1/query``: how a push ended, or that it has not yet."""
    daraja = request.app[SIMULATOR_KEY]
    fault = daraja.received(Endpoint.STK_QUERY)
    if fault is not None:
        return await faulty(daraja, fault)
    refusal = daraja.check_bearer(request.headers.get("Authorization"))
    if refusal is not None:
        return respond(refusal)
    return respond(daraja.query(await json_body(request)))


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
    add_business_routes(app)
    app.cleanup_ctx.append(_callback_session)
    app.on_shutdown.append(_release_hanging)
    return app
