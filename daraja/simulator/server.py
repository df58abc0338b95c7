"""Running the simulator on a real socket: in-process for tests, or standalone."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType

from aiohttp import web

from daraja.simulator.app import create_simulator_app
from daraja.simulator.engine import SimulatedDaraja
from daraja.simulator.settings import SimulatorSettings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8089

logger = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SimulatorServer:
    """A simulator listening on ``host:port`` (port 0: any free port); ``daraja`` steers it."""

    def __init__(
        self,
        settings: SimulatorSettings | None = None,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        now: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        shutdown_timeout: float = 2.0,
    ) -> None:
        self.daraja = SimulatedDaraja(settings, now=now, monotonic=monotonic)
        self._host = host
        self._port = port
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Start listening; the bound port is in ``port`` and ``base_url`` afterwards."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        runner = web.AppRunner(
            create_simulator_app(daraja=self.daraja),
            access_log=None,
            shutdown_timeout=self._shutdown_timeout,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening, end hanging requests and cancel pending callbacks."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def port(self) -> int:
        """Return the port the simulator listens on (the one asked for before ``start``)."""
        return self._port

    @property
    def base_url(self) -> str:
        """Return the URL to give the Daraja client, e.g. ``http://127.0.0.1:41234``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    async def __aenter__(self) -> SimulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


async def serve_forever(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    settings: SimulatorSettings | None = None,
) -> None:
    """Run a simulator on ``host:port`` until cancelled (for ``lipa simulator --port N``)."""
    async with SimulatorServer(settings, host=host, port=port) as server:
        settings = server.daraja.settings
        logger.info(
            "Daraja simulator listening on %s (consumer key %s, shortcodes %s)",
            server.base_url,
            settings.consumer_key,
            ", ".join(settings.passkeys),
        )
        await asyncio.Event().wait()
