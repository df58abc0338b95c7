"""Schedule arithmetic: exact whole shillings summing to the balance, on Nairobi dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import repeat

import pytest

from checkout.bnpl.rules import (
    Action,
    PlanButton,
    PlanChoice,
    PlanRules,
    action_data,
    choice_data,
    collection_time,
    grace_end,
    grace_reminder_at,
    late_fee,
    move_data,
    nairobi_date,
    parse_plan_argument,
    schedule,
    schedules,
    split,
)
from checkout.domain.money import MAX_AMOUNT
from checkout.domain.time import NAIROBI

RULES = PlanRules(deposit_percent=25, options=(2, 3, 4), interval_days=7, collection_hour=10)
# Saturday 28 November 2026, 12:00 in Nairobi.
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
BALANCES = range(1, MAX_AMOUNT + 1)


class TestEveryAmountAddsUp:
    @pytest.mark.parametrize("count", RULES.options)
    def test_every_balance_from_1_to_250000_splits_exactly_or_is_not_offered(
        self, count: int
    ) -> None:
        # map() over the real function keeps 250,000 calls per option to a fraction of a second.
        results = list(map(split, BALANCES, repeat(RULES.deposit_percent), repeat(count)))
        offered = [(b, parts) for b, parts in zip(BALANCES, results, strict=True) if parts]
        assert all(sum(parts) == balance for balance, parts in offered)
        assert all(len(parts) == count + 1 for _, parts in offered)
        assert all(min(parts) >= 1 and max(parts) <= MAX_AMOUNT for _, parts in offered)
        # The deposit is its percentage, floored; the rounding remainder goes last.
        assert all(parts[0] == b * RULES.deposit_percent // 100 for b, parts in offered)
        assert all(
            len(set(parts[1:-1])) <= 1 and 0 <= parts[-1] - parts[1] < count for _, parts in offered
        )
        # An option is missing only where a part would be below one shilling.
        refused = [b for b, parts in zip(BALANCES, results, strict=True) if parts is None]
        assert all(
            b * RULES.deposit_percent // 100 < 1
            or (b - b * RULES.deposit_percent // 100) // count < 1
            for b in refused
        )
        assert refused == list(range(1, len(refused) + 1))  # only the smallest balances

    @pytest.mark.parametrize("percent", [1, 10, 33, 50, 90])
    @pytest.mark.parametrize("count", [1, 2, 5, 12])
    def test_other_deposits_and_counts_add_up_too(self, percent: int, count: int) -> None:
        for balance in range(1, MAX_AMOUNT + 1, 997):
            parts = split(balance, percent, count)
            if parts is not None:
                assert sum(parts) == balance
                assert min(parts) >= 1

    def test_the_example_in_the_offer(self) -> None:
        assert split(3000, 25, 3) == (750, 750, 750, 750)
        assert split(3000, 25, 4) == (750, 562, 562, 562, 564)
        assert split(1001, 25, 2) == (250, 375, 376)

    def test_a_balance_too_small_for_an_option_is_not_offered(self) -> None:
        assert split(3, 25, 2) is None  # the deposit would be 0 shillings
        assert split(4, 25, 3) == (1, 1, 1, 1)  # the smallest valid plan: one shilling each
        assert split(4, 25, 4) is None  # 3 shillings left for 4 installments
        assert split(8, 25, 4) == (2, 1, 1, 1, 3)


class TestDates:
    def test_installments_fall_on_the_interval_at_the_collection_hour_in_nairobi(self) -> None:
        option = schedule(3000, RULES, 3, NOW)
        assert option is not None
        assert option.deposit.due_at == NOW
        assert [part.due_at for part in option.installments] == [
            datetime(2026, 12, day, 10, 0, tzinfo=NAIROBI) for day in (5, 12, 19)
        ]
        assert all(part.due_at.tzinfo is not None for part in option.parts)
        assert option.total == option.balance == 3000

    def test_the_date_is_nairobis_not_utcs(self) -> None:
        # 22:30 UTC on the 28th is already the 29th in Nairobi.
        late = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)
        assert nairobi_date(late) == date(2026, 11, 29)
        option = schedule(3000, RULES, 2, late)
        assert option is not None
        assert option.installments[0].due_at == datetime(2026, 12, 6, 10, tzinfo=NAIROBI)

    def test_collection_time_is_timezone_aware(self) -> None:
        moment = collection_time(date(2026, 12, 5), 10)
        assert moment.utcoffset() == timedelta(hours=3)
        assert moment.astimezone(UTC).hour == 7

    def test_options_are_offered_fewest_installments_first_and_only_when_valid(self) -> None:
        assert [option.count for option in schedules(3000, RULES, NOW)] == [2, 3, 4]
        # KES 4: a deposit of 1 leaves 3, enough for 2 or 3 installments but not 4.
        assert [option.count for option in schedules(4, RULES, NOW)] == [2, 3]
        assert schedules(3, RULES, NOW) == ()


class TestButtons:
    def test_an_options_data_round_trips_and_fits_telegrams_64_bytes(self) -> None:
        option = schedule(MAX_AMOUNT, RULES, 4, NOW)
        assert option is not None
        data = choice_data(option, "ABCDEFGHIJ-L", "254712345678")
        assert data == "plan:4:250000:20261128:ABCDEFGHIJ-L:254712345678"
        assert len(data.encode()) <= 64
        parsed = parse_plan_argument(data.removeprefix("plan:"))
        assert parsed == PlanChoice(
            4, MAX_AMOUNT, date(2026, 11, 28), "ABCDEFGHIJ-L", "254712345678"
        )

    @pytest.mark.parametrize("action", [action for action in Action if action != Action.MOVE_TO])
    def test_a_plan_buttons_data_round_trips(self, action: Action) -> None:
        data = action_data(action, 123456789012)
        assert len(data.encode()) <= 64
        assert parse_plan_argument(data.removeprefix("plan:")) == PlanButton(action, 123456789012)

    def test_a_move_buttons_data_names_the_days_and_round_trips(self) -> None:
        data = move_data(123456789012, 7)
        assert data == "plan:moveto:123456789012:7"
        assert len(data.encode()) <= 64
        parsed = parse_plan_argument(data.removeprefix("plan:"))
        assert parsed == PlanButton(Action.MOVE_TO, 123456789012, 7)
        assert parse_plan_argument("moveto:12") is None
        assert parse_plan_argument("moveto:12:10") is None

    @pytest.mark.parametrize(
        "argument",
        [
            "",
            "x",
            "3:100:20261128",
            "3:100:20261340:WW-1:254712345678",
            "3:100:20261128:ww-1:254712345678",
            "3:100:20261128:WW-1:0712345678",
            "3:100:20261128:WW-1:254712345678:x",
            "next:",
            "next:x",
            "4:-1:1",
        ],
    )
    def test_malformed_data_means_nothing(self, argument: str) -> None:
        assert parse_plan_argument(argument) is None


class TestGraceAndFees:
    DUE = collection_time(date(2026, 12, 5), 10)

    def test_the_grace_ends_grace_days_after_the_date_at_the_collection_hour(self) -> None:
        assert grace_end(self.DUE, RULES) == collection_time(date(2026, 12, 8), 10)
        assert grace_end(self.DUE, replace(RULES, grace_days=0)) == self.DUE

    def test_the_one_grace_reminder_is_the_day_before_it_ends_and_never_in_the_past(
        self,
    ) -> None:
        at = self.DUE + timedelta(hours=3)
        assert grace_reminder_at(self.DUE, RULES, at) == collection_time(date(2026, 12, 7), 10)
        one_day = replace(RULES, grace_days=1)
        assert grace_reminder_at(self.DUE, one_day, at) == at
        assert grace_reminder_at(self.DUE, replace(RULES, grace_days=0), at) is None

    @pytest.mark.parametrize(
        ("fee", "fees_so_far", "already", "charged"),
        [
            (0, 0, 0, 0),  # no late fee set
            (200, 0, 0, 200),
            (200, 0, 150, 0),  # this installment was charged already: once only
            (200, 200, 0, 100),  # the plan's fees stop at 10 % of its total (300)
            (200, 300, 0, 0),
            (500, 0, 0, 300),
        ],
    )
    def test_a_late_fee_is_charged_once_and_capped_at_ten_percent(
        self, fee: int, fees_so_far: int, already: int, charged: int
    ) -> None:
        rules = replace(RULES, late_fee=fee)
        assert late_fee(rules, 3000, fees_so_far, already) == charged
