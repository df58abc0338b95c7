"""The statement check: every transaction of the shortcode's statement into Lipa's books.

Each pass reads the statement over a window (Daraja's Pull Transactions covers the last 48
hours) and records every line through :meth:`TillCredits.record`: one already in the ledger
changes nothing, an STK payment's is matched (its receipt filled in when only the query
settled it), a C2B payment's is credited, anything else is queued for the staff. A line
whose STK push is still pending is left for the next pass.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from checkout.domain.time import Clock
from checkout.runtime.periodic import run_every
from checkout.till.credit import CreditOutcome, CreditResult, TillCredits
from checkout.till.records import LedgerSource, TillPayment

log = logging.getLogger(__name__)

# What Daraja's Pull Transactions keeps.
STATEMENT_SPAN = timedelta(hours=48)
# Each pass reads a little before where the last ended: lines can be late to appear.
OVERLAP = timedelta(hours=1)


class Statement(Protocol):
    """The shortcode's statement, as the till reads it."""

    async def transactions(self, start: datetime, end: datetime) -> Sequence[TillPayment]:
        """Every transaction into the shortcode between ``start`` and ``end``."""
        ...


@dataclass
class StatementReport:
    """What one pass did: each line's outcome, in order."""

    start: datetime
    end: datetime
    results: list[tuple[TillPayment, CreditResult]] = field(default_factory=list)

    @property
    def counts(self) -> Counter[CreditOutcome]:
        """How many lines had each outcome."""
        return Counter(result.outcome for _, result in self.results)


class StatementCheck:
    """Runs statement passes, once or every ``interval_seconds``."""

    def __init__(
        self,
        credits: TillCredits,
        statement: Statement,
        *,
        clock: Clock,
        interval_seconds: float = 3600.0,
    ) -> None:
        self._credits = credits
        self._statement = statement
        self._clock = clock
        self._interval = interval_seconds
        self._last_end: datetime | None = None

    async def run_once(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> StatementReport:
        """One pass over ``[start, end]`` (default: since the last pass, at most 48 hours)."""
        end = end or self._clock()
        if start is None:
            start = end - STATEMENT_SPAN
            if self._last_end is not None:
                start = max(start, self._last_end - OVERLAP)
        lines = await self._statement.transactions(start, end)
        report = StatementReport(start, end)
        for line in lines:
            result = await self._credits.record(line, source=LedgerSource.STATEMENT)
            report.results.append((line, result))
        self._last_end = end
        counts = report.counts
        if lines:
            log.info(
                "statement %s to %s: %d lines, %s",
                start.isoformat(timespec="seconds"),
                end.isoformat(timespec="seconds"),
                len(lines),
                ", ".join(f"{count} {outcome.value}" for outcome, count in sorted(counts.items())),
            )
        return report

    async def run_forever(self) -> None:
        """A pass every ``interval_seconds``; a failed pass is logged and the next one runs."""
        await run_every(self._interval, self.run_once, name="statement check")
