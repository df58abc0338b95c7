"""The staff channel's presenter: what a staff command did, as the answer its reader gets.

The desk (:mod:`checkout.staff.commands`) parses the command, asks the services and returns an
outcome (:mod:`checkout.staff.outcomes`); :class:`StaffViews` turns it into a text, a QR code,
a chart, a document or messages with buttons, in the reader's language. Customers' numbers are
whole (with their names) only where ``full`` says so: a staff user's private chat with
STAFF_SEE_FULL_PHONES on.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from checkout.domain.phones import display_phone
from checkout.domain.records import Language
from checkout.domain.time import NAIROBI
from checkout.i18n.menus import STAFF_COMMANDS
from checkout.i18n.staff import st
from checkout.i18n.times import clock_time
from checkout.staff.answers import QrAnswer, StaffAnswer, TextAnswer
from checkout.staff.outcomes import (
    CommandList,
    LanguageChosen,
    LanguageShown,
    LinkTexted,
    OrderOpened,
    PaymentsFound,
    Refused,
    StaffOutcome,
)
from checkout.staff.reports import DaySummary, Export, PendingSummary, Takings
from checkout.staff.unmatched import UnmatchedDealt, UnmatchedQueue, UnmatchedUsage
from checkout.staff.views.pending import pending_lines
from checkout.staff.views.reports import export_answer, found_answer, takings_answer, today_answer
from checkout.staff.views.unmatched import unmatched_answer


class StaffViews:
    """Says the staff desk's outcomes, in the business's default language unless told another."""

    def __init__(
        self, *, language: Language, business_name: str = "", zone: tzinfo = NAIROBI
    ) -> None:
        """``business_name`` heads the printable QR card of /neworder; ``zone``: the times'."""
        self._language: Language = language
        self._business_name = business_name
        self._zone = zone

    def say(self, key: str, **params: object) -> str:
        """A staff text in the default language (for answers to no one in particular)."""
        return st(self._language, key, **params)

    def time_of(self, language: Language, value: datetime) -> str:
        """A moment as the desk writes it: ``04/12 10:00`` in the business's zone."""
        local = value.astimezone(self._zone)
        return f"{local:%d/%m} {clock_time(language, local.time())}"

    def answer(self, outcome: StaffOutcome, language: Language, *, full: bool) -> StaffAnswer:
        """``outcome`` said to a staff reader of ``language``; ``full``: whole numbers."""
        match outcome:
            case Refused():
                # Each text takes what it concerns under its own name; the others are ignored.
                subject = outcome.subject
                key = outcome.why.value
                return TextAnswer(st(language, key, phone=subject, order=subject, query=subject))
            case CommandList():
                return TextAnswer(_command_list(language))
            case LanguageShown():
                return TextAnswer(st(language, "language_current"))
            case LanguageChosen():
                return TextAnswer(st(outcome.language, "language_set"))
            case OrderOpened():
                return self._opened(language, outcome)
            case LinkTexted():
                phone = display_phone(outcome.phone)
                return TextAnswer(st(language, "sendlink_sent", order=outcome.order, phone=phone))
            case DaySummary():
                return today_answer(language, outcome)
            case PendingSummary():
                lines = pending_lines(language, outcome, self.time_of, full=full)
                return TextAnswer("\n".join(lines))
            case PaymentsFound():
                return found_answer(language, outcome, self.time_of, full=full)
            case Takings():
                return takings_answer(language, outcome)
            case Export():
                return export_answer(language, outcome)
            case UnmatchedQueue() | UnmatchedUsage() | UnmatchedDealt():
                return unmatched_answer(language, outcome)

    def _opened(self, language: Language, opened: OrderOpened) -> QrAnswer:
        """The new order's links and a printable QR card of the link it encodes."""
        order = opened.order
        lines = [
            st(
                language,
                "neworder_created",
                order=order.reference,
                amount=order.amount_due,
                link=opened.link,
            )
        ]
        if opened.web_link is not None:
            # Customers without Telegram pay in a browser; the QR code opens the page.
            lines.append(st(language, "neworder_web", link=opened.web_link))
        if opened.whatsapp_link is not None:
            lines.append(st(language, "neworder_whatsapp", link=opened.whatsapp_link))
        if order.customer_phone:
            phone = display_phone(order.customer_phone)
            lines.append(st(language, "neworder_customer", phone=phone))
        if order.description:
            lines.append(st(language, "neworder_about", description=order.description))
        link = opened.scanned
        printed = (
            st(language, "qr_order", order=order.reference, amount=order.amount_due),
            st(language, "qr_scan"),
            link,
        )
        title = self._business_name or st(language, "qr_title")
        return QrAnswer(caption="\n".join(lines), link=link, title=title, lines=printed)


def _command_list(language: Language) -> str:
    """``/help``: the staff commands, each with what it does."""
    lines = [st(language, "help_header")]
    lines += [f"/{name} - {about}" for name, about in STAFF_COMMANDS[language]]
    lines.append(st(language, "help_customers"))
    return "\n".join(lines)
