"""``/refund``'s answers and the Approve / Reject presses', in the staff user's words.

:class:`checkout.staff.refunds.RefundCommands` returns what a request or a press did
(:class:`checkout.staff.outcomes.RefundAsked`: the refund desk's answer, with the rules' figures
a refusal names, today's limit and how old a payment may be); the Telegram adapter has it said
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from checkout.domain.records import Language
from checkout.domain.refunds import RefundOutcome
from checkout.i18n.refunds import outcome_text, rt
from checkout.staff.outcomes import RefundAsked, RefundDone, RefundUsage

# What a press did that takes the buttons off the request: it was decided, one way or another.
_FINAL: Final = frozenset(
    {
        RefundOutcome.APPROVED,
        RefundOutcome.REJECTED,
        RefundOutcome.EXPIRED,
        RefundOutcome.DECIDED,
    }
)


@dataclass(frozen=True, slots=True)
class PressAnswer:
    """What to show the staff user who pressed a button; ``final``: take the buttons away."""

    text: str
    refused: bool
    final: bool


def refund_usage(language: Language) -> str:
    """How ``/refund`` is typed (what was typed had no receipt)."""
    return rt(language, "usage")


def refund_text(done: RefundDone) -> str:
    """What ``/refund <receipt>`` (or a press on a refund) did, in the staff user's words."""
    if isinstance(done, RefundUsage):
        return refund_usage(done.language)
    return outcome_text(
        done.language,
        done.answer.outcome,
        done.answer.view,
        receipt=done.receipt,
        refund_id=done.refund_id,
        left=done.answer.left,
        limit=done.limit,
        days=done.days,
    )


def press_answer(pressed: RefundAsked) -> PressAnswer:
    """What a press of Approve or Reject did, for its presser."""
    answer = pressed.answer
    final = answer.refund is not None and answer.outcome in _FINAL
    return PressAnswer(refund_text(pressed), refused=answer.outcome.refused, final=final)
