"""Staff reports: the day's takings, what is pending, finding a payment, takings per day, CSV.

Days are Nairobi days. Every figure is aggregated by the database (see
:class:`checkout.staff.ports.ReportRepository`), so a report costs a few indexed queries whatever
the number of payments; only the CSV export reads rows one by one, a chunk at a time, into a
temporary file (a year of a busy business is a hundred megabytes of CSV).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import IO, Final, Literal

from checkout.domain.phones import PhoneError, mask_phone, normalise_phone
from checkout.domain.records import Order, Payment, PaymentStatus
from checkout.domain.references import parse_order_reference
from checkout.domain.refunds import Refund, RefundTotal
from checkout.domain.summaries import DayTotal, FoundPayment, OpenPlans, OutcomeTotal, PaymentLine
from checkout.domain.time import NAIROBI, Clock
from checkout.payments.other_way import ToldToPay, with_ways_out
from checkout.staff.ports import ReportUnitOfWorkFactory

MAX_EXPORT_DAYS: Final = 366
# Rows read from the database and written to the file at a time.
EXPORT_CHUNK: Final = 2000
# An export smaller than this stays in memory; a larger one goes to a temporary file on disk.
EXPORT_IN_MEMORY_BYTES: Final = 1 << 20
CSV_COLUMNS: Final = (
    "payment_id",
    "created_at",
    "settled_at",
    "order_reference",
    "amount",
    "status",
    "result_code",
    "receipt_number",
    "phone",
    "channel",
    "method",  # stk: pushed by Lipa; till: paid to the paybill or till and credited
)
# M-Pesa receipt numbers are ten capital letters and digits, e.g. NLJ7RT61SV.
_RECEIPT: Final = re.compile(r"[A-Z0-9]{8,12}", re.ASCII)
_DAY_FORMATS: Final = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")


class Period(StrEnum):
    """How far back a takings report looks, ending today."""

    WEEK = "week"
    MONTH = "month"

    @property
    def days(self) -> int:
        """The number of days in the report, today included."""
        return 7 if self is Period.WEEK else 30


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One day's payments by outcome, and the open BNPL plans."""

    day: date
    totals: tuple[OutcomeTotal, ...]
    plans: OpenPlans
    refunded: RefundTotal = field(default_factory=RefundTotal)  # refunds completed that day

    @property
    def count(self) -> int:
        """Every payment started that day."""
        return sum(total.count for total in self.totals)

    @property
    def paid(self) -> int:
        """What was paid that day."""
        return sum(total.amount for total in self.totals if total.status is PaymentStatus.PAID)


@dataclass(frozen=True, slots=True)
class PendingSummary:
    """Payments waiting for M-Pesa and orders paid in part, with the first few of each."""

    pending_count: int
    pending: tuple[Payment, ...]
    partly_paid_count: int
    partly_paid: tuple[Order, ...]
    # Orders whose customer was told to pay by paybill, still owing (latest told first).
    told_count: int = 0
    told: tuple[ToldToPay, ...] = ()
    # The names Telegram or M-Pesa gave the pending payments' customers, by customer id.
    names: Mapping[int, str] = field(default_factory=dict)

    def name_of(self, payment: Payment) -> str | None:
        """The name of ``payment``'s customer, if one was given."""
        return self.names.get(payment.customer_id) if payment.customer_id else None


@dataclass(frozen=True, slots=True)
class Takings:
    """What was paid on each day from ``first`` to ``last`` (days without payments are 0)."""

    first: date
    last: date
    days: tuple[DayTotal, ...]
    refunded: RefundTotal = field(default_factory=RefundTotal)  # refunds completed in the period

    @property
    def amount(self) -> int:
        """The total paid in the period."""
        return sum(day.amount for day in self.days)

    @property
    def count(self) -> int:
        """How many payments were paid in the period."""
        return sum(day.count for day in self.days)

    @property
    def best(self) -> DayTotal | None:
        """The day with the most paid (the earliest of equals), or None if nothing was paid."""
        best = max(self.days, key=lambda day: (day.amount, -day.day.toordinal()), default=None)
        return best if best is not None and best.amount > 0 else None


