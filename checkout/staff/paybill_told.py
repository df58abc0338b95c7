"""``/pending``'s last part: orders whose customer was told to pay by paybill, still owing.

The customer's failed tries led to the other way to pay
(:mod:`checkout.payments.other_way`); until the money arrives (a C2B credit, or another try),
the staff see who was told, when, and what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from checkout.domain.money import format_number
from checkout.domain.records import Language
from checkout.i18n.payments.ways_out import w
from checkout.i18n.staff import st
from checkout.i18n.staff_answers import phone_for_staff
from checkout.staff.reports import PendingSummary


def told_lines(
    language: Language,
    summary: PendingSummary,
    when: Callable[[datetime], str],
    *,
    full: bool = False,
) -> list[str]:
    """A blank line, then the orders told to pay by paybill (or that there are none).

    ``full`` (a staff user's private chat, STAFF_SEE_FULL_PHONES): whole numbers."""
    if summary.told_count == 0:
        return ["", w(language, "staff_told_none")]
    lines = ["", w(language, "staff_told_header", count=summary.told_count)]
    lines += [
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
    if summary.told_count > len(summary.told):
        lines.append(st(language, "more", count=summary.told_count - len(summary.told)))
    return lines
