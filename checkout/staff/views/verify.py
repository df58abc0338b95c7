"""``/verify``'s first answers in words: that M-Pesa is being asked (its answer follows in the
chat on its own), that it could not be, and what a "Credit to order …" press did."""

from __future__ import annotations

from checkout.domain.records import Language
from checkout.i18n.contact import BusinessContact
from checkout.i18n.staff_answers import VerifySaid, verify_text
from checkout.i18n.till.verify import staff_reason
from checkout.staff.answers import TextAnswer
from checkout.staff.outcomes import NotACode, VerifyAsked, VerifyDone, VerifyUsage
from checkout.till.verify.status import VerifyOutcome

# What was typed for a code is shown cut to this (it may be anything).
_TYPED_SHOWN = 20


def verify_answer(
    language: Language, outcome: VerifyDone, *, contact: BusinessContact
) -> TextAnswer:
    """What ``/verify`` or a press did: nothing (typed wrong), asked M-Pesa, or credited a code
    to an order; ``contact``: the business's, which a refusal's reason may name."""
    if isinstance(outcome, VerifyUsage):
        return TextAnswer(verify_text(language, VerifySaid.USAGE))
    if isinstance(outcome, NotACode):
        typed = outcome.typed[:_TYPED_SHOWN]
        return TextAnswer(verify_text(language, VerifySaid.INVALID, text=typed))
    done = outcome.verified
    if isinstance(outcome, VerifyAsked):
        if done.outcome is not VerifyOutcome.CHECKING:
            # Given up at once: the request's handler is saying why in this chat.
            said = VerifySaid.UNAVAILABLE
            return TextAnswer(verify_text(language, said, code=done.code, reason=done.reason or ""))
        return TextAnswer(verify_text(language, VerifySaid.CHECKING, code=done.code))
    order = outcome.order
    if done.outcome is VerifyOutcome.CREDITED:
        amount = done.facts.amount if done.facts is not None else None
        said = VerifySaid.CREDITED
        return TextAnswer(verify_text(language, said, code=done.code, amount=amount, order=order))
    if done.outcome is VerifyOutcome.UNAVAILABLE:
        return TextAnswer(verify_text(language, VerifySaid.EXPIRED, code=done.code))
    reason = staff_reason(language, done.outcome, code=done.code, order=order, contact=contact)
    said = VerifySaid.NOT_CREDITED
    return TextAnswer(verify_text(language, said, code=done.code, order=order, reason=reason))
