"""``lipa serve`` with MPESA_PULL_ENABLED checks the statement as it starts, then periodically."""

from __future__ import annotations

import asyncio
from typing import Any

from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import SimulatorSettings
from lipa.demo import free_port
from lipa.service import Service
from lipa.settings import Settings
from tests.e2e.conftest import StartService


async def test_a_payment_whose_confirmation_never_came_is_found_by_the_served_pull(
    start_service: StartService, sqlite_url: str
) -> None:
    async with SimulatorServer(SimulatorSettings(seed=5)) as simulator:
        daraja = simulator.daraja
        daraja.pull.register(
            {
                "ShortCode": "174379",
                "RequestType": "Pull",
                "NominatedNumber": "0712345678",
                "CallBackURL": "https://shop.example.com/hooks/pull/x",
            }
        )
        # No C2B URLs registered: Lipa hears of this payment only from the statement.
        outcome = await daraja.c2b.pay(phone="254712345678", amount=700, account="nobody")
        assert outcome.transaction is not None
        # Pull's window is in whole seconds: a pass in the payment's own second misses it.
        await asyncio.sleep(1.1)
        port = free_port()
        values: dict[str, Any] = {
            "database_url": sqlite_url,
            "mpesa_environment": "simulator",
            "mpesa_api_base_url": simulator.base_url,
            "mpesa_callback_secret": "callback-secret-for-tests",
            "host": "127.0.0.1",
            "port": port,
            "public_base_url": f"http://127.0.0.1:{port}",
            "mpesa_pull_enabled": True,
        }
        service: Service = await start_service(Settings(_env_file=None, **values))  # type: ignore[call-arg]
        assert service.lipa is not None
        lipa = service.lipa

        async def queued() -> int:
            async with lipa.units() as unit:
                return await unit.till.count_unmatched()

        async with asyncio.timeout(30):
            while await queued() == 0:  # noqa: ASYNC110 - the database has no event to wait on
                await asyncio.sleep(0.1)
        assert await lipa.till.known(outcome.transaction.transaction_id) is not None
