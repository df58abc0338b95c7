"""``/unmatched``: the M-Pesa transactions nobody could match, and what the staff do with them.

``/unmatched`` lists the queue, each transaction with buttons: "Credit to order …" for the
unpaid orders whose balance is its amount (the likeliest), and "Not ours". A button press
arrives as the command typed: ``/unmatched <code> <order>`` credits the transaction to that
order (any order, typed by hand too), ``/unmatched <code> notours`` marks it not ours. Each
is done once: a second press says it was already dealt with.

The desk returns what it found or did; :mod:`checkout.staff.views.unmatched` says it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from checkout.till.credit import CreditOutcome, TillCredits
from checkout.till.records import LedgerEntry

# Transactions shown with their buttons in one answer (the rest are counted).
SHOWN: Final = 5
# Orders offered as "Credit to order …" buttons under one transaction.
OFFERED: Final = 2
# The word a "Not ours" press carries.
NOT_OURS_WORD: Final = "notours"
# Button data starts with this (Telegram routes the presses of staff buttons by it).
BUTTON_PREFIX: Final = "/unmatched "


@dataclass(frozen=True, slots=True)
class Queued:
    """A transaction in the queue, with the orders offered to credit it to."""

    entry: LedgerEntry
    offered: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnmatchedQueue:
    """The first transactions of the queue, and how many it holds (``full``: whole numbers)."""

    shown: tuple[Queued, ...]
    count: int
    full: bool = False


@dataclass(frozen=True, slots=True)
class UnmatchedUsage:
    """What was typed is neither a listing nor ``<code> <order|notours>``."""


@dataclass(frozen=True, slots=True)
class UnmatchedDealt:
    """What crediting ``code`` to ``target`` (an order, or not ours) did; ``entry``: the
    transaction as it is now, when there is one."""

    code: str
    target: str
    outcome: CreditOutcome
    entry: LedgerEntry | None


UnmatchedOutcome = UnmatchedQueue | UnmatchedUsage | UnmatchedDealt


class UnmatchedDesk:
    """Runs ``/unmatched`` against the till's credits."""

    def __init__(self, credits: TillCredits) -> None:
        self._credits = credits

    async def handle(self, argument: str, by: str, *, full: bool = False) -> UnmatchedOutcome:
        """List the queue, or act on one transaction (``<code> <order>``, ``<code> notours``).

        ``full``: the list shows payers' whole numbers (a staff user's private chat).
        """
        words = argument.split()
        if not words:
            return await self._listing(full=full)
        if len(words) != 2:
            return UnmatchedUsage()
        code, target = words[0].upper(), words[1]
        if target.lower() == NOT_OURS_WORD:
            result = await self._credits.not_ours(code, by=by)
        else:
            result = await self._credits.credit_to_order(code, target, by=by)
        return UnmatchedDealt(code, target, result.outcome, result.entry)

    async def _listing(self, *, full: bool) -> UnmatchedQueue:
        queue, count = await self._credits.unmatched(limit=SHOWN)
        shown = []
        for entry in queue:
            offered = await self._credits.suggestions(entry.payment.amount, limit=OFFERED)
            shown.append(Queued(entry, tuple(offered)))
        return UnmatchedQueue(tuple(shown), count, full=full)
