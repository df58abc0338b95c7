"""PORT=0: the service binds a port of the system's choosing, and its public URL follows it."""

from __future__ import annotations

import aiohttp

from lipa.service import with_bound_port
from lipa.settings import Settings
from lipa_testing.telegram_api import FakeTelegram
from tests.e2e.conftest import StartService, service_settings


async def test_two_services_on_port_0_each_serve_on_a_port_of_their_own(
    telegram: FakeTelegram, start_service: StartService, sqlite_url: str
) -> None:
    first = await start_service(service_settings(telegram, sqlite_url, mode="polling"))
    other_db = sqlite_url.replace("lipa.db", "other.db")
    second = await start_service(service_settings(telegram, other_db, mode="polling"))
    assert first.port is not None
    assert second.port is not None
    assert first.port != second.port
    for service in (first, second):
        # The URLs built from the settings (M-Pesa's callback, links) name the bound port.
        assert service.settings.public_base_url == f"http://127.0.0.1:{service.port}"
        assert service.base_url == service.settings.public_base_url
        async with (
            aiohttp.ClientSession() as http,
            http.get(service.base_url + "/healthz") as answer,
        ):
            assert answer.status == 200


def test_a_public_url_that_names_another_port_is_kept() -> None:
    given = Settings(_env_file=None, port=0, public_base_url="https://pay.example.com")  # type: ignore[call-arg]
    assert with_bound_port(given, 43210).public_base_url == "https://pay.example.com"
    local = given.model_copy(update={"public_base_url": "http://127.0.0.1:0/lipa"})
    assert with_bound_port(local, 43210).public_base_url == "http://127.0.0.1:43210/lipa"
