"""Staff ``/refund <receipt> [amount] [reason]`` and the Approve / Reject buttons.

Parses what staff typed or pressed, asks the refund desk, and returns what happened
(:class:`checkout.staff.outcomes.RefundAsked`); the Telegram adapter has it said in the staff
user's language (:mod:`checkout.staff.views.refunds`). Who may use them
(``STAFF_USER_IDS``) is the Telegram adapter's check; who may approve (another staff user,
``REFUND_APPROVERS``, owners past the daily limit) is the desk's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from checkout.domain.money import AmountError, parse_amount
from checkout.domain.records import Language
from checkout.refunds.desk import RefundAnswer, RefundDesk
from checkout.refunds.notices import parse_press
from checkout.refunds.rules import staff_actor
from checkout.staff.languages import StaffLanguages
from checkout.staff.outcomes import RefundAsked, RefundDone, RefundUsage

# M-Pesa receipts (and C2B transaction ids): ten capital letters and digits, give or take.
_RECEIPT: Final = re.compile(r"[A-Z0-9]{8,12}", re.ASCII)


@dataclass(frozen=True, slots=True)
class RefundRequestText:
    """``/refund``'s arguments, parsed: a receipt, an amount (None: all), a reason."""

    receipt: str
    amount: int | None
    reason: str | None


def parse_refund(argument: str) -> RefundRequestText | None:
    """``NLJ7RT61SV 500 paid twice`` → receipt, amount, reason; None when there is no receipt.

    The amount is optional: a second word that is not an amount starts the reason.
    """
    words = argument.split(maxsplit=1)
    if not words or not _RECEIPT.fullmatch(words[0].upper()):
        return None
    receipt = words[0].upper()
    rest = words[1].strip() if len(words) > 1 else ""
    amount: int | None = None
    if rest:
        first, _, tail = rest.partition(" ")
        try:
            amount = parse_amount(first)
            rest = tail.strip()
        except AmountError:
            if first[:1].isdigit():
                amount = 0  # a number, but not an amount the desk takes: "bad_amount"
                rest = tail.strip()
    return RefundRequestText(receipt, amount, rest or None)


class RefundCommands:
    """Runs ``/refund`` and the buttons' presses against the refund desk."""

    def __init__(self, desk: RefundDesk, *, languages: StaffLanguages) -> None:
        self._desk = desk
        self._languages = languages

    async def language(self, user_id: int | None) -> Language:
        """The staff user's language."""
        if user_id is None:
            return self._languages.default
        return await self._languages.of(user_id)

    async def refund(self, argument: str, *, user_id: int) -> RefundDone:
        """``/refund <receipt> [amount] [reason]``: store a request for another's approval."""
        language = await self.language(user_id)
        parsed = parse_refund(argument)
        if parsed is None:
            return RefundUsage(language)
        answer = await self._desk.request(
            parsed.receipt,
            amount=parsed.amount,
            reason=parsed.reason,
            by=staff_actor(user_id),
        )
        return self._asked(language, answer, receipt=parsed.receipt)

    async def press(self, data: str, *, user_id: int) -> RefundAsked | None:
        """A press of Approve or Reject (None: not a refund button)."""
        parsed = parse_press(data)
        if parsed is None:
            return None
        action, refund_id = parsed
        language = await self.language(user_id)
        if action == "approve":
            answer = await self._desk.approve(refund_id, user_id=user_id)
        else:
            answer = await self._desk.reject(refund_id, user_id=user_id)
        return self._asked(language, answer, refund_id=refund_id)

    def _asked(
        self,
        language: Language,
        answer: RefundAnswer,
        *,
        receipt: str = "",
        refund_id: int | None = None,
    ) -> RefundAsked:
        """The desk's ``answer`` with the rules' figures its words may name."""
        rules = self._desk.rules
        return RefundAsked(
            language,
            answer,
            limit=rules.daily_limit,
            days=rules.max_age.days,
            receipt=receipt,
            refund_id=refund_id,
        )
