"""Prometheus metrics: what Lipa counts and times, and the ``GET /metrics`` route.

The composition root builds one :class:`LipaMetrics` (with a registry of its own, never the
module-level default) and hands it to whoever records: settlement (as a listener), the gateway
wrapper, the callback route's middleware and the Telegram request layer. Outbox figures are
read from the database when Prometheus scrapes, so they are true for every process at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from checkout.domain.records import Channel, Order, Payment
from checkout.domain.summaries import OutboxBacklog
from checkout.domain.time import Clock
from checkout.payments.unit import UnitOfWork

METRICS_PATH: Final = "/metrics"
# Daraja answers in well under a second when healthy and times out at MPESA_TIMEOUT_SECONDS.
DARAJA_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# The callback route's answers, by status: what each means for Safaricom's request.
CALLBACK_RESULTS: Final = {
    200: "accepted",
    400: "malformed",
    403: "forbidden_source",
    404: "wrong_secret",
}

BacklogProbe = Callable[[], Awaitable[OutboxBacklog]]


class LipaMetrics:
    """Every metric Lipa exports, registered in ``registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.payments_settled = Counter(
            "lipa_payments_settled",
            "Payments that reached a final status, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.daraja_seconds = Histogram(
            "lipa_daraja_request_seconds",
            "Time taken by Daraja calls (STK push, STK push query), by operation and result.",
            ["operation", "result"],
            buckets=DARAJA_BUCKETS,
            registry=self.registry,
        )
        self.callbacks = Counter(
            "lipa_mpesa_callbacks",
            "M-Pesa callbacks received, by how the route answered.",
            ["result"],
            registry=self.registry,
        )
        self.callback_errors = Counter(
            "lipa_mpesa_callback_errors",
            "M-Pesa callbacks refused or failed, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "lipa_outbox_depth",
            "Outbox messages not yet delivered, by channel.",
            ["channel"],
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            "lipa_outbox_oldest_age_seconds",
            "Age of the oldest undelivered outbox message (0 when the outbox is empty).",
            registry=self.registry,
        )
        self.telegram_throttled = Counter(
            "lipa_telegram_throttled",
            "Answers 429 (Too Many Requests) from the Telegram Bot API.",
            registry=self.registry,
        )
        self.mpesa_environment = Gauge(
            "lipa_mpesa_environment",
            "1 for the Daraja this process settles payments against (simulator: no money moves).",
            ["environment"],
            registry=self.registry,
        )
        for channel in Channel:
            self.outbox_depth.labels(channel=channel.value)
        # Each labelled child looked up once: ``labels()`` takes a lock and builds a key on
        # every call, which on the callback route cost more than the count itself.
        self._settled = {
            status: self.payments_settled.labels(outcome=status)
            for status in ("paid", "failed", "cancelled", "expired", "mismatched")
        }
        self._callback_results: dict[str, Counter] = {}

    async def prepare(self, unit: UnitOfWork, payments: Sequence[Payment]) -> None:
        """Nothing to look up: each payment is counted on its own."""

    async def payment_settled(
        self, unit: UnitOfWork, payment: Payment, order: Order | None
    ) -> None:
        """Count a settled payment by outcome (a ``SettlementListener``)."""
        status = payment.status.value
        child = self._settled.get(status)
        if child is None:
            child = self._settled[status] = self.payments_settled.labels(outcome=status)
        child.inc()

    def daraja_call(self, operation: str, seconds: float, result: str) -> None:
        """Record one Daraja call's duration and result ("ok", "pending" or a problem)."""
        self.daraja_seconds.labels(operation=operation, result=result).observe(seconds)

    def callback_answered(self, status: int) -> None:
        """Count one callback by the status the route answered with."""
        result = CALLBACK_RESULTS.get(status, "error")
        child = self._callback_results.get(result)
        if child is None:
            child = self._callback_results[result] = self.callbacks.labels(result=result)
        child.inc()
        if status != 200:
            # "error" for any other answer (a crash, a body too large): the README's labels.
            self.callback_errors.labels(reason=result).inc()

    def telegram_answered(self, status: int) -> None:
        """Count a Telegram answer if it was 429 (a ``build_application`` status hook)."""
        if status == 429:
            self.telegram_throttled.inc()

    def show_backlog(self, backlog: OutboxBacklog, now: datetime) -> None:
        """Set the outbox gauges from a fresh reading."""
        for channel in Channel:
            self.outbox_depth.labels(channel=channel.value).set(backlog.depth.get(channel, 0))
        oldest = backlog.oldest_queued_at
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        self.outbox_oldest_age.set(max(age, 0.0))

    def show_environment(self, environment: str) -> None:
        """Report which Daraja payments are settled against ("simulator", "sandbox", ...)."""
        self.mpesa_environment.labels(environment=environment).set(1)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsRoute:
    """``GET /metrics``: reads the outbox backlog, then answers every metric."""

    def __init__(self, metrics: LipaMetrics, backlog: BacklogProbe, clock: Clock) -> None:
        self._metrics = metrics
        self._backlog = backlog
        self._clock = clock

    @property
    def metrics(self) -> LipaMetrics:
        """The metrics this route exports."""
        return self._metrics

    async def handle(self, _request: web.Request) -> web.Response:
        """Answer a scrape."""
        self._metrics.show_backlog(await self._backlog(), self._clock())
        return web.Response(
            body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )


def callback_middleware(metrics: LipaMetrics, callback_paths: Collection[str]) -> Middleware:
    """Count every request to the M-Pesa callback routes by the status it was answered."""

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.resource
        if route is None or route.canonical not in callback_paths:
            return await handler(request)
        try:
            response = await handler(request)
        except web.HTTPException as answer:
            metrics.callback_answered(answer.status)
            raise
        except Exception:
            metrics.callback_answered(500)
            raise
        metrics.callback_answered(response.status)
        return response

    return count
