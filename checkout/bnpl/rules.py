"""Buy-Now-Pay-Later rules: the exact schedule of a plan, who may have one, and when to retry.

Pure arithmetic on whole shillings and Nairobi dates; no I/O. A plan is a deposit today plus
``count`` installments, one every ``interval_days`` days, each collected by STK push at the
collection hour (Nairobi time) of its date. The parts add up to the balance exactly: the
deposit is the floor of its percentage, the installments share the rest equally, and the
rounding remainder goes to the last installment. An option whose parts cannot each be 1 to
250,000 shillings (M-Pesa's limits) is not offered. There is no interest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Final

# The plan buttons' data are the domain's (the settled payment's presenter shows some).
from checkout.domain.callbacks import PAY_LATER as PAY_LATER
from checkout.domain.callbacks import PLAN_PREFIX as PLAN_PREFIX
from checkout.domain.callbacks import Action as Action
from checkout.domain.callbacks import action_data as action_data
from checkout.domain.money import MAX_AMOUNT, MIN_AMOUNT
from checkout.domain.result_codes import ResultCode
from checkout.domain.time import NAIROBI

# Callback data of plan buttons (Telegram allows 64 bytes; the longest here is about 30).
PLAN_NO: Final = "plan:no"  # "No thanks" on the offer
PLAN_PHONE: Final = "plan:phone"  # another M-Pesa number for the plan
# Result codes retried within the day: the phone was unreachable, busy, or the prompt lost.
_SOON_CODES: Final = frozenset(
    {
        ResultCode.DUPLICATE_WITHIN_TWO_MINUTES,
        ResultCode.SUBSCRIBER_LOCKED,
        ResultCode.EXPIRED,
        ResultCode.PROMPT_NOT_SENT,
        ResultCode.UNREACHABLE,
        ResultCode.NO_ANSWER,
        ResultCode.PUSH_REQUEST_ERROR,
    }
)
# "Move this date": at most this many days later, once per plan.
MOVE_DAYS: Final = 7
# Late fees on a plan never add up to more than this share of the order (its plan's total).
FEE_CAP_PERCENT: Final = 10
# An order reference as the flow accepts it (Daraja's AccountReference: 12 characters at most).
_ORDER: Final = re.compile(r"[A-Z0-9-]{1,12}", re.ASCII)


@dataclass(frozen=True, slots=True)
class PlanRules:
    """The business's plan rules (the ``BNPL_*`` settings)."""

    deposit_percent: int = 25
    options: tuple[int, ...] = (2, 3, 4)
    interval_days: int = 7
    collection_hour: int = 10
    min_order: int = 500
    max_outstanding: int = 20_000
    require_paid_history: bool = True
    late_fee: int = 0
    max_retries: int = 3  # automatic retries of an installment before it is overdue
    retry_soon: timedelta = timedelta(hours=1)
    grace_days: int = 3  # days after a missed installment's date before the plan is overdue


@dataclass(frozen=True, slots=True)
class Part:
    """One payment of a plan: ``number`` 0 is the deposit, 1.. the installments."""

    number: int
    amount: int
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Schedule:
    """A plan as offered: the deposit today and every installment with its date and amount."""

    balance: int
    parts: tuple[Part, ...]

    @property
    def deposit(self) -> Part:
        """The part paid today."""
        return self.parts[0]

    @property
    def installments(self) -> tuple[Part, ...]:
        """The parts collected later, in date order."""
        return self.parts[1:]

    @property
    def count(self) -> int:
        """How many installments follow the deposit."""
        return len(self.parts) - 1

    @property
    def total(self) -> int:
        """What the plan costs in all: the balance, since there is no interest."""
        return sum(part.amount for part in self.parts)


