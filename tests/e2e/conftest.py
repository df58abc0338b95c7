"""End-to-end fixtures: the real service on real sockets, a fake Bot API, the Daraja simulator."""

from __future__ import annotations

import errno
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from checkout.outbox.delivery import DeliveryPolicy
from daraja.simulator.settings import SimulatorSettings
from lipa.demo import free_port
from lipa.service import Service
from lipa.settings import Settings
from lipa_testing import FakeTelegram
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
    """Settings for a service talking to the fake Bot API and the in-process simulator."""
    port = free_port()
    values: dict[str, Any] = {
        "database_url": database_url,
        "telegram_bot_token": telegram.token,
        "telegram_api_base_url": telegram.base_url,
        "telegram_mode": mode,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "mpesa_environment": "simulator",
        "mpesa_callback_secret": "callback-secret-for-tests",
        "host": "127.0.0.1",
        "port": port,
        "public_base_url": f"http://127.0.0.1:{port}",
        "staff_chat_id": -1001,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def on_another_port(settings: Settings) -> Settings:
    """The same settings on a newly chosen free port (and the public URL that follows it)."""
    port = free_port()
    update: dict[str, Any] = {"port": port}
    if settings.public_base_url == f"http://127.0.0.1:{settings.port}":
        update["public_base_url"] = f"http://127.0.0.1:{port}"
    return settings.model_copy(update=update)


StartService = Callable[..., Awaitable[Service]]


@pytest.fixture
async def start_service(tmp_path: Path) -> AsyncIterator[StartService]:
    """Start services (stopped at the end); the simulator answers after 0.2 s."""
    started: list[Service] = []

    async def start(settings: Settings, **kwargs: Any) -> Service:
        simulator = kwargs.pop("simulator", SimulatorSettings(callback_delay=0.2, seed=7))
        for attempt in range(3):
            service = Service(
                settings,
                simulator_settings=simulator,
                delivery=DeliveryPolicy(first_backoff_seconds=0.05, idle_poll_seconds=0.5),
                **kwargs,
            )
            try:
                await service.start()
            except OSError as error:
                # The port was free when chosen, but another socket may take it before the
                # service binds it: choose again (a failed start leaves nothing running).
                if error.errno != errno.EADDRINUSE or attempt == 2:
                    raise
                settings = on_another_port(settings)
                continue
            started.append(service)
            return service
        raise AssertionError("unreachable")

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
