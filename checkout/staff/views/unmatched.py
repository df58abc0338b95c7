"""``/unmatched``'s answers in words and buttons: the queue, each transaction with "Credit to
order …" and "Not ours", and what a press or a typed ``<code> <order>`` did."""

from __future__ import annotations

from checkout.domain.records import Language
from checkout.i18n.till import credits as say
from checkout.staff.answers import ButtonMessage, ButtonsAnswer
from checkout.staff.unmatched import (
    BUTTON_PREFIX,
    NOT_OURS_WORD,
    UnmatchedDealt,
    UnmatchedOutcome,
    UnmatchedQueue,
    UnmatchedUsage,
)
from checkout.till.credit import CreditOutcome


def unmatched_answer(language: Language, outcome: UnmatchedOutcome) -> ButtonsAnswer:
    """What ``/unmatched`` found or did, as messages with buttons."""
    match outcome:
        case UnmatchedQueue():
            return _listing(language, outcome)
        case UnmatchedUsage():
            return _text(say.tt(language, "unmatched_usage"))
        case UnmatchedDealt():
            return _text(_dealt(language, outcome))


def _listing(language: Language, queue: UnmatchedQueue) -> ButtonsAnswer:
    if queue.count == 0:
        return _text(say.tt(language, "unmatched_none"))
    messages = [ButtonMessage(say.tt(language, "unmatched_header", count=queue.count))]
    for queued in queue.shown:
        code = queued.entry.payment.transaction_id
        buttons = [
            (
                say.tt(language, "unmatched_button_credit", order=reference),
                f"{BUTTON_PREFIX}{code} {reference}",
            )
            for reference in queued.offered
        ]
        not_ours = say.tt(language, "unmatched_button_not_ours")
        buttons.append((not_ours, f"{BUTTON_PREFIX}{code} {NOT_OURS_WORD}"))
        line = say.unmatched_line(language, queued.entry.payment, full=queue.full)
        messages.append(ButtonMessage(line, tuple(buttons)))
    if queue.count > len(queue.shown):
        more = queue.count - len(queue.shown)
        messages.append(ButtonMessage(say.tt(language, "unmatched_more", count=more)))
    messages.append(ButtonMessage(say.tt(language, "unmatched_usage")))
    return ButtonsAnswer(tuple(messages))


def _text(text: str) -> ButtonsAnswer:
    return ButtonsAnswer((ButtonMessage(text),))


def _dealt(language: Language, dealt: UnmatchedDealt) -> str:
    code, target, entry = dealt.code, dealt.target, dealt.entry
    if dealt.outcome is CreditOutcome.CREDITED and entry is not None:
        return say.tt(
            language,
            "unmatched_credited",
            code=code,
            order=entry.order_reference or target.upper(),
            amount=entry.payment.amount,
        )
    if dealt.outcome is CreditOutcome.NOT_OURS:
        return say.tt(language, "unmatched_not_ours", code=code)
    if dealt.outcome is CreditOutcome.NO_SUCH_ORDER:
        return say.tt(language, "unmatched_no_order", order=target.upper())
    if dealt.outcome is CreditOutcome.NO_SUCH_TRANSACTION:
        return say.tt(language, "unmatched_no_code", code=code)
    state = entry.state.value if entry is not None else "-"
    return say.tt(language, "unmatched_done", code=code, state=say.tt(language, f"state_{state}"))