def split(balance: int, deposit_percent: int, count: int) -> tuple[int, ...] | None:
    """The deposit then ``count`` installments summing to ``balance``; None if a part is invalid.

    Every part must be an amount M-Pesa takes (1 to 250,000). The remainder of the equal
    share goes to the last installment, so it is the largest by less than ``count``.
    """
    if count < 1 or balance < 1:
        return None
    deposit = balance * deposit_percent // 100
    rest = balance - deposit
    share = rest // count
    last = rest - share * (count - 1)
    if deposit < MIN_AMOUNT or share < MIN_AMOUNT or max(deposit, last) > MAX_AMOUNT:
        return None
    return (deposit, *([share] * (count - 1)), last)


def nairobi_date(moment: datetime) -> date:
    """The calendar date in Nairobi at ``moment`` (which must be timezone-aware)."""
    return moment.astimezone(NAIROBI).date()


def collection_time(day: date, hour: int) -> datetime:
    """``hour`` o'clock in Nairobi on ``day``, timezone-aware."""
    return datetime.combine(day, time(hour), tzinfo=NAIROBI)


def schedule(balance: int, rules: PlanRules, count: int, now: datetime) -> Schedule | None:
    """The plan of ``count`` installments for ``balance`` accepted at ``now``, if it is valid."""
    amounts = split(balance, rules.deposit_percent, count)
    if amounts is None:
        return None
    today = nairobi_date(now)
    parts = [Part(0, amounts[0], now)]
    for number, amount in enumerate(amounts[1:], start=1):
        day = today + timedelta(days=rules.interval_days * number)
        parts.append(Part(number, amount, collection_time(day, rules.collection_hour)))
    return Schedule(balance, tuple(parts))


def schedules(balance: int, rules: PlanRules, now: datetime) -> tuple[Schedule, ...]:
    """Every option the rules offer for ``balance``, fewest installments first."""
    found = (schedule(balance, rules, count, now) for count in sorted(set(rules.options)))
    return tuple(option for option in found if option is not None)


# --- who may have a plan -----------------------------------------------------------------


class Refusal(StrEnum):
    """Why a customer is not offered a plan; each is one sentence in the plan texts
    (:func:`checkout.i18n.plans.words.refusal_text`)."""

    DISABLED = "disabled"
    MINIMUM = "minimum"
    TOO_SMALL = "too_small"
    HISTORY = "history"
    OVERDUE = "overdue"
    EXISTS = "exists"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class Standing:
    """What the business knows of a customer when a plan is asked for."""

    paid_payments: int = 0  # successful M-Pesa payments so far
    owed: int = 0  # still to pay on active and overdue plans
    overdue: bool = False  # an installment is past its date and unpaid
    order_has_plan: bool = False  # the order already has an active or overdue plan


def refusal(
    rules: PlanRules | None, standing: Standing, balance: int, now: datetime
) -> Refusal | None:
    """Why a plan for ``balance`` is refused to this customer, or None if they may have one."""
    if rules is None:
        return Refusal.DISABLED
    if standing.order_has_plan:
        return Refusal.EXISTS
    if balance < rules.min_order:
        return Refusal.MINIMUM
    offered = schedules(balance, rules, now)
    if not offered:
        return Refusal.TOO_SMALL
    if rules.require_paid_history and standing.paid_payments < 1:
        return Refusal.HISTORY
    if standing.overdue:
        return Refusal.OVERDUE
    # Every option has the same deposit: what is owed after it is the same for all.
    if standing.owed + balance - offered[0].deposit.amount > rules.max_outstanding:
        return Refusal.LIMIT
    return None


# --- retrying an installment ---------------------------------------------------------------


class Retry(StrEnum):
    """When an automatic attempt that failed is tried again."""

    SOON = "soon"  # unreachable, busy, not sent: within the day
    TOMORROW = "tomorrow"  # no balance (and other refusals): the next day
    ASK = "ask"  # cancelled by the customer: ask, and only try again the next day


def retry_kind(result_code: int | None) -> Retry:
    """How to retry after ``result_code`` (None: no answer, or the push did not go out)."""
    if result_code is None or result_code in _SOON_CODES:
        return Retry.SOON
    if result_code == ResultCode.CANCELLED:
        return Retry.ASK
    return Retry.TOMORROW


