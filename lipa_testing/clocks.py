"""Clocks tests set and move by hand, so nothing waits on real time.

:class:`SettableClock` is a ``checkout.domain.time.Clock`` (a callable returning an aware
datetime); :class:`MonotonicClock` stands in for ``time.monotonic`` (seconds as a float), as
Daraja's token cache reads it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

# Where every test clock starts unless told otherwise (noon in Nairobi).
DEFAULT_START: Final = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class SettableClock:
    """A wall clock tests move by hand: set ``now`` or call :meth:`advance`."""

    def __init__(self, now: datetime = DEFAULT_START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0.0, **delta: float) -> None:
        """Move the clock forward by ``seconds`` and any ``timedelta`` fields (``minutes=5``)."""
        self.now += timedelta(seconds=seconds, **delta)


class MonotonicClock:
    """A monotonic clock (seconds as a float) that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds
