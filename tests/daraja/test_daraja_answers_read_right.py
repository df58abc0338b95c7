"""Daraja's refusals mean what they say: wrong credentials, a locked phone, a busy gateway.

The simulator answers over a real socket as Daraja does; the 429 of Daraja's API gateway
comes from the scripted fake (the simulator has no gateway in front of it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from checkout.domain.outcomes import PushProblem
from checkout.payments.gateway import PushFailed
from daraja import DarajaClient, DarajaConfig, Secret, build_http_client
from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
)
from lipa.gateway import DarajaGateway
from tests.daraja.fakes import FakeDaraja

CALLBACK = "https://shop.example.com/mpesa/callback/abc"


def simulator_config(passkey: str) -> DarajaConfig:
    return DarajaConfig(
        consumer_key=DEFAULT_CONSUMER_KEY,
        consumer_secret=Secret(DEFAULT_CONSUMER_SECRET),
        business_shortcode=DEFAULT_SHORTCODE,
        passkey=Secret(passkey),
    )


@pytest.fixture
async def gateway_with(
    simulator: SimulatorServer,
) -> AsyncIterator[object]:
    clients: list[httpx.AsyncClient] = []

    def make(passkey: str) -> DarajaGateway:
        http = build_http_client(simulator.base_url)
        clients.append(http)
        return DarajaGateway(DarajaClient(http, simulator_config(passkey)), CALLBACK)

    yield make
    for http in clients:
        await http.aclose()


async def test_a_push_refused_for_wrong_credentials_is_a_configuration_error(
    gateway_with: object,
) -> None:
    gateway = gateway_with("not-the-passkey")  # type: ignore[operator]
    with pytest.raises(PushFailed) as caught:
        await gateway.stk_push(
            phone="254712345678", amount=10, reference="WW-1", description="Laundry"
        )
    assert caught.value.problem is PushProblem.MISCONFIGURED
    assert caught.value.code == "500.001.1001"


async def test_a_locked_phone_with_the_same_code_is_still_a_locked_phone(
    gateway_with: object,
) -> None:
    gateway = gateway_with(DEFAULT_PASSKEY)  # type: ignore[operator]
    with pytest.raises(PushFailed) as caught:
        await gateway.stk_push(
            phone="254700000007", amount=10, reference="WW-1", description="Laundry"
        )
    assert caught.value.problem is PushProblem.SUBSCRIBER_LOCKED


async def test_a_query_refused_for_wrong_credentials_is_not_a_payment_in_progress(
    gateway_with: object,
) -> None:
    gateway = gateway_with("not-the-passkey")  # type: ignore[operator]
    with pytest.raises(PushFailed) as caught:
        await gateway.stk_query("ws_CO_0000000000")
    assert caught.value.problem is PushProblem.MISCONFIGURED


async def test_a_429_from_darajas_gateway_is_busy_not_a_refusal(config: DarajaConfig) -> None:
    fake = FakeDaraja()
    fake.push_answers.append(httpx.Response(429, text="Too Many Requests"))
    async with build_http_client(
        "https://sandbox.safaricom.co.ke", transport=fake.transport()
    ) as http:
        gateway = DarajaGateway(DarajaClient(http, config), CALLBACK)
        with pytest.raises(PushFailed) as caught:
            await gateway.stk_push(
                phone="254712345678", amount=10, reference="WW-1", description="Laundry"
            )
    assert caught.value.problem is PushProblem.BUSY
