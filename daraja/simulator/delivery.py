"""Delivering the simulator's POSTs beyond the STK callback: C2B validation and confirmation,
initiator Results and queue timeouts. Each attempt is kept as a :class:`SentNotice`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

CONTENT_TYPE = "application/json;charset=UTF-8"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SentNotice:
    """One POST the simulator made: what, where, the exact body and the receiver's answer."""

    kind: str  # "c2b_validation", "c2b_confirmation", "result", "timeout"
    url: str
    body: bytes
    status: int | None  # None when the receiver could not be reached
    error: str | None
    answer: Any = None  # the receiver's JSON answer, if it sent one

    @property
    def delivered(self) -> bool:
        """True when the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def _origin(url: str) -> str:
    # The path may hold a secret: log where a POST goes, not the whole URL.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Courier:
    """POSTs JSON bodies through the simulator's session and records each attempt."""

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.notices: list[SentNotice] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()

    def attach(self, session: aiohttp.ClientSession) -> None:
        """Start delivering through ``session``."""
        self.session = session
        self._changed = asyncio.Condition()

    async def close(self) -> None:
        """Cancel pending deliveries."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.session = None

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background until it ends or the simulator stops."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def later(self, delay: float, work: Coroutine[Any, Any, Any]) -> None:
        """Await ``work`` after ``delay`` seconds; a failure is logged, never raised."""
        try:
            await asyncio.sleep(delay)
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("simulator background work failed")

    async def post(self, kind: str, url: str, payload: Any, *, seconds: float) -> SentNotice:
        """POST ``payload`` as JSON to ``url`` (at most ``seconds``); record the attempt."""
        body = json.dumps(payload).encode()
        status: int | None = None
        error: str | None = None
        answer: Any = None
        if self.session is None:
            error = "the simulator is not running"
        else:
            try:
                async with self.session.post(
                    url,
                    data=body,
                    headers={"Content-Type": CONTENT_TYPE},
                    timeout=aiohttp.ClientTimeout(total=seconds),
                ) as response:
                    raw = await response.read()
                    status = response.status
                    with contextlib.suppress(ValueError):
                        answer = json.loads(raw)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = type(exc).__name__
        if error is not None:
            logger.warning("simulator could not POST the %s to %s: %s", kind, _origin(url), error)
        notice = SentNotice(kind, url, body, status, error, answer)
        async with self._changed:
            self.notices.append(notice)
            self._changed.notify_all()
        return notice

    async def wait_for(self, kind: str, count: int = 1) -> list[SentNotice]:
        """Wait until ``count`` notices of ``kind`` were attempted (bound with asyncio.timeout)."""

        def of_kind() -> list[SentNotice]:
            return [notice for notice in self.notices if notice.kind == kind]

        async with self._changed:
            await self._changed.wait_for(lambda: len(of_kind()) >= count)
        return of_kind()
