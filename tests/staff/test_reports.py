"""Staff reports count by Nairobi day in the database, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from checkout.domain.records import Channel, PaymentStatus
from checkout.staff.reports import (
    CSV_COLUMNS,
    ExportRangeError,
    Period,
    ReportService,
    SearchTerms,
    parse_day,
)
from storage.unit_of_work import SqlUnitOfWork
from tests.staff.seeding import Seed, seed

UowFactory = Callable[[], SqlUnitOfWork]
# 10:00 in Nairobi (UTC+3) on 28 November 2026.
NOW = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)


def service(uow: UowFactory, now: datetime = NOW) -> ReportService:
    return ReportService(uow, clock=lambda: now)


def nairobi(day: date, hour: int, minute: int = 0) -> datetime:
    """A time given in Nairobi's wall clock, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


async def test_today_counts_and_sums_by_outcome_within_the_nairobi_day(uow: UowFactory) -> None:
    await seed(uow, Seed("A-1", 1500, PaymentStatus.PAID, nairobi(TODAY, 0, 5), receipt="R1"))
    await seed(uow, Seed("A-2", 500, PaymentStatus.PAID, nairobi(TODAY, 9, 30), receipt="R2"))
    await seed(uow, Seed("A-3", 700, PaymentStatus.CANCELLED, nairobi(TODAY, 9)))
    await seed(uow, Seed("A-4", 300, PaymentStatus.PENDING, nairobi(TODAY, 9, 59)))
    # Five minutes before midnight in Nairobi: yesterday.
    await seed(uow, Seed("B-1", 9000, PaymentStatus.PAID, nairobi(TODAY, 0) - timedelta(minutes=5)))
    # After midnight in Nairobi tomorrow: not today.
    await seed(uow, Seed("C-1", 8000, PaymentStatus.PAID, nairobi(TODAY + timedelta(days=1), 0)))

    summary = await service(uow).day()

    totals = {total.status: (total.count, total.amount) for total in summary.totals}
    assert totals == {
        PaymentStatus.PAID: (2, 2000),
        PaymentStatus.CANCELLED: (1, 700),
        PaymentStatus.PENDING: (1, 300),
    }
    assert (summary.count, summary.paid) == (4, 2000)
    assert (summary.plans.count, summary.plans.balance) == (0, 0)


async def test_takings_are_per_nairobi_day_with_empty_days_as_zero(uow: UowFactory) -> None:
    await seed(uow, Seed("A-1", 1000, PaymentStatus.PAID, nairobi(TODAY, 1)))
    await seed(uow, Seed("A-2", 250, PaymentStatus.PAID, nairobi(TODAY, 23, 59)))
    # 22:30 UTC on the 25th is 01:30 on the 26th in Nairobi.
    await seed(
        uow, Seed("B-1", 400, PaymentStatus.PAID, datetime(2026, 11, 25, 22, 30, tzinfo=UTC))
    )
    await seed(uow, Seed("B-2", 999, PaymentStatus.FAILED, nairobi(date(2026, 11, 26), 9)))
    await seed(
        uow, Seed("D-1", 50, PaymentStatus.PAID, nairobi(date(2026, 11, 21), 23))
    )  # 8 days ago

    takings = await service(uow, now=nairobi(TODAY, 23, 59) + timedelta(seconds=30)).takings(
        Period.WEEK
    )

    assert (takings.first, takings.last) == (date(2026, 11, 22), TODAY)
    assert [day.day for day in takings.days] == [
        date(2026, 11, 22) + timedelta(n) for n in range(7)
    ]
    by_day = {day.day: (day.count, day.amount) for day in takings.days}
    assert by_day[TODAY] == (2, 1250)
    assert by_day[date(2026, 11, 26)] == (1, 400)
    assert by_day[date(2026, 11, 25)] == (0, 0)
    assert (takings.amount, takings.count) == (1650, 3)
    assert takings.best is not None
    assert takings.best.day == TODAY


async def test_a_month_report_has_thirty_days(uow: UowFactory) -> None:
    takings = await service(uow).takings(Period.MONTH)
    assert len(takings.days) == 30
    assert takings.best is None
    assert takings.amount == 0


async def test_pending_lists_the_oldest_waiting_payments_and_partly_paid_orders(
    uow: UowFactory,
) -> None:
    for minute in range(12):
        await seed(
            uow, Seed(f"P-{minute}", 100 + minute, PaymentStatus.PENDING, nairobi(TODAY, 8, minute))
        )
    await seed(uow, Seed("PART-1", 400, PaymentStatus.PAID, nairobi(TODAY, 9), order_amount=1000))
    await seed(uow, Seed("FULL-1", 400, PaymentStatus.PAID, nairobi(TODAY, 9)))

    summary = await service(uow).pending(limit=10)

    assert summary.pending_count == 12
    assert [payment.order_reference for payment in summary.pending] == [
        f"P-{minute}" for minute in range(10)
    ]
    assert summary.partly_paid_count == 1
    assert [(o.reference, o.amount_paid, o.balance) for o in summary.partly_paid] == [
        ("PART-1", 400, 600)
    ]


