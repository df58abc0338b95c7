"""An event receiver as the business's platform would write it, independent of Lipa's code.

It verifies each POST the way the README tells receivers to: HMAC-SHA256 over the timestamp,
a dot and the raw body, compared in constant time, with old timestamps refused, and it keeps
each event once by its id. It can be told to fail its first requests, like a platform that is
down for a while, or one that keeps an event and then fails to say so.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


def verify(secret: bytes, headers: Any, body: bytes, tolerance: float = 300) -> bool:
    """The README's check: a fresh timestamp and a matching v1 signature."""
    timestamp = headers.get("Lipa-Timestamp", "")
    signature = headers.get("Lipa-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, "v1=" + expected)


@dataclass
class Receiver:
    """A platform endpoint that records what it accepted and what it refused."""

    secret: bytes
    fail_first: int = 0  # refuse this many requests before reading them (the platform is down)
    fail_after_processing: int = 0  # answer 500 to this many events after keeping them
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)
    attempts: list[tuple[str, int]] = field(default_factory=list)  # (event id, status)
    redeliveries: int = 0
    server: TestServer | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        event_id = request.headers.get("Lipa-Event-Id", "")
        if not verify(self.secret, request.headers, body):
            self.attempts.append((event_id, 401))
            return web.Response(status=401)
        if self.fail_first > 0:
            self.fail_first -= 1
            self.attempts.append((event_id, 500))
            return web.Response(status=500)
        event = json.loads(body)
        assert event["id"] == event_id
        assert event["type"] == request.headers["Lipa-Event-Type"]
        if event_id in self.accepted:
            self.redeliveries += 1  # a duplicate: acknowledged, not processed again
        else:
            self.accepted[event_id] = event
            self.changed.set()
        if self.fail_after_processing > 0:
            self.fail_after_processing -= 1
            self.attempts.append((event_id, 500))
            return web.Response(status=500)
        self.attempts.append((event_id, 200))
        return web.Response(status=204)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hooks/lipa", self.handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("/hooks/lipa"))

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def wait_for_events(self, count: int) -> None:
        """Wait until ``count`` distinct events were accepted (callers bound the wait)."""
        while len(self.accepted) < count:
            self.changed.clear()
            await self.changed.wait()

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.accepted.values() if event["type"] == kind]