def next_attempt(kind: Retry, attempts: int, now: datetime, rules: PlanRules) -> datetime | None:
    """When to try again after ``attempts`` automatic attempts; None: the installment is overdue."""
    if attempts > rules.max_retries:
        return None
    if kind is Retry.SOON:
        return now + rules.retry_soon
    return collection_time(nairobi_date(now) + timedelta(days=1), rules.collection_hour)


def grace_end(due_at: datetime, rules: PlanRules) -> datetime:
    """When a missed installment's grace ends: ``grace_days`` after its date, at the hour.

    An installment is overdue only once this time has come and no automatic try is left.
    """
    day = nairobi_date(due_at) + timedelta(days=rules.grace_days)
    return max(due_at, collection_time(day, rules.collection_hour))


def grace_reminder_at(due_at: datetime, rules: PlanRules, now: datetime) -> datetime | None:
    """When the one reminder of a grace period goes out: the day before it ends (not before
    ``now``); None without a grace period."""
    if rules.grace_days < 1:
        return None
    return max(now, grace_end(due_at, rules) - timedelta(days=1))


def late_fee(rules: PlanRules, plan_total: int, fees_so_far: int, fee_already: int) -> int:
    """The late fee to add to an installment going overdue.

    At most once per installment (``fee_already`` > 0: none), and the plan's fees together
    never above ``FEE_CAP_PERCENT`` of the plan's total (the order's balance it covers).
    """
    if fee_already > 0 or rules.late_fee < 1:
        return 0
    room = plan_total * FEE_CAP_PERCENT // 100 - fees_so_far
    return max(0, min(rules.late_fee, room))


# --- plan buttons' callback data -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanChoice:
    """An option of an offer: ``count`` installments for ``balance``, offered on ``day``.

    It names the order and the paying phone too, so it can be taken from any message, in any
    step of the conversation, as long as the offer still holds.
    """

    count: int
    balance: int
    day: date
    order: str
    phone: str


@dataclass(frozen=True, slots=True)
class PlanButton:
    """A button on an existing plan."""

    action: Action
    plan_id: int
    days: int = 0  # for MOVE_TO: how many days later


def choice_data(option: Schedule, order: str, phone: str) -> str:
    """Callback data of an offer's option: ``plan:3:1500:20261128:WW-1042:254712345678``.

    At most 49 bytes (12 installments, KES 250,000, a 12-character reference).
    """
    day = nairobi_date(option.deposit.due_at)
    return f"{PLAN_PREFIX}{option.count}:{option.balance}:{day:%Y%m%d}:{order}:{phone}"


def move_data(plan_id: int, days: int) -> str:
    """Callback data of a "move by ``days``" button, e.g. ``plan:moveto:7:3``."""
    return f"{PLAN_PREFIX}{Action.MOVE_TO.value}:{plan_id}:{days}"


def parse_plan_argument(argument: str) -> PlanChoice | PlanButton | None:
    """What a ``plan:`` button's argument (the data after ``plan:``) means; None if nothing."""
    head, _, tail = argument.partition(":")
    if head == Action.MOVE_TO.value:
        plan_id, _, days = tail.partition(":")
        if _digits(plan_id, 12) and _digits(days, 1):
            return PlanButton(Action.MOVE_TO, int(plan_id), int(days))
        return None
    if head in {action.value for action in Action}:
        return PlanButton(Action(head), int(tail)) if _digits(tail, 12) else None
    parts = argument.split(":")
    if len(parts) != 5:
        return None
    count, balance, day, order, phone = parts
    if not (_digits(count, 2) and _digits(balance, 9) and _digits(day, 8) and len(day) == 8):
        return None
    if not (_ORDER.fullmatch(order) and _digits(phone, 12) and len(phone) == 12):
        return None
    try:
        offered = date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        return None
    return PlanChoice(int(count), int(balance), offered, order, phone)


def _digits(text: str, longest: int) -> bool:
    return 0 < len(text) <= longest and text.isascii() and text.isdigit()
