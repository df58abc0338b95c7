"""The two servers the callback-ingestion benchmark compares, run as child processes.

``lipa``: Lipa's real aiohttp application (secret check, parsing, settlement, audit event,
outbox rows, acknowledgement). ``baseline``: a bare aiohttp handler that parses the same JSON
and does one INSERT and COMMIT on the same database engine.

    python -m bench.callback_servers lipa|baseline DATABASE_URL PORT
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert

from checkout.payments.batching import SettlementBatcher
from checkout.payments.settling.settle import SettlementService, StaffChat
from lipa.heap import freeze_startup_heap
from storage.database import create_engine, session_factory
from storage.unit_of_work import unit_of_work_factory
from webhook.app import WebhookConfig, create_app

SECRET = "bench-callback-secret"
BASELINE = Table(
    "bench_callbacks",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("checkout_request_id", String(64)),
    Column("body", Text),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


async def lipa_app(url: str) -> web.Application:
    engine = create_engine(url, pool_size=20)
    units = unit_of_work_factory(session_factory(engine))
    settlement = SettlementService(units, clock=utc_now, staff=StaffChat("-1001"))
    batcher = SettlementBatcher(settlement)
    return create_app(WebhookConfig(settlement=batcher, callback_secret=SECRET))


async def baseline_app(url: str) -> web.Application:
    engine = create_engine(url, pool_size=20)
    async with engine.begin() as connection:
        await connection.run_sync(BASELINE.metadata.create_all)

    async def callback(request: web.Request) -> web.Response:
        body = await request.read()
        data = json.loads(body)
        checkout_id = data["Body"]["stkCallback"]["CheckoutRequestID"]
        async with engine.begin() as connection:  # one INSERT and its COMMIT
            await connection.execute(
                insert(BASELINE).values(checkout_request_id=checkout_id, body=body.decode())
            )
        return web.json_response({"ResultCode": 0, "ResultDesc": "Accepted"})

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/mpesa/callback/{secret}", callback)
    app.router.add_get("/healthz", healthz)
    return app


async def started(
    url: str,
    factory: Callable[[str], Awaitable[web.Application]],
) -> web.Application:
    """The server's application, set to freeze the start-up heap once started, as ``lipa serve``
    does (both servers alike, so the ratio compares the work per callback)."""
    app = await factory(url)

    async def freeze(_app: web.Application) -> None:
        freeze_startup_heap()

    app.on_startup.append(freeze)
    return app


def main() -> None:
    kind, url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    factory = lipa_app if kind == "lipa" else baseline_app
    # A load generator that leaves connections waiting (bench.callbacks' wrk script) hangs
    # them up at its end: aiohttp would print each handler it cancels, with its traceback.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    web.run_app(started(url, factory), host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
