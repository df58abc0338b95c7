"""Fixtures for the Daraja tests: a scripted fake behind MockTransport, the simulator on a real
socket, a callback receiver, and the host's timezone."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from daraja.client import DarajaClient
from daraja.config import DarajaConfig, Secret
from daraja.retry import RetryPolicy
from daraja.simulator import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
    SimulatorServer,
    SimulatorSettings,
)
from daraja.transport import HttpTransport, build_http_client
from tests.daraja.fakes import CONSUMER_SECRET, PASSKEY, SHORTCODE, CallbackReceiver, FakeDaraja


@pytest.fixture
def config() -> DarajaConfig:
    """A paybill app for the fake Daraja."""
    return DarajaConfig(
        consumer_key="test-key",
        consumer_secret=Secret(CONSUMER_SECRET),
        business_shortcode=SHORTCODE,
        passkey=Secret(PASSKEY),
    )


@pytest.fixture
def sleeps() -> list[float]:
    """The back-off delays the client asked to sleep, in order."""
    return []


@pytest.fixture
def retry(sleeps: list[float]) -> RetryPolicy:
    """A retry policy that records its sleeps instead of sleeping."""

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return RetryPolicy(attempts=3, base_delay=0.1, max_delay=1.0, sleep=sleep)


@pytest.fixture
def fake() -> FakeDaraja:
    """A scripted Daraja."""
    return FakeDaraja()


@pytest.fixture
async def http(fake: FakeDaraja) -> AsyncIterator[httpx.AsyncClient]:
    """An AsyncClient whose requests go to ``fake``."""
    async with build_http_client(
        "https://sandbox.safaricom.co.ke", transport=fake.transport()
    ) as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient, config: DarajaConfig, retry: RetryPolicy) -> DarajaClient:
    """A Daraja client talking to the fake."""
    return DarajaClient(http, config, retry=retry)


@pytest.fixture(params=["UTC", "America/New_York"])
def host_timezone(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test with the process's local timezone set to UTC, then to New York."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.fixture
def sim_settings() -> SimulatorSettings:
    """Simulator settings with short delays, for fast tests."""
    return SimulatorSettings(callback_delay=0.03, seed=7, hang_seconds=5.0)


@pytest.fixture
async def simulator(sim_settings: SimulatorSettings) -> AsyncIterator[SimulatorServer]:
    """A simulator listening on a free port."""
    async with SimulatorServer(sim_settings, shutdown_timeout=1.0) as server:
        yield server


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    """A callback receiver listening on a free port."""
    receiver = CallbackReceiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
def sim_config() -> DarajaConfig:
    """The simulator's default paybill app."""
    return DarajaConfig(
        consumer_key=DEFAULT_CONSUMER_KEY,
        consumer_secret=Secret(DEFAULT_CONSUMER_SECRET),
        business_shortcode=DEFAULT_SHORTCODE,
        passkey=Secret(DEFAULT_PASSKEY),
    )


@pytest.fixture(params=list(HttpTransport), ids=[kind.value for kind in HttpTransport])
def http_transport(request: pytest.FixtureRequest) -> HttpTransport:
    """Each Daraja transport in turn (the ``DARAJA_HTTP_TRANSPORT`` switch): aiohttp, httpx."""
    kind: HttpTransport = request.param
    return kind


@pytest.fixture
async def sim_http(
    simulator: SimulatorServer, http_transport: HttpTransport
) -> AsyncIterator[httpx.AsyncClient]:
    """An AsyncClient for the simulator, with short timeouts, on each transport in turn."""
    timeout = httpx.Timeout(connect=1.0, read=2.0, write=1.0, pool=5.0)
    async with build_http_client(
        simulator.base_url, timeout=timeout, http_transport=http_transport
    ) as http:
        yield http


@pytest.fixture
def sim_client(
    sim_http: httpx.AsyncClient, sim_config: DarajaConfig, retry: RetryPolicy
) -> DarajaClient:
    """A Daraja client talking to the simulator over a real socket."""
    return DarajaClient(sim_http, sim_config, retry=retry)
