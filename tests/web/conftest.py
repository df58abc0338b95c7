"""Web checkout fixtures: the real service (simulated Daraja) on a real socket, with orders."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from checkout.bnpl.records import Plan
from checkout.domain.records import Payment, PaymentStatus
from checkout.outbox.delivery import DeliveryPolicy
from checkout.platform.orders import OrderRequest
from daraja.simulator.engine import SimulatedDaraja
from daraja.simulator.settings import SimulatorSettings
from lipa.app import Lipa
from lipa.service import Service
from lipa.settings import Settings

ORDER = "WW-1042"
DESCRIPTION = "Laundry, 6 kg"
HOLDS = "0700 000 006"  # the simulator's customer who keeps the prompt open until told
HOLDS_KEY = "254700000006"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_CHOICE = re.compile(r'name="choice" value="([^"]+)"')


@dataclass
class WebShop:
    """A running service, its simulated Daraja and a browser-less HTTP client."""

    service: Service
    http: aiohttp.ClientSession

    @property
    def lipa(self) -> Lipa:
        assert self.service.lipa is not None
        return self.service.lipa

    @property
    def daraja(self) -> SimulatedDaraja:
        assert self.lipa.simulator is not None
        return self.lipa.simulator.daraja

    @property
    def base(self) -> str:
        return self.service.base_url

    async def order(self, amount: int, reference: str = ORDER) -> None:
        """Create an order as the business's platform would."""
        await self.lipa.orders.open(
            OrderRequest(amount=amount, reference=reference, description=DESCRIPTION)
        )

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(self.base + path, **kwargs) as response:
            return response.status, await response.text(), response

    async def form_token(self, reference: str = ORDER) -> str:
        """The form token of the order's page, as a browser would read it."""
        _status, html, _response = await self.get(f"/pay/{reference}")
        match = _CSRF.search(html)
        assert match is not None, html
        return match.group(1)

    async def post(
        self, fields: dict[str, str], reference: str = ORDER
    ) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.post(
            f"{self.base}/pay/{reference}", data=fields, allow_redirects=False
        ) as response:
            return response.status, await response.text(), response

    async def later(self, phone: str, lang: str = "en") -> tuple[int, str]:
        """Press "Pay later" on the order's page with ``phone`` typed: the offer page."""
        token = await self.form_token()
        async with self.http.post(
            f"{self.base}/pay/{ORDER}/later",
            data={"csrf": token, "lang": lang, "amount": "3000", "phone": phone},
            allow_redirects=False,
        ) as response:
            return response.status, await response.text()

    async def choose(self, choice: str) -> tuple[int, str, str]:
        """Take an option of the offer (its ``choice`` data): status, page, redirect."""
        token = await self.form_token()
        async with self.http.post(
            f"{self.base}/pay/{ORDER}/plan",
            data={"csrf": token, "lang": "en", "choice": choice},
            allow_redirects=False,
        ) as response:
            return response.status, await response.text(), response.headers.get("Location", "")

    async def take_plan(self, deposit_result: int = 0, count: int = 3) -> Plan:
        """Take a plan of ``count`` installments on the page with prompts to ``HOLDS``, and
        answer its deposit's prompt with ``deposit_result`` (0: paid); the plan once settled."""
        _, offer = await self.later(HOLDS)
        [choice] = [c for c in _CHOICE.findall(offer) if c.split(":")[1] == str(count)]
        status, _, _ = await self.choose(choice)
        assert status == 303
        await self.daraja.settle_phone(HOLDS_KEY, deposit_result)
        [deposit] = await self.payments()
        await self.settled(deposit.id)
        async with self.lipa.units() as unit:
            plan = await unit.plans.open_for_order(ORDER)
        assert plan is not None
        return plan

    async def settled(self, payment_id: int) -> Payment:
        """The payment once its simulated callback has settled it."""
        for _ in range(200):
            async with self.lipa.units() as unit:
                payment = await unit.payments.get(payment_id)
            assert payment is not None
            if payment.status is not PaymentStatus.PENDING:
                return payment
            await asyncio.sleep(0.05)
        raise AssertionError(f"payment {payment_id} was not settled")

    async def payments(self, reference: str = ORDER) -> list[Any]:
        async with self.lipa.units() as unit:
            return list(await unit.order_book.payments_for_order(reference))


def web_settings(database_url: str, **extra: Any) -> Settings:
    """A service with only the orders API and the web checkout on, on the simulator."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "mpesa_environment": "simulator",
        "mpesa_callback_secret": "callback-secret-for-tests",
        "api_token": "api-token-for-tests-0123456789",
        "host": "127.0.0.1",
        # A free port bound at start, which the public URL follows (see lipa.service).
        "port": 0,
        "public_base_url": "http://127.0.0.1:0",
        "business_name": "Wildwash",
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


StartShop = Callable[..., Awaitable[WebShop]]


@pytest.fixture
async def start_shop() -> AsyncIterator[StartShop]:
    """Start web shops (each stopped at the end)."""
    started: list[tuple[Service, aiohttp.ClientSession]] = []

    async def start(database_url: str, **extra: Any) -> WebShop:
        service = Service(
            web_settings(database_url, **extra),
            simulator_settings=SimulatorSettings(callback_delay=0.2, seed=7),
            delivery=DeliveryPolicy(first_backoff_seconds=0.05, idle_poll_seconds=0.5),
        )
        await service.start()
        # unsafe: keep cookies of a bare IP address (the service listens on 127.0.0.1).
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        started.append((service, http))
        return WebShop(service, http)

    yield start
    for service, http in reversed(started):
        await http.close()
        await service.stop()


@pytest.fixture
async def shop(start_shop: StartShop, database_url: str) -> WebShop:
    """A web shop on each database, with order WW-1042 of KES 3,000."""
    started = await start_shop(database_url)
    await started.order(3000)
    return started


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    """A SQLite file for the service (migrated by the service itself)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"
