"""The orders API on the real aiohttp application, over SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from checkout.payments.settling.settle import SettlementService
from checkout.platform.orders import OrderService
from storage.unit_of_work import SqlUnitOfWork
from webhook.api import OrdersApi
from webhook.app import WebhookConfig, create_app

TOKEN = "api-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BOT = "lipa_test_bot"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

Client = TestClient[Any, Any]


def build_app(uow: Callable[[], SqlUnitOfWork], **orders: Any) -> Any:
    """The whole webhook application with the orders API mounted."""
    api = OrdersApi(
        OrderService(uow, clock=lambda: NOW, **orders),
        token=TOKEN,
        bot_username=BOT,
        server_url="https://lipa.example",
    )
    settlement = SettlementService(uow, clock=lambda: NOW)
    return create_app(WebhookConfig(settlement, "callback-secret", api=api))


@pytest.fixture
async def api(aiohttp_client: AiohttpClient, uow: Callable[[], SqlUnitOfWork]) -> Client:
    """A client of the application."""
    return await aiohttp_client(build_app(uow))
