"""The loop the leased queues share: drain batches, sleep until due or woken, survive failures."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from checkout.runtime.leased_worker import WakeableLoop, drain, seconds_until

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_a_pass_claims_batches_until_one_comes_back_short() -> None:
    queue = list(range(7))
    claims: list[int] = []

    async def claim() -> Sequence[int]:
        batch, queue[:] = queue[:3], queue[3:]
        claims.append(len(batch))
        return batch

    async def work(batch: Sequence[int]) -> list[int]:
        return [row * 10 for row in batch]

    done = await drain(claim, work, batch_size=3)
    assert done == [0, 10, 20, 30, 40, 50, 60]
    assert claims == [3, 3, 1]


async def test_a_pass_stops_early_when_told_a_full_batch_brought_nothing_new() -> None:
    claims = 0

    async def claim() -> Sequence[int]:
        nonlocal claims
        claims += 1
        return [1, 2]  # the same rows, still due, every time

    async def work(batch: Sequence[int]) -> list[int]:
        return list(batch)

    seen: set[int] = set()

    def again(batch: Sequence[int]) -> bool:
        fresh = set(batch) - seen
        seen.update(fresh)
        return bool(fresh)

    assert await drain(claim, work, batch_size=2, again=again) == [1, 2, 1, 2]
    assert claims == 2


def test_the_sleep_is_until_the_next_due_row_and_never_past_the_idle_poll() -> None:
    assert seconds_until(None, NOW, at_most=5.0) == 5.0
    assert seconds_until(NOW + timedelta(seconds=2), NOW, at_most=5.0) == 2.0
    assert seconds_until(NOW + timedelta(seconds=60), NOW, at_most=5.0) == 5.0
    assert seconds_until(NOW - timedelta(seconds=3), NOW, at_most=5.0) == 0.0


async def test_a_failed_pass_is_logged_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    passes = 0
    second = asyncio.Event()

    async def one_pass() -> float:
        nonlocal passes
        passes += 1
        if passes == 1:
            raise RuntimeError("database hiccup")
        second.set()
        return 60.0

    loop = WakeableLoop("test queue", idle_poll_seconds=0.01)
    task = asyncio.create_task(loop.run_forever(one_pass))
    try:
        await asyncio.wait_for(second.wait(), timeout=5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert passes == 2
    assert "test queue pass failed" in caplog.text


async def test_an_event_shared_with_whoever_queues_work_wakes_a_sleeping_loop() -> None:
    queued = asyncio.Event()
    passes = 0
    woke = asyncio.Event()

    async def one_pass() -> float:
        nonlocal passes
        passes += 1
        if passes == 2:
            woke.set()
        return 60.0  # would sleep a minute unless woken

    loop = WakeableLoop("test queue", idle_poll_seconds=60.0, woken_by=queued)
    task = asyncio.create_task(loop.run_forever(one_pass))
    try:
        await asyncio.sleep(0.05)
        assert passes == 1
        queued.set()  # as a payment service does when it queues a push
        await asyncio.wait_for(woke.wait(), timeout=5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert passes == 2
