"""``GET /metrics`` serves Prometheus text that moves as payments settle and things go wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient

from checkout.domain.records import Channel
from checkout.domain.summaries import OutboxBacklog
from checkout.payments.settling.settle import SettlementService
from lipa.service import Service
from lipa_testing.telegram_api import FakeTelegram
from storage.unit_of_work import SqlUnitOfWork
from tests.e2e.conftest import StartService, service_settings
from tests.e2e.test_telegram_checkout import CUSTOMER, reach_confirmation, seed
from webhook.app import WebhookConfig, create_app
from webhook.metrics import LipaMetrics, MetricsRoute

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(service: Service) -> Samples:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{service.base_url}/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return samples(response.text)


async def test_metrics_move_when_a_payment_settles(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    before = await scrape(service)
    assert value(before, "lipa_payments_settled_total", outcome="paid") == 0
    await seed(service)
    await reach_confirmation(telegram)
    await telegram.user_presses_button(CUSTOMER, "pay")
    await telegram.wait_for_message_to(CUSTOMER, "PIN")
    # The outcome message meets Telegram's flood control once, then goes through.
    telegram.flood_next(1, retry_after=1, methods=["sendMessage"])
    await telegram.wait_for_message_to(CUSTOMER, "receipt", timeout=15)

    after = await scrape(service)

    assert value(after, "lipa_payments_settled_total", outcome="paid") == 1
    assert value(after, "lipa_mpesa_callbacks_total", result="accepted") == 1
    push = value(after, "lipa_daraja_request_seconds_count", operation="stk_push", result="ok")
    assert push == 1
    assert value(after, "lipa_daraja_request_seconds_sum", operation="stk_push", result="ok") > 0
    assert value(after, "lipa_telegram_throttled_total") == 1
    assert ("lipa_outbox_depth", frozenset({("channel", "telegram")})) in after
    assert ("lipa_outbox_oldest_age_seconds", frozenset()) in after


async def test_refused_callbacks_are_counted_as_errors(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    service = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{service.base_url}/mpesa/callback/not-the-secret", json={})
        malformed = await client.post(
            f"{service.base_url}/mpesa/callback/callback-secret-for-tests", content=b"{"
        )
    assert (wrong.status_code, malformed.status_code) == (404, 400)
    found = await scrape(service)
    assert value(found, "lipa_mpesa_callback_errors_total", reason="wrong_secret") == 1
    assert value(found, "lipa_mpesa_callback_errors_total", reason="malformed") == 1
    assert value(found, "lipa_mpesa_callbacks_total", result="accepted") == 0


async def test_the_outbox_depth_and_oldest_age_are_read_on_each_scrape(
    aiohttp_client: AiohttpClient, uow: Callable[[], SqlUnitOfWork]
) -> None:
    async with uow() as unit:
        await unit.outbox.add(
            channel=Channel.TELEGRAM, chat_key="1", payload={}, now=NOW - timedelta(seconds=90)
        )
        await unit.outbox.add(channel=Channel.EVENTS, chat_key="k", payload={}, now=NOW)
        await unit.commit()

    async def backlog() -> OutboxBacklog:
        async with uow() as unit:
            return await unit.reports.outbox_backlog()

    metrics = LipaMetrics()
    route = MetricsRoute(metrics, backlog, lambda: NOW)
    app = create_app(
        WebhookConfig(SettlementService(uow, clock=lambda: NOW), "secret", metrics=route)
    )
    client = await aiohttp_client(app)
    found = samples(await (await client.get("/metrics")).text())
    assert value(found, "lipa_outbox_depth", channel="telegram") == 1
    assert value(found, "lipa_outbox_depth", channel="events") == 1
    assert value(found, "lipa_outbox_depth", channel="ussd") == 0
    assert value(found, "lipa_outbox_oldest_age_seconds") == 90


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = LipaMetrics(), LipaMetrics()
    first.telegram_answered(429)
    first.telegram_answered(200)
    assert value(samples(first.exposition().decode()), "lipa_telegram_throttled_total") == 1
    assert value(samples(second.exposition().decode()), "lipa_telegram_throttled_total") == 0


def test_a_callback_refused_for_another_reason_is_counted_as_error_as_the_readme_says() -> None:
    metrics = LipaMetrics()
    metrics.callback_answered(500)
    metrics.callback_answered(413)
    found = samples(metrics.exposition().decode())
    assert value(found, "lipa_mpesa_callback_errors_total", reason="error") == 2
    assert value(found, "lipa_mpesa_callbacks_total", result="error") == 2


def test_the_readme_names_every_metric_and_label_exported() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Metrics and logs", 1)[1].split("\n### ", 1)[0]
    documented = {
        (name, frozenset(filter(None, (labels or "").split(","))))
        for name, labels in re.findall(r"`(lipa_[a-z_]+)(?:\{([a-z_,]+)\})?`", section)
    }
    metrics = LipaMetrics()
    metrics.daraja_call("stk_push", 0.1, "ok")
    metrics.show_environment("simulator")
    metrics.callback_answered(404)
    metrics.telegram_answered(429)
    exported = {
        (family.name + ("_total" if family.type == "counter" else ""), frozenset(labels))
        for family in metrics.registry.collect()
        for labels in {frozenset(sample.labels) - {"le"} for sample in family.samples}
    }
    assert exported == documented
    # The outbox channels the README lists are the labels exported.
    for channel in Channel:
        assert f"`{channel.value}`" in section, channel