@dataclass(frozen=True, slots=True)
class Export:
    """The payments of a range of days as CSV in a temporary file, with the caption's figures.

    ``file`` is at its start; whoever sends it closes it (:meth:`close`), which removes it.
    """

    first: date
    last: date
    file: IO[bytes]
    count: int
    paid_count: int
    paid_amount: int
    refunded: RefundTotal = field(
        default_factory=RefundTotal
    )  # refunds completed in the range (rows of their own)

    @property
    def filename(self) -> str:
        """``payments-<first>-to-<last>.csv``."""
        return f"payments-{self.first.isoformat()}-to-{self.last.isoformat()}.csv"

    @property
    def csv(self) -> bytes:
        """The whole CSV, read from the file (which is left at its start)."""
        self.file.seek(0)
        data = self.file.read()
        self.file.seek(0)
        return data

    @property
    def size(self) -> int:
        """The CSV's length in bytes."""
        end = self.file.seek(0, io.SEEK_END)
        self.file.seek(0)
        return end

    def close(self) -> None:
        """Close the file (a temporary file on disk is removed)."""
        self.file.close()


class ExportRangeError(ValueError):
    """A range of days that cannot be exported; ``reason`` is "reversed" or "too_long"."""

    def __init__(self, reason: Literal["reversed", "too_long"]) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_day(text: str) -> date:
    """A date typed as ``2026-11-28``, ``28/11/2026`` or ``28.11.2026``; raises ValueError."""
    for pattern in _DAY_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()  # noqa: DTZ007 - a date only
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def day_start(day: date, zone: tzinfo = NAIROBI) -> datetime:
    """Midnight at the start of ``day`` in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone)


def csv_lines(rows: Iterable[Sequence[object]]) -> bytes:
    """``rows`` as UTF-8 CSV lines."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def payment_rows(
    payments: Iterable[PaymentLine], zone: tzinfo = NAIROBI
) -> list[tuple[object, ...]]:
    """The CSV rows of payments: times in ``zone``, phones masked."""
    return [
        (
            payment.id,
            payment.created_at.astimezone(zone).isoformat(timespec="seconds"),
            payment.settled_at.astimezone(zone).isoformat(timespec="seconds")
            if payment.settled_at
            else "",
            payment.order_reference,
            payment.amount,
            payment.status.value,
            "" if payment.result_code is None else payment.result_code,
            payment.receipt_number or "",
            mask_phone(payment.phone),
            payment.channel.value,
            payment.method.value,
        )
        for payment in payments
    ]


def refund_rows(refunds: Iterable[Refund], zone: tzinfo = NAIROBI) -> list[tuple[object, ...]]:
    """Completed refunds as CSV rows of their own: status ``refunded``, the amount negative,
    the receipt M-Pesa's reference of the money going back, the method how it went
    (``reversal`` or ``b2c``)."""
    rows: list[tuple[object, ...]] = []
    for refund in refunds:
        finished = refund.finished_at or refund.requested_at
        rows.append(
            (
                refund.payment_id,
                refund.requested_at.astimezone(zone).isoformat(timespec="seconds"),
                finished.astimezone(zone).isoformat(timespec="seconds"),
                refund.order_reference,
                -refund.amount,
                "refunded",
                refund.result_code or "",
                refund.transaction_id or "",
                "",
                "",
                refund.method.value if refund.method else "",
            )
        )
    return rows


