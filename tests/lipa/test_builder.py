"""The one builder wires the units of work and the outbox sender without patching either."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from lipa.app import open_lipa
from lipa.settings import Settings
from lipa_testing.clocks import SettableClock


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


async def test_the_units_hand_their_commits_to_the_process_s_outbox_sender(
    tmp_path: Path,
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'l.db'}",
        outbox_in_thread=False,  # the thread's hand-over: tests/lipa/test_delivery_thread.py
    )
    async with open_lipa(settings, clock=SettableClock()) as lipa:
        assert lipa.delivery is lipa.outbox
        delivery = lipa.units.delivery
        assert delivery is not None
        # Nothing is claimed for a sender that is not delivering...
        assert delivery.lease_until() is None
        running = asyncio.create_task(lipa.outbox.run_forever())
        try:
            await asyncio.sleep(0)  # the loop starts its flight before its first await
            # ...and, once it runs, commits claim their messages for the built sender.
            assert delivery.lease_until() == lipa.outbox.lease_until()
            assert delivery.lease_until() is not None
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
