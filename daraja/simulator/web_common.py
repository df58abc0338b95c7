"""What every simulated endpoint shares: the app key, answers, faults and reading bodies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from daraja.error_codes import ErrorCode
from daraja.simulator.engine import Reply, SimulatedDaraja
from daraja.simulator.faults import Fault
from daraja.simulator.rules import Rejection

SIMULATOR_KEY = web.AppKey("daraja_simulator", SimulatedDaraja)

SYSTEM_BUSY = Rejection(
    500, ErrorCode.SYSTEM_BUSY, "System is busy. Please try again in few minutes."
)


def respond(reply: Reply) -> web.Response:
    """The HTTP answer for ``reply`` (an empty body when it has none)."""
    if reply.body is None:
        return web.Response(status=reply.status)
    return web.json_response(dict(reply.body), status=reply.status)


async def faulty(daraja: SimulatedDaraja, fault: Fault) -> web.Response:
    """Answer as ``fault`` says: spike arrest, a gateway's HTML 503, or no answer (hang)."""
    if fault is Fault.SYSTEM_BUSY:
        return respond(daraja.error(SYSTEM_BUSY))
    if fault is Fault.SERVER_ERROR:
        return web.Response(
            status=503,
            text="<html><body><h1>503 Service Unavailable</h1></body></html>",
            content_type="text/html",
        )
    await daraja.hang()
    return web.Response(status=504)


async def json_body(request: web.Request) -> Any:
    """The request's JSON, or None when it is not JSON."""
    try:
        return json.loads(await request.read())
    except (ValueError, RecursionError):
        return None  # refused by the rules as "Bad Request - Invalid Request"