def _write_payments(file: IO[bytes], payments: Sequence[PaymentLine], zone: tzinfo) -> None:
    file.write(csv_lines(payment_rows(payments, zone)))


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a staff search can mean: a receipt number, an order reference, a phone number."""

    receipt: str | None
    reference: str | None
    phone: str | None

    @classmethod
    def parse(cls, query: str) -> SearchTerms | None:
        """Every reading of ``query`` that is well-formed, or None if there is none."""
        text = query.strip()
        compact = text.upper()
        receipt = compact if _RECEIPT.fullmatch(compact) else None
        reference = parse_order_reference(text)
        try:
            phone: str | None = normalise_phone(text)
        except PhoneError:
            phone = None
        if receipt is None and reference is None and phone is None:
            return None
        return cls(receipt=receipt, reference=reference, phone=phone)


class ReportService:
    """Answers staff questions about payments from the database's aggregates."""

    def __init__(
        self,
        units: ReportUnitOfWorkFactory,
        *,
        clock: Clock,
        zone: tzinfo = NAIROBI,
        export_chunk: int = EXPORT_CHUNK,
        export_in_memory_bytes: int = EXPORT_IN_MEMORY_BYTES,
    ) -> None:
        self._units = units
        self._clock = clock
        self._zone = zone
        self._export_chunk = export_chunk
        self._export_in_memory = export_in_memory_bytes

    def today(self) -> date:
        """Today's date where the business is."""
        return self._clock().astimezone(self._zone).date()

    async def day(self, day: date | None = None) -> DaySummary:
        """The payments started on ``day`` (today by default) by outcome, and open plans."""
        day = day or self.today()
        start = day_start(day, self._zone)
        async with self._units() as unit:
            totals = await unit.reports.outcome_totals(start=start, end=start + timedelta(days=1))
            plans = await unit.reports.open_plans()
            refunded = await unit.refunds.completed_totals(
                start=start, end=start + timedelta(days=1)
            )
        order = list(PaymentStatus)
        ordered = sorted(totals, key=lambda total: order.index(total.status))
        return DaySummary(day=day, totals=tuple(ordered), plans=plans, refunded=refunded)

    async def pending(self, *, limit: int = 10) -> PendingSummary:
        """The payments still pending and the orders partly paid, with the first ``limit``."""
        async with self._units() as unit:
            pending = tuple(await unit.reports.pending_payments(limit=limit))
            return PendingSummary(
                pending_count=await unit.reports.count_pending(),
                pending=pending,
                partly_paid_count=await unit.reports.count_partly_paid(),
                partly_paid=tuple(await unit.reports.partly_paid_orders(limit=limit)),
                told_count=await with_ways_out(unit).ways_out.count_told_to_pay(),
                told=tuple(await with_ways_out(unit).ways_out.told_to_pay(limit=limit)),
                names=await unit.customers.names(_customer_ids(pending)),
            )

    async def find(self, terms: SearchTerms, *, limit: int = 10) -> tuple[FoundPayment, ...]:
        """The newest payments matching any reading of the search, with their audit trails."""
        async with self._units() as unit:
            payments = await unit.reports.find_payments(
                receipt=terms.receipt, reference=terms.reference, phone=terms.phone, limit=limit
            )
            audit = await unit.reports.audit_for([payment.id for payment in payments])
            names = await unit.customers.names(_customer_ids(payments))
        return tuple(
            FoundPayment(
                payment,
                tuple(entry for entry in audit if entry.payment_id == payment.id),
                name=names.get(payment.customer_id) if payment.customer_id else None,
            )
            for payment in payments
        )

    async def takings(self, period: Period) -> Takings:
        """What was paid on each of the period's days, ending today."""
        last = self.today()
        first = last - timedelta(days=period.days - 1)
        start = day_start(first, self._zone)
        end = day_start(last + timedelta(days=1), self._zone)
        offset = start.utcoffset() or timedelta(0)
        async with self._units() as unit:
            found = await unit.reports.daily_takings(start=start, end=end, utc_offset=offset)
            refunded = await unit.refunds.completed_totals(start=start, end=end)
        by_day = {total.day: total for total in found}
        days = tuple(
            by_day.get(first + timedelta(days=n), DayTotal(first + timedelta(days=n), 0, 0))
            for n in range(period.days)
        )
        return Takings(first=first, last=last, days=days, refunded=refunded)

    async def export(self, first: date | None = None, last: date | None = None) -> Export:
        """The payments started from ``first`` to ``last`` (both included) as CSV.

        By default from the first of this month; ``last`` defaults to today.
        """
        today = self.today()
        last = last or today
        first = first or last.replace(day=1)
        if last < first:
            raise ExportRangeError("reversed")
        if (last - first).days + 1 > MAX_EXPORT_DAYS:
            raise ExportRangeError("too_long")
        start = day_start(first, self._zone)
        end = day_start(last + timedelta(days=1), self._zone)
        file: IO[bytes] = tempfile.SpooledTemporaryFile(self._export_in_memory)  # noqa: SIM115 - the Export owns it
        count = paid_count = paid_amount = 0
        try:
            file.write(csv_lines([CSV_COLUMNS]))
            async with self._units() as unit:
                refunds = await unit.refunds.completed_between(start=start, end=end)
                chunks = unit.reports.payment_lines(start=start, end=end, chunk=self._export_chunk)
                async with contextlib.aclosing(chunks):
                    async for payments in chunks:
                        # Thousands of rows take milliseconds to write: not on the event loop.
                        await asyncio.to_thread(_write_payments, file, payments, self._zone)
                        paid = [p.amount for p in payments if p.status is PaymentStatus.PAID]
                        count += len(payments)
                        paid_count += len(paid)
                        paid_amount += sum(paid)
            file.write(csv_lines(refund_rows(refunds, self._zone)))
            file.seek(0)
        except BaseException:
            file.close()
            raise
        return Export(
            first=first,
            last=last,
            file=file,
            count=count,
            paid_count=paid_count,
            paid_amount=paid_amount,
            refunded=RefundTotal(len(refunds), sum(refund.amount for refund in refunds)),
        )


def _customer_ids(payments: Iterable[Payment]) -> set[int]:
    return {payment.customer_id for payment in payments if payment.customer_id is not None}
