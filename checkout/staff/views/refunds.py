"""``/refund``'s answers and the Approve / Reject presses', in the staff user's words.

The refund desk (:class:`checkout.refunds.desk.RefundDesk`) says what a request or a press did
(:class:`checkout.refunds.desk.RefundAnswer`); this says it, with the rules' figures (today's
limit, how old a payment may be) where a refusal names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from checkout.domain.records import Language
from checkout.domain.refunds import RefundOutcome
from checkout.i18n.refunds import outcome_text, rt
from checkout.refunds.desk import RefundAnswer
from checkout.refunds.rules import RefundRules

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


def refund_text(
    language: Language,
    answer: RefundAnswer,
    rules: RefundRules,
    *,
    receipt: str = "",
    refund_id: int | None = None,
) -> str:
    """What ``/refund <receipt>`` (or a press on refund ``refund_id``) did, in words."""
    return outcome_text(
        language,
        answer.outcome,
        answer.view,
        receipt=receipt,
        refund_id=refund_id,
        left=answer.left,
        limit=rules.daily_limit,
        days=rules.max_age.days,
    )


def press_answer(
    language: Language, answer: RefundAnswer, rules: RefundRules, *, refund_id: int
) -> PressAnswer:
    """What a press of Approve or Reject on refund ``refund_id`` did, for its presser."""
    text = refund_text(language, answer, rules, refund_id=refund_id)
    final = answer.refund is not None and answer.outcome in _FINAL
    return PressAnswer(text, refused=answer.outcome.refused, final=final)
