"""The aiohttp application: M-Pesa callbacks, Telegram updates, USSD, health, background workers."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from checkout.payments.batching import Settler
from webhook.api import API_PREFIX, OrdersApi
from webhook.initiator import InitiatorResultHandler
from webhook.limits import ClientLimits, client_limits_middleware
from webhook.metrics import METRICS_PATH, MetricsRoute, callback_middleware
from webhook.mpesa import CALLBACK_PATHS, MpesaCallbackHandler, SourceCheck
from webhook.telegram import TELEGRAM_PATH, TelegramWebhookHandler, UpdateSink
from webhook.till import TillHooks
from webhook.ussd import UssdHandler, add_ussd_routes

log = logging.getLogger(__name__)

# Callbacks and Telegram updates are a few kilobytes; refuse anything much larger.
MAX_BODY_BYTES = 64 * 1024

Worker = Callable[[], Awaitable[None]]
WORKER_STOP_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class TelegramRoute:
    """Where Telegram updates go, and the secret that proves they come from Telegram."""

    secret: str
    sink: UpdateSink


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """What the application serves."""

    settlement: Settler
    callback_secret: str
    telegram: TelegramRoute | None = None
    workers: Sequence[Worker] = field(default_factory=tuple)
    sources: SourceCheck = field(default_factory=SourceCheck)
    ussd: UssdHandler | None = None  # the USSD routes, served when SMS can reach customers
    api: OrdersApi | None = None  # the orders API, served when API_TOKEN is set
    metrics: MetricsRoute | None = None
    # Extra facts /healthz reports (e.g. that payments are simulated).
    health: Mapping[str, object] = field(default_factory=dict)
    limits: ClientLimits = field(default_factory=ClientLimits)
    # The initiator APIs' Result and QueueTimeOut routes (Transaction Status, ...).
    initiator: InitiatorResultHandler | None = None
    till: TillHooks | None = None  # the C2B validation and confirmation routes


def create_app(config: WebhookConfig) -> web.Application:
    """The application, with its workers started on startup and stopped on cleanup."""
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        # Outermost: a slow or greedy client is refused before anything else runs.
        middlewares=[client_limits_middleware(config.limits, config.sources.caller)],
    )
    callbacks = MpesaCallbackHandler(config.settlement, config.callback_secret, config.sources)
    for path in CALLBACK_PATHS:  # /hooks/stk/<secret>, and the first deployments' path
        app.router.add_post(path, callbacks.handle)
    if config.till is not None:
        config.till.install(app)
    if config.telegram is not None:
        app.router.add_post(
            TELEGRAM_PATH,
            TelegramWebhookHandler(config.telegram.secret, config.telegram.sink).handle,
        )
    app.router.add_get("/healthz", functools.partial(healthz, dict(config.health)))
    if config.ussd is not None:
        add_ussd_routes(app, config.ussd)
    if config.initiator is not None:
        config.initiator.install(app)
    if config.metrics is not None:
        app.router.add_get(METRICS_PATH, config.metrics.handle)
        app.middlewares.append(callback_middleware(config.metrics.metrics, CALLBACK_PATHS))
    if config.api is not None:
        app.add_subapp(API_PREFIX, config.api.application())
    if config.workers:
        app.cleanup_ctx.append(_run_workers(config.workers))
    return app


async def healthz(facts: dict[str, object], _request: web.Request) -> web.Response:
    """Liveness: the process answers, with the configured ``facts`` (simulated or not)."""
    return web.json_response({"status": "ok", **facts})


def _run_workers(
    workers: Sequence[Worker],
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(_app: web.Application) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_guarded(worker)) for worker in workers]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # A worker stuck in a call that ignores cancellation must not hang the shutdown:
            # everything it did is in the database already, and leases hand its rows on.
            _done, stuck = await asyncio.wait(tasks, timeout=WORKER_STOP_SECONDS)
            if stuck:
                log.warning("%d background workers did not stop in time", len(stuck))

    return context


async def _guarded(worker: Worker) -> None:
    """Run a worker, restarting it after an unexpected crash (after a pause)."""
    while True:
        try:
            await worker()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background worker crashed; restarting in 5 s")
            await asyncio.sleep(5)
