"""End-to-end fixtures: the real service on real sockets, a fake Bot API, the Daraja simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from checkout.outbox.delivery import DeliveryPolicy
from daraja.simulator.settings import SimulatorSettings
from lipa.service import Service
from lipa.settings import Settings
from lipa_testing.telegram_api import FakeTelegram
from lipa_testing.whatsapp_api import FakeWhatsApp

WEBHOOK_SECRET = "telegram-webhook-secret-for-tests"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """A local fake Telegram Bot API server."""
    async with FakeTelegram() as fake:
        yield fake


def service_settings(
    telegram: FakeTelegram, database_url: str, *, mode: str, **extra: Any
) -> Settings:
    """Settings for a service talking to the fake Bot API and the in-process simulator.

    The service binds a port of the system's choosing when it starts (PORT=0), and the
    public URL follows it: no port is chosen ahead, so none can be taken before binding.
    """
    values: dict[str, Any] = {
        "database_url": database_url,
        "telegram_bot_token": telegram.token,
        "telegram_api_base_url": telegram.base_url,
        "telegram_mode": mode,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "mpesa_environment": "simulator",
        "mpesa_callback_secret": "callback-secret-for-tests",
        "host": "127.0.0.1",
        "port": 0,
        "public_base_url": "http://127.0.0.1:0",
        "staff_chat_id": -1001,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


StartService = Callable[..., Awaitable[Service]]


@pytest.fixture
async def start_service(tmp_path: Path) -> AsyncIterator[StartService]:
    """Start services (stopped at the end); the simulator answers after 0.2 s."""
    started: list[Service] = []

    async def start(settings: Settings, **kwargs: Any) -> Service:
        simulator = kwargs.pop("simulator", SimulatorSettings(callback_delay=0.2, seed=7))
        service = Service(
            settings,
            simulator_settings=simulator,
            delivery=DeliveryPolicy(first_backoff_seconds=0.05, idle_poll_seconds=0.5),
            **kwargs,
        )
        await service.start()
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        await service.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file for the service (migrated by the service itself)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"


@pytest.fixture
async def whatsapp() -> AsyncIterator[FakeWhatsApp]:
    """A local fake of the WhatsApp Cloud API; no send in a test may break WhatsApp's limits."""
    async with FakeWhatsApp() as fake:
        yield fake
    assert fake.violations == []
