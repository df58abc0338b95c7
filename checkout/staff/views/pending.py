"""``/pending``'s answer: payments waiting for M-Pesa, orders paid in part, and orders whose
customer was told to pay by paybill, still owing.

The customer's failed tries led to the other way to pay
(:mod:`checkout.payments.other_way`); until the money arrives (a C2B credit, or another try),
the staff see who was told, when, and what is left. Each list shows its first few entries
and says how many more there are. The report service finds them
(:meth:`checkout.staff.reports.ReportService.pending`); this says them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from checkout.domain.money import format_number
from checkout.domain.records import Language
from checkout.i18n import staff_answers as answers
from checkout.i18n.payments.ways_out import w
from checkout.i18n.staff import st
from checkout.i18n.staff_answers import TimeOf, phone_for_staff
from checkout.staff.reports import PendingSummary


def pending_lines(
    language: Language, summary: PendingSummary, time_of: TimeOf, *, full: bool = False
) -> list[str]:
    """The whole ``/pending`` answer, line by line: the pending payments, a blank line, the
    orders partly paid, then :func:`told_lines`.

    ``full`` (a staff user's private chat, STAFF_SEE_FULL_PHONES): whole numbers."""

    def say(key: str, **params: object) -> str:
        return st(language, key, **params)

    pending = [
        answers.pending_line(language, payment, time_of, full=full, name=summary.name_of(payment))
        for payment in summary.pending
    ]
    partly = [
        say(
            "partly_line",
            order=order.reference,
            paid=order.amount_paid,
            due=order.amount_due,
            balance=order.balance,
        )
        for order in summary.partly_paid
    ]
    return [
        *_listed(
            language,
            pending,
            summary.pending_count,
            none=say("pending_none"),
            header=say("pending_header", count=summary.pending_count),
        ),
        "",
        *_listed(
            language,
            partly,
            summary.partly_paid_count,
            none=say("partly_none"),
            header=say("partly_header", count=summary.partly_paid_count),
        ),
        *told_lines(language, summary, lambda at: time_of(language, at), full=full),
    ]


def told_lines(
    language: Language,
    summary: PendingSummary,
    when: Callable[[datetime], str],
    *,
    full: bool = False,
) -> list[str]:
    """A blank line, then the orders told to pay by paybill (or that there are none).

    ``full`` (a staff user's private chat, STAFF_SEE_FULL_PHONES): whole numbers."""
    rows = [
        w(
            language,
            "staff_told_line",
            order=told.order.reference,
            balance=format_number(told.order.balance),
            phone=phone_for_staff(told.phone, full=full),
            time=when(told.told_at),
        )
        for told in summary.told
    ]
    none = w(language, "staff_told_none")
    header = w(language, "staff_told_header", count=summary.told_count)
    return ["", *_listed(language, rows, summary.told_count, none=none, header=header)]


def _listed(
    language: Language, shown: list[str], total: int, *, none: str, header: str
) -> list[str]:
    """``none`` when ``total`` is 0; else ``header``, the lines ``shown``, and "... and N more"
    when ``total`` is more than shown."""
    if total == 0:
        return [none]
    lines = [header, *shown]
    if total > len(shown):
        lines.append(st(language, "more", count=total - len(shown)))
    return lines
