"""Running a worker's pass again and again, so one failed pass never stops the worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


async def run_every(
    interval_seconds: float, one_pass: Callable[[], Awaitable[Any]], *, name: str
) -> None:
    """Run ``one_pass`` every ``interval_seconds`` until cancelled; log a failed pass and go on."""
    while True:
        try:
            await one_pass()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s pass failed", name)
        await asyncio.sleep(interval_seconds)