async def test_find_matches_a_receipt_an_order_or_a_phone_with_events(uow: UowFactory) -> None:
    first = await seed(
        uow, Seed("WW-1042", 500, PaymentStatus.CANCELLED, nairobi(TODAY, 8), order_amount=1500)
    )
    second = await seed(
        uow, Seed("WW-1042", 1500, PaymentStatus.PAID, nairobi(TODAY, 9), receipt="NLJ7RT61SV")
    )
    other = await seed(
        uow, Seed("WW-2000", 200, PaymentStatus.PAID, nairobi(TODAY, 9), phone="254799999999")
    )
    reports = service(uow)

    by_receipt = await reports.find(SearchTerms.parse("nlj7rt61sv") or pytest.fail("no terms"))
    assert [found.payment.id for found in by_receipt] == [second.id]
    assert [entry.kind for entry in by_receipt[0].audit] == ["callback"]

    by_order = await reports.find(SearchTerms.parse("ww-1042") or pytest.fail("no terms"))
    assert [found.payment.id for found in by_order] == [second.id, first.id]

    by_phone = await reports.find(SearchTerms.parse("0799 999 999") or pytest.fail("no terms"))
    assert [found.payment.id for found in by_phone] == [other.id]

    nothing = await reports.find(SearchTerms.parse("ZZ-0") or pytest.fail("no terms"))
    assert nothing == ()


def test_a_search_needs_something_that_could_match() -> None:
    assert SearchTerms.parse("???") is None
    terms = SearchTerms.parse("+254 712 345 678")
    assert terms is not None
    assert terms.phone == "254712345678"


async def test_export_is_csv_that_sums_right(uow: UowFactory) -> None:
    amounts = [1500, 250, 99, 4000]
    for n, amount in enumerate(amounts):
        await seed(
            uow, Seed(f"E-{n}", amount, PaymentStatus.PAID, nairobi(TODAY, 8, n), receipt=f"R{n}X")
        )
    await seed(uow, Seed("E-F", 777, PaymentStatus.FAILED, nairobi(TODAY, 9)))
    await seed(uow, Seed("E-OLD", 5, PaymentStatus.PAID, nairobi(date(2026, 10, 31), 23)))

    export = await service(uow).export()

    assert (export.first, export.last) == (date(2026, 11, 1), TODAY)
    rows = list(csv.DictReader(io.StringIO(export.csv.decode())))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert len(rows) == export.count == 5
    paid = [row for row in rows if row["status"] == "paid"]
    assert sum(int(row["amount"]) for row in paid) == export.paid_amount == sum(amounts)
    assert export.paid_count == 4
    assert all(row["phone"] == "2547****5678" for row in rows)
    assert rows[0]["created_at"].endswith("+03:00")
    assert export.filename == "payments-2026-11-01-to-2026-11-28.csv"


async def test_export_refuses_reversed_and_overlong_ranges(uow: UowFactory) -> None:
    reports = service(uow)
    with pytest.raises(ExportRangeError) as reversed_range:
        await reports.export(date(2026, 11, 20), date(2026, 11, 1))
    assert reversed_range.value.reason == "reversed"
    with pytest.raises(ExportRangeError) as too_long:
        await reports.export(date(2025, 1, 1), date(2026, 11, 1))
    assert too_long.value.reason == "too_long"


@pytest.mark.parametrize("text", ["2026-11-05", "05/11/2026", "5.11.2026"])
def test_days_are_read_in_iso_and_kenyan_forms(text: str) -> None:
    assert parse_day(text) == date(2026, 11, 5)


def test_a_day_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_day("yesterday")


async def test_the_outbox_backlog_counts_undelivered_messages(uow: UowFactory) -> None:
    async with uow() as unit:
        for n in range(3):
            await unit.outbox.add(
                channel=Channel.TELEGRAM,
                chat_key="1",
                payload={"n": n},
                now=NOW - timedelta(minutes=n),
            )
        await unit.outbox.add(channel=Channel.EVENTS, chat_key="abc", payload={}, now=NOW)
        await unit.commit()
    async with uow() as unit:
        claimed = await unit.outbox.claim_due(now=NOW, limit=1, lease_seconds=30)
        await unit.outbox.mark_sent(claimed[0].id, now=NOW)
        await unit.commit()
    async with uow() as unit:
        backlog = await unit.reports.outbox_backlog()
    assert backlog.depth == {Channel.TELEGRAM: 2, Channel.EVENTS: 1}
    assert backlog.total == 3
    assert backlog.oldest_queued_at == NOW - timedelta(minutes=1)
