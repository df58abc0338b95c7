"""A relay between the Daraja simulator and Lipa's processes, to inject callback faults.

The simulator posts each callback to the relay (it is the service's PUBLIC_BASE_URL); the relay
answers at once and forwards the body to the real callback route of one or more Lipa
processes: ``copies`` times, concurrently, round-robin over the targets, ``delay`` seconds
late, or not at all for a seeded share of ``loss`` (Safaricom does not retry a lost callback).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

import aiohttp
from aiohttp import web


class CallbackRelay:
    """Receives callbacks and forwards them with duplication or loss."""

    def __init__(
        self, *, copies: int = 1, loss: float = 0.0, delay: float = 0.0, seed: int = 11
    ) -> None:
        self.copies = copies
        self.loss = loss
        self.delay = delay  # a late callback: after the reconciler's query, say
        self.targets: Sequence[str] = ()
        self.received = 0
        self.dropped = 0
        self.statuses: list[int] = []
        self._random = random.Random(seed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        """Listen on a free local port."""
        app = web.Application()
        app.router.add_post("/{path:.*}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Finish forwarding and stop."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received += 1
        if self._random.random() < self.loss:
            self.dropped += 1
        else:
            task = asyncio.create_task(self._forward(request.path, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({"ResultCode": 0, "ResultDesc": "Accepted"})

    async def _forward(self, path: str, body: bytes) -> None:
        assert self._session is not None
        session = self._session
        targets = list(self.targets)
        if self.delay > 0:
            await asyncio.sleep(self.delay)

        async def post(target: str) -> None:
            async with session.post(
                target + path,
                data=body,
                headers={"Content-Type": "application/json;charset=UTF-8"},
            ) as response:
                await response.read()
                self.statuses.append(response.status)

        await asyncio.gather(*(post(targets[copy % len(targets)]) for copy in range(self.copies)))
