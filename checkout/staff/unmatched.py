"""``/unmatched``: the M-Pesa transactions nobody could match, and what the staff do with them.

``/unmatched`` lists the queue, each transaction with buttons: "Credit to order …" for the
unpaid orders whose balance is its amount (the likeliest), and "Not ours". A button press
arrives as the command typed: ``/unmatched <code> <order>`` credits the transaction to that
order (any order, typed by hand too), ``/unmatched <code> notours`` marks it not ours. Each
is done once: a second press says it was already dealt with.
"""

from __future__ import annotations

from typing import Final

from checkout.domain.records import Language
from checkout.i18n.till import credits as say
from checkout.staff.answers import ButtonMessage, ButtonsAnswer
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


class UnmatchedDesk:
    """Runs ``/unmatched`` against the till's credits."""

    def __init__(self, credits: TillCredits) -> None:
        self._credits = credits

    async def handle(
        self, argument: str, language: Language, by: str, *, full: bool = False
    ) -> ButtonsAnswer:
        """List the queue, or act on one transaction (``<code> <order>``, ``<code> notours``).

        ``full``: the list shows payers' whole numbers (a staff user's private chat).
        """
        words = argument.split()
        if not words:
            return await self._listing(language, full=full)
        if len(words) != 2:
            return _text(say.tt(language, "unmatched_usage"))
        code, target = words[0].upper(), words[1]
        if target.lower() == NOT_OURS_WORD:
            result = await self._credits.not_ours(code, by=by)
        else:
            result = await self._credits.credit_to_order(code, target, by=by)
        return _text(_said(language, code, target, result.outcome, result.entry))

    async def _listing(self, language: Language, *, full: bool) -> ButtonsAnswer:
        queue, count = await self._credits.unmatched(limit=SHOWN)
        if count == 0:
            return _text(say.tt(language, "unmatched_none"))
        messages = [ButtonMessage(say.tt(language, "unmatched_header", count=count))]
        for entry in queue:
            offered = await self._credits.suggestions(entry.payment.amount, limit=OFFERED)
            code = entry.payment.transaction_id
            buttons = [
                (
                    say.tt(language, "unmatched_button_credit", order=reference),
                    f"{BUTTON_PREFIX}{code} {reference}",
                )
                for reference in offered
            ]
            not_ours = say.tt(language, "unmatched_button_not_ours")
            buttons.append((not_ours, f"{BUTTON_PREFIX}{code} {NOT_OURS_WORD}"))
            messages.append(
                ButtonMessage(
                    say.unmatched_line(language, entry.payment, full=full), tuple(buttons)
                )
            )
        if count > len(queue):
            messages.append(
                ButtonMessage(say.tt(language, "unmatched_more", count=count - len(queue)))
            )
        messages.append(ButtonMessage(say.tt(language, "unmatched_usage")))
        return ButtonsAnswer(tuple(messages))


def _text(text: str) -> ButtonsAnswer:
    return ButtonsAnswer((ButtonMessage(text),))


def _said(
    language: Language,
    code: str,
    target: str,
    outcome: CreditOutcome,
    entry: LedgerEntry | None,
) -> str:
    if outcome is CreditOutcome.CREDITED and entry is not None:
        return say.tt(
            language,
            "unmatched_credited",
            code=code,
            order=entry.order_reference or target.upper(),
            amount=entry.payment.amount,
        )
    if outcome is CreditOutcome.NOT_OURS:
        return say.tt(language, "unmatched_not_ours", code=code)
    if outcome is CreditOutcome.NO_SUCH_ORDER:
        return say.tt(language, "unmatched_no_order", order=target.upper())
    if outcome is CreditOutcome.NO_SUCH_TRANSACTION:
        return say.tt(language, "unmatched_no_code", code=code)
    state = entry.state.value if entry is not None else "-"
    return say.tt(language, "unmatched_done", code=code, state=say.tt(language, f"state_{state}"))
