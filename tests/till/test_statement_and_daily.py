"""The statement check's passes, the staff's daily line, and M-Pesa's MSISDN forms."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from checkout.domain.phones import msisdn_matches, msisdn_phone
from checkout.domain.records import PaymentStatus
from checkout.domain.time import NAIROBI
from checkout.till.credit import CreditOutcome
from checkout.till.daily import DailyLine
from checkout.till.records import LedgerSource, TillPayment
from checkout.till.statement import STATEMENT_SPAN, StatementCheck
from tests.till.world import PHONE, TillWorld, UowFactory


@pytest.fixture
def world(uow: UowFactory) -> TillWorld:
    return TillWorld(uow)


class FakeStatement:
    """A statement that lists the lines given, and records the windows asked."""

    def __init__(self, lines: Sequence[TillPayment]) -> None:
        self.lines = list(lines)
        self.windows: list[tuple[datetime, datetime]] = []

    async def transactions(self, start: datetime, end: datetime) -> Sequence[TillPayment]:
        self.windows.append((start, end))
        return [line for line in self.lines if line.paid_at is None or start <= line.paid_at <= end]


class TestStatementCheck:
    async def test_a_pass_records_every_line_and_a_second_changes_nothing(
        self, world: TillWorld
    ) -> None:
        await world.order("WW-1042", 1500)
        lines = [
            world.c2b("RKTQDM7W6S", 1500, account="WW-1042"),
            world.c2b("RKTQDM7W6T", 800, account="nobody", msisdn="2547****999"),
        ]
        check = StatementCheck(world.credits, FakeStatement(lines), clock=world.clock)
        first = await check.run_once()
        again = await check.run_once()
        assert [result.outcome for _, result in first.results] == [
            CreditOutcome.CREDITED,
            CreditOutcome.QUEUED,
        ]
        assert set(again.counts) == {CreditOutcome.DUPLICATE}
        assert (await world.order_now("WW-1042")).amount_paid == 1500

    async def test_passes_read_48_hours_first_then_from_shortly_before_the_last(
        self, world: TillWorld
    ) -> None:
        statement = FakeStatement([])
        check = StatementCheck(world.credits, statement, clock=world.clock)
        await check.run_once()
        world.later(3600)
        await check.run_once()
        (start1, end1), (start2, end2) = statement.windows
        assert end1 - start1 == STATEMENT_SPAN
        assert start2 == end1 - timedelta(hours=1)
        assert end2 == end1 + timedelta(hours=1)

    async def test_a_line_whose_push_is_still_pending_waits_for_the_next_pass(
        self, world: TillWorld
    ) -> None:
        await world.stk("WW-1042", 1500, receipt=None, status=PaymentStatus.PENDING)
        line = world.c2b("RKTQDM7W6S", 1500, account="WW-1042")
        check = StatementCheck(world.credits, FakeStatement([line]), clock=world.clock)
        report = await check.run_once()
        assert report.counts == {CreditOutcome.WAITING: 1}
        assert await world.credits.known("RKTQDM7W6S") is None


class TestDailyLine:
    async def test_yesterdays_line_goes_once_within_the_hour(self, world: TillWorld) -> None:
        yesterday = datetime(2026, 12, 3, 15, 0, tzinfo=NAIROBI)
        world.clock.now = yesterday.astimezone(UTC)
        await world.order("WW-1042", 1500)
        await world.credits.record(
            world.c2b("RKTQDM7W6S", 1500, account="WW-1042"), source=LedgerSource.STATEMENT
        )
        await world.credits.record(
            world.c2b("RKTQDM7W6T", 700, account="nobody"), source=LedgerSource.STATEMENT
        )
        daily = DailyLine(world.uow, world.credits.notices, clock=world.clock, hour=8)
        world.clock.now = datetime(2026, 12, 4, 7, 59, tzinfo=NAIROBI).astimezone(UTC)
        assert not await daily.run_once()
        world.clock.now = datetime(2026, 12, 4, 8, 5, tzinfo=NAIROBI).astimezone(UTC)
        assert await daily.run_once()
        assert not await daily.run_once()
        lines = [m["text"] for m in await world.outbox() if m["text"].startswith("M-Pesa")]
        assert lines == [
            "M-Pesa 03/12/2026: 2 transactions, KES 2,200; Lipa: 1 matched, 1 unmatched"
        ]

    async def test_a_quiet_day_gets_a_line_only_when_the_statement_is_checked(
        self, world: TillWorld
    ) -> None:
        world.clock.now = datetime(2026, 12, 4, 8, 5, tzinfo=NAIROBI).astimezone(UTC)
        quiet = DailyLine(world.uow, world.credits.notices, clock=world.clock, hour=8)
        checked = DailyLine(
            world.uow, world.credits.notices, clock=world.clock, hour=8, statement=True
        )
        assert not await quiet.run_once()
        assert await checked.run_once()


class TestMsisdnForms:
    @pytest.mark.parametrize(
        "msisdn",
        [
            PHONE,
            "0712345678",
            "2547****5678",
            "2547****678",
            "2547 ***** 678",
            # The bare 9-digit and the 0-prefixed forms, whole and masked (Pull statements).
            "712345678",
            "712***678",
            "712****678",
            "0712***678",
            "0712 *** 678",
            hashlib.sha256(PHONE.encode()).hexdigest(),
            hashlib.sha256(PHONE.encode()).hexdigest().upper(),
        ],
    )
    def test_every_form_of_the_number_matches_it(self, msisdn: str) -> None:
        assert msisdn_matches(msisdn, PHONE)

    @pytest.mark.parametrize(
        "msisdn",
        [
            "254712345679",
            "2547****5679",
            "2548****678",
            "712***679",
            "0722***678",
            "812****678",
            hashlib.sha256(b"254712345679").hexdigest(),
            "",
            None,
        ],
    )
    def test_another_number_does_not(self, msisdn: str | None) -> None:
        assert not msisdn_matches(msisdn, PHONE)

    def test_only_a_whole_number_is_a_phone_to_text(self) -> None:
        assert msisdn_phone("0712345678") == PHONE
        assert msisdn_phone("2547****678") is None
        assert msisdn_phone(hashlib.sha256(PHONE.encode()).hexdigest()) is None
