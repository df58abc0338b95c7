"""The staff's daily line: yesterday's M-Pesa transactions against Lipa's books.

Once a day, within the hour ``RECONCILE_REPORT_HOUR`` (Nairobi), the staff get one line, "M-Pesa: N
transactions, KES X; Lipa: N matched, K unmatched", over the ledger's transactions of the
previous Nairobi day. Its dedupe key is the day, so several processes (or a restart) send it
once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from checkout.domain.time import NAIROBI, Clock
from checkout.runtime.periodic import run_every
from checkout.till.notices import TillNotices
from checkout.till.ports import LedgerTotals, TillUnitOfWorkFactory

# How often the worker looks whether the hour has come.
CHECK_SECONDS = 300.0


class DailyLine:
    """Queues the daily statement line for the staff, once a day from ``hour`` on."""

    def __init__(
        self,
        units: TillUnitOfWorkFactory,
        notices: TillNotices,
        *,
        clock: Clock,
        hour: int,
        statement: bool = False,
    ) -> None:
        """``statement``: the statement is checked (MPESA_PULL_ENABLED), so a day without
        transactions is worth a line too; otherwise only a day with some gets one. The line
        is in the language of the staff chat's reader (see ``TillNotices.daily``)."""
        self._units = units
        self._notices = notices
        self._clock = clock
        self._hour = hour
        self._statement = statement
        self._sent_for: date | None = None

    async def totals(self, day: date) -> LedgerTotals:
        """The ledger's transactions paid on ``day`` (Nairobi)."""
        start = datetime.combine(day, time(0), tzinfo=NAIROBI)
        async with self._units() as unit:
            return await unit.till.totals(paid_from=start, paid_to=start + timedelta(days=1))

    async def run_once(self) -> bool:
        """Queue yesterday's line if the hour has come and it was not queued yet; whether it was."""
        local = self._clock().astimezone(NAIROBI)
        today = local.date()
        # Only within the hour: a process started later in the day does not send it late.
        if local.hour != self._hour or self._sent_for == today:
            return False
        day = today - timedelta(days=1)
        totals = await self.totals(day)
        self._sent_for = today
        if totals.count == 0 and not self._statement:
            return False

        async with self._units() as unit:
            await self._notices.daily(unit, day, totals)
            await unit.commit()
        return True

    async def run_forever(self) -> None:
        """Look every few minutes whether the day's line is due."""
        await run_every(CHECK_SECONDS, self.run_once, name="daily statement line")
