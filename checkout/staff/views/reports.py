"""The reports' answers in the staff's words: ``/today``'s lines, ``/find``'s payments (with a
"Refund" button under each paid one), ``/report``'s chart and ``/export``'s document."""

from __future__ import annotations

from datetime import date
from typing import Final

from checkout.domain.records import Language, Payment, PaymentStatus
from checkout.domain.refunds import RefundTotal
from checkout.i18n import staff_answers as answers
from checkout.i18n.refunds import rt
from checkout.i18n.staff import st
from checkout.i18n.staff_answers import TimeOf
from checkout.staff.answers import (
    ButtonMessage,
    ButtonsAnswer,
    ChartAnswer,
    DocumentAnswer,
    StaffAnswer,
    TextAnswer,
)
from checkout.staff.outcomes import PaymentsFound
from checkout.staff.reports import DaySummary, Export, Takings

# Telegram takes 4,096 characters a message; /find's payments share one while they fit this.
_MESSAGE_LIMIT: Final = 4000


def today_answer(language: Language, summary: DaySummary) -> TextAnswer:
    """Today's payments, count and sum per outcome, the refunds, and the open BNPL balance."""
    lines = [st(language, "today_header", date=_day(summary.day))]
    if not summary.totals:
        lines.append(st(language, "today_none"))
    for total in summary.totals:
        status = answers.status_word(language, total.status)
        lines.append(
            st(language, "today_line", status=status, count=total.count, amount=total.amount)
        )
    if summary.totals:
        lines.append(st(language, "today_total", count=summary.count, paid=summary.paid))
    lines += _refunded(language, "today_line", summary.refunded)
    plans = summary.plans
    if plans.count == 0:
        lines.append(st(language, "today_plans_none"))
    else:
        lines.append(st(language, "today_plans", count=plans.count, balance=plans.balance))
    return TextAnswer("\n".join(lines))


def found_answer(
    language: Language, found: PaymentsFound, time_of: TimeOf, *, full: bool
) -> StaffAnswer:
    """``/find``'s payments, each with its events; none: that nothing matched.

    ``full`` (a staff user's private chat, STAFF_SEE_FULL_PHONES): whole numbers and names.
    """
    if not found.found:
        return TextAnswer(st(language, "find_none", query=found.query))
    texts = [
        answers.found_payment(
            language,
            item,
            time_of,
            full=full,
            link=found.receipt_links.get(item.payment.id),
        )
        for item in found.found
    ]
    if not found.refunds:
        return TextAnswer("\n\n".join(texts))
    payments = [item.payment for item in found.found]
    return answers_with_refund_buttons(language, texts, payments)


def answers_with_refund_buttons(
    language: Language, texts: list[str], payments: list[Payment]
) -> ButtonsAnswer:
    """``/find``'s payments with a "Refund" button (``/refund <receipt>``) under each paid one.

    One message while it fits Telegram's 4,096 characters, else one message a payment.
    """
    buttons = [
        (answers.refund_button(language, p.receipt_number, p.amount), f"/refund {p.receipt_number}")
        for p in payments
        if p.status is PaymentStatus.PAID and p.receipt_number
    ]
    joined = "\n\n".join(texts)
    if len(joined) <= _MESSAGE_LIMIT:
        return ButtonsAnswer((ButtonMessage(joined, tuple(buttons)),))
    messages = []
    for text, payment in zip(texts, payments, strict=True):
        mine = tuple(b for b in buttons if b[1] == f"/refund {payment.receipt_number}")
        messages.append(
            ButtonMessage(text[:_MESSAGE_LIMIT], mine if payment.receipt_number else ())
        )
    return ButtonsAnswer(tuple(messages))


def takings_answer(language: Language, takings: Takings) -> ChartAnswer:
    """Takings per day as a bar chart, with the totals (and the refunds) in the caption."""
    first, last = _day(takings.first), _day(takings.last)
    best = takings.best
    if best is None:
        caption = st(language, "report_caption_empty", first=first, last=last)
    else:
        caption = st(
            language,
            "report_caption",
            first=first,
            last=last,
            amount=takings.amount,
            count=takings.count,
            best_day=_day(best.day),
            best=best.amount,
        )
    return ChartAnswer(
        caption="\n".join([caption, *_refunded(language, "report_line", takings.refunded)]),
        title=st(language, "report_title", first=first, last=last),
        labels=tuple(day.day.strftime("%d/%m") for day in takings.days),
        values=tuple(day.amount for day in takings.days),
    )


def export_answer(language: Language, export: Export) -> DocumentAnswer:
    """The CSV of a range of days as a document, its figures (and refunds) in the caption."""
    caption = st(
        language,
        "export_caption",
        first=_day(export.first),
        last=_day(export.last),
        count=export.count,
        paid_count=export.paid_count,
        paid=export.paid_amount,
    )
    caption = "\n".join([caption, *_refunded(language, "report_line", export.refunded)])
    return DocumentAnswer(caption, export.filename, export.file, "text/csv")


def _refunded(language: Language, key: str, refunded: RefundTotal) -> list[str]:
    """The refunds' line (``key``: /today's or the reports'), when there were any."""
    if not refunded.count:
        return []
    return [rt(language, key, count=refunded.count, amount=refunded.amount)]


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")
