"""The socket side every local fake shares: one aiohttp app on ``127.0.0.1``.

A fake names its routes in :meth:`LocalServer.add_routes`; starting listens on a free port,
and starting again after :meth:`LocalServer.stop` listens on the same port, so a client keeps
its base URL across an outage the test stages.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web


class LocalServer:
    """An aiohttp server on ``127.0.0.1`` for a fake; an async context manager."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port = 0

    def add_routes(self, app: web.Application) -> None:
        """Add the fake's routes to ``app`` (each fake overrides this)."""
        raise NotImplementedError

    @property
    def port(self) -> int:
        """The port listened on (0 before the first start)."""
        return self._port

    async def start(self) -> None:
        """Listen (on the same port again after :meth:`stop`)."""
        app = web.Application()
        self.add_routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self._port).start()
        self._port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening; idempotent."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
