"""Staff commands: parse what staff typed, ask the services, and say what to send back.

The Telegram adapter checks who may use them and renders the answers: a text, a QR code of a
link, a bar chart of takings, or a CSV document. Nothing here does I/O beyond the services.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Final

from checkout.conversation.links import pay_link, web_pay_link, whatsapp_pay_link
from checkout.domain.money import AmountError, parse_amount
from checkout.domain.phones import PhoneError, display_phone, normalise_phone
from checkout.domain.records import Language, Payment, PaymentStatus
from checkout.domain.references import parse_order_reference
from checkout.domain.summaries import FoundPayment
from checkout.domain.time import NAIROBI
from checkout.i18n import staff_answers as answers
from checkout.i18n.menus import STAFF_COMMANDS
from checkout.i18n.refunds import rt
from checkout.i18n.staff import st
from checkout.i18n.times import clock_time
from checkout.platform.orders import OrderInputError, OrderService, order_request
from checkout.staff.answers import (
    ButtonMessage,
    ButtonsAnswer,
    ChartAnswer,
    DocumentAnswer,
    QrAnswer,
    StaffAnswer,
    StaffRequest,
    TextAnswer,
)
from checkout.staff.languages import StaffLanguages
from checkout.staff.order_input import WrongPhone, phone_and_description
from checkout.staff.pending import pending_lines
from checkout.staff.reports import (
    ExportRangeError,
    Period,
    ReportService,
    SearchTerms,
    Takings,
    parse_day,
)
from checkout.staff.unmatched import UnmatchedDesk

# Queues a text message (an SMS) to a normalised phone number.
TextCustomer = Callable[[str, str], Awaitable[None]]
# The link of a paid payment's PDF receipt.
ReceiptLink = Callable[[Payment], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class _Asked:
    """A request with the language its answer is in."""

    request: StaffRequest
    language: Language
    full_phones: bool = False  # a private chat with STAFF_SEE_FULL_PHONES on: whole numbers

    def say(self, key: str, **params: object) -> str:
        return st(self.language, key, **params)


# What /language and /lugha take: the code, or the language's name in either language.
_LANGUAGE_WORDS: Final[Mapping[str, Language]] = {
    "en": "en",
    "english": "en",
    "kiingereza": "en",
    "sw": "sw",
    "swahili": "sw",
    "kiswahili": "sw",
}


class StaffDesk:
    """Runs staff commands against the order and report services."""

    def __init__(
        self,
        orders: OrderService,
        reports: ReportService,
        *,
        language: Language,
        languages: StaffLanguages | None = None,
        business_name: str = "",
        zone: tzinfo = NAIROBI,
        web_base_url: str | None = None,
        text_customer: TextCustomer | None = None,
        receipt_link: ReceiptLink | None = None,
        whatsapp_number: str | None = None,
        unmatched: UnmatchedDesk | None = None,
        full_phones: bool = True,
        refunds: bool = False,
    ) -> None:
        """``business_name`` heads the printable QR card of /neworder. ``languages`` keeps
        each staff user's language; without it all answers are in ``language``.
        ``whatsapp_number``: the business's WhatsApp number; new orders get its link too.
        ``full_phones`` (STAFF_SEE_FULL_PHONES): answers in a staff user's private chat with
        the bot show customers' whole numbers; a group's answers stay masked."""
        self._full_phones = full_phones
        # With refunds on: /find puts a "Refund" button under each paid payment.
        self._refunds = refunds
        self._orders = orders
        self._whatsapp_number = whatsapp_number
        # With the web checkout on: orders' web links (PUBLIC_BASE_URL), which QR codes encode.
        self._web_base_url = web_base_url
        # With SMS configured: queues a text to a customer's phone (``/sendlink``).
        self._text_customer = text_customer
        # With the web checkout on: a paid payment's receipt link, shown by ``/find``.
        self._receipt_link = receipt_link
        self._reports = reports
        self._language: Language = language
        self._languages = languages
        self._business_name = business_name
        self._zone = zone
        self._commands: Mapping[str, Callable[[_Asked], Awaitable[StaffAnswer]]] = {
            "neworder": self.new_order,
            "sendlink": self.send_link,
            "today": self.today,
            "pending": self.pending,
            "find": self.find,
            "report": self.report,
            "export": self.export,
            "help": self.help,
            "language": self.choose_language,
            "lugha": self.choose_language,
        }
        if unmatched is not None:  # the till's queue of M-Pesa transactions nobody matched
            self._commands = {**self._commands, "unmatched": _unmatched_command(unmatched)}

    @property
    def commands(self) -> frozenset[str]:
        """The names of the staff commands."""
        return frozenset(self._commands)

    async def handle(self, request: StaffRequest) -> StaffAnswer:
        """Run one command in the staff user's language; KeyError for no staff command."""
        command = self._commands[request.name]
        language = self._language
        if self._languages is not None and request.user_id is not None:
            language = await self._languages.of(request.user_id)
        return await command(_Asked(request, language, self.full_phones_for(request)))

    def full_phones_for(self, request: StaffRequest) -> bool:
        """Whether ``request``'s answer may show whole numbers: in a private chat only.

        Telegram's private chat with a user has the user's own id; a group's id differs.
        """
        private = request.user_id is not None and request.chat_id == request.user_id
        return self._full_phones and private

    def say(self, key: str, **params: object) -> str:
        """A staff text in the default language (for answers to no one in particular)."""
        return st(self._language, key, **params)

    def _time(self, language: Language, value: datetime) -> str:
        local = value.astimezone(self._zone)
        return f"{local:%d/%m} {clock_time(language, local.time())}"

    @staticmethod
    def _status(language: Language, status: PaymentStatus) -> str:
        return answers.status_word(language, status)

    # --- /help

    async def help(self, asked: _Asked) -> StaffAnswer:
        """The staff commands, each with what it does."""
        say = asked.say
        lines = [say("help_header")]
        lines += [f"/{name} - {about}" for name, about in STAFF_COMMANDS[asked.language]]
        lines.append(say("help_customers"))
        return TextAnswer("\n".join(lines))

    # --- /language [en|sw], /lugha [en|sw]

    async def choose_language(self, asked: _Asked) -> StaffAnswer:
        """Set the staff user's own language for staff answers; without a word, say it."""
        word = asked.request.argument.strip().lower()
        if not word:
            return TextAnswer(asked.say("language_current"))
        chosen = _LANGUAGE_WORDS.get(word)
        if chosen is None:
            return TextAnswer(asked.say("language_usage"))
        if self._languages is None or asked.request.user_id is None:
            return TextAnswer(asked.say("language_fixed"))
        await self._languages.choose(asked.request.user_id, chosen)
        return TextAnswer(st(chosen, "language_set"))

    # --- /neworder <amount> [customer phone] [description]

    async def new_order(self, asked: _Asked) -> StaffAnswer:
        """Create an order with a fresh reference; answer its link and a QR code of it."""
        words = asked.request.argument.split(maxsplit=1)
        if not words:
            return TextAnswer(asked.say("neworder_usage"))
        try:
            amount = parse_amount(words[0])
        except AmountError:
            return TextAnswer(asked.say("neworder_amount"))
        rest = words[1].strip() if len(words) > 1 else ""
        try:
            phone, description = phone_and_description(rest)
        except WrongPhone as wrong:
            return TextAnswer(asked.say(f"neworder_phone_{wrong.reason}", phone=wrong.typed))
        try:
            checked = order_request(amount=amount, customer_phone=phone, description=description)
        except OrderInputError as error:
            return TextAnswer(asked.say(f"neworder_{error.field}"))
        opened = await self._orders.open(checked)
        order = opened.order
        link = pay_link(asked.request.bot_username, order.reference)
        lines = [
            asked.say("neworder_created", order=order.reference, amount=order.amount_due, link=link)
        ]
        if self._whatsapp_number:
            whatsapp = whatsapp_pay_link(self._whatsapp_number, order.reference)
            lines.append(asked.say("neworder_whatsapp", link=whatsapp))
        if order.customer_phone:
            lines.append(asked.say("neworder_customer", phone=display_phone(order.customer_phone)))
        if order.description:
            lines.append(asked.say("neworder_about", description=order.description))
        if self._web_base_url is not None:
            # Customers without Telegram pay in a browser; the QR code opens the page.
            link = web_pay_link(self._web_base_url, order.reference)
            lines.insert(1, asked.say("neworder_web", link=link))
        printed = (
            asked.say("qr_order", order=order.reference, amount=order.amount_due),
            asked.say("qr_scan"),
            link,
        )
        title = self._business_name or asked.say("qr_title")
        return QrAnswer(caption="\n".join(lines), link=link, title=title, lines=printed)

    # --- /sendlink <reference> <phone>

    async def send_link(self, asked: _Asked) -> StaffAnswer:
        """Text an order's web link to a customer's phone (web checkout and SMS both on)."""
        words = asked.request.argument.split(maxsplit=1)
        reference = parse_order_reference(words[0]) if words else None
        if reference is None or len(words) < 2:
            return TextAnswer(asked.say("sendlink_usage"))
        if self._web_base_url is None or self._text_customer is None:
            return TextAnswer(asked.say("sendlink_off"))
        try:
            phone = normalise_phone(words[1])
        except PhoneError:
            return TextAnswer(asked.say("sendlink_phone"))
        state = await self._orders.state(reference)
        if state is None or not state.order.known:
            return TextAnswer(asked.say("sendlink_unknown", order=reference))
        order = state.order
        if order.is_fully_paid:
            return TextAnswer(asked.say("sendlink_paid", order=reference))
        link = web_pay_link(self._web_base_url, reference)
        # The customer reads the SMS in the business's default language.
        text = answers.web_link_sms(self._language, reference, order.balance, link)
        await self._text_customer(phone, text)
        return TextAnswer(asked.say("sendlink_sent", order=reference, phone=display_phone(phone)))

    # --- /today

    async def today(self, asked: _Asked) -> StaffAnswer:
        """Today's payments, count and sum per outcome, and the open BNPL balance."""
        summary = await self._reports.day()
        lines = [asked.say("today_header", date=summary.day.strftime("%d/%m/%Y"))]
        if not summary.totals:
            lines.append(asked.say("today_none"))
        for total in summary.totals:
            lines.append(
                asked.say(
                    "today_line",
                    status=self._status(asked.language, total.status),
                    count=total.count,
                    amount=total.amount,
                )
            )
        if summary.totals:
            lines.append(asked.say("today_total", count=summary.count, paid=summary.paid))
        if summary.refunded.count:
            refunded = summary.refunded
            lines.append(
                rt(asked.language, "today_line", count=refunded.count, amount=refunded.amount)
            )
        plans = summary.plans
        if plans.count == 0:
            lines.append(asked.say("today_plans_none"))
        else:
            lines.append(asked.say("today_plans", count=plans.count, balance=plans.balance))
        return TextAnswer("\n".join(lines))

    # --- /pending

    async def pending(self, asked: _Asked) -> StaffAnswer:
        """Payments still pending and orders partly paid, the first few of each listed."""
        summary = await self._reports.pending()
        lines = pending_lines(asked.language, summary, self._time, full=asked.full_phones)
        return TextAnswer("\n".join(lines))

    # --- /find <receipt | order | phone>

    async def find(self, asked: _Asked) -> StaffAnswer:
        """The payments with this receipt, order or phone, each with its events."""
        query = asked.request.argument.strip()
        terms = SearchTerms.parse(query) if query else None
        if terms is None:
            return TextAnswer(asked.say("find_usage"))
        found = await self._reports.find(terms)
        if not found:
            return TextAnswer(asked.say("find_none", query=query))
        links: dict[int, str] = {}
        if self._receipt_link is not None:
            for item in found:
                if item.payment.status is PaymentStatus.PAID:
                    links[item.payment.id] = await self._receipt_link(item.payment)
        texts = [self._found(asked, item, links) for item in found]
        if not (self._refunds and any(_refundable(item) for item in found)):
            return TextAnswer("\n\n".join(texts))
        payments = [item.payment for item in found]
        return answers_with_refund_buttons(asked.language, texts, payments)

    def _found(self, asked: _Asked, item: FoundPayment, links: Mapping[int, str]) -> str:
        return answers.found_payment(
            asked.language,
            item,
            self._time,
            full=asked.full_phones,
            link=links.get(item.payment.id),
        )

    # --- /report [week|month]

    async def report(self, asked: _Asked) -> StaffAnswer:
        """Takings per day as a bar chart, with the totals in the caption."""
        word = asked.request.argument.strip().lower() or Period.WEEK.value
        try:
            period = Period(word)
        except ValueError:
            return TextAnswer(asked.say("report_usage"))
        takings = await self._reports.takings(period)
        return ChartAnswer(
            caption=self._takings_caption(asked, takings),
            title=asked.say("report_title", first=_day(takings.first), last=_day(takings.last)),
            labels=tuple(day.day.strftime("%d/%m") for day in takings.days),
            values=tuple(day.amount for day in takings.days),
        )

    def _takings_caption(self, asked: _Asked, takings: Takings) -> str:
        caption = self._paid_caption(asked, takings)
        refunded = takings.refunded
        if refunded.count:
            line = rt(asked.language, "report_line", count=refunded.count, amount=refunded.amount)
            caption = f"{caption}\n{line}"
        return caption

    def _paid_caption(self, asked: _Asked, takings: Takings) -> str:
        best = takings.best
        if best is None:
            return asked.say(
                "report_caption_empty", first=_day(takings.first), last=_day(takings.last)
            )
        return asked.say(
            "report_caption",
            first=_day(takings.first),
            last=_day(takings.last),
            amount=takings.amount,
            count=takings.count,
            best_day=_day(best.day),
            best=best.amount,
        )

    # --- /export [from] [to]

    async def export(self, asked: _Asked) -> StaffAnswer:
        """The payments of a range of days as a CSV document."""
        words = asked.request.argument.split()
        if len(words) > 2:
            return TextAnswer(asked.say("export_usage"))
        try:
            days = [parse_day(word) for word in words]
        except ValueError:
            return TextAnswer(asked.say("export_usage"))
        first = days[0] if days else None
        last = days[1] if len(days) > 1 else None
        try:
            export = await self._reports.export(first, last)
        except ExportRangeError as error:
            return TextAnswer(asked.say(f"export_{error.reason}"))
        caption = asked.say(
            "export_caption",
            first=_day(export.first),
            last=_day(export.last),
            count=export.count,
            paid_count=export.paid_count,
            paid=export.paid_amount,
        )
        if export.refunded.count:
            refunded = export.refunded
            line = rt(asked.language, "report_line", count=refunded.count, amount=refunded.amount)
            caption = f"{caption}\n{line}"
        return DocumentAnswer(caption, export.filename, export.file, "text/csv")


def _unmatched_command(desk: UnmatchedDesk) -> Callable[[_Asked], Awaitable[StaffAnswer]]:
    async def command(asked: _Asked) -> StaffAnswer:
        by = f"telegram:{asked.request.user_id}" if asked.request.user_id else "staff"
        return await desk.handle(asked.request.argument, asked.language, by, full=asked.full_phones)

    return command


def _refundable(item: FoundPayment) -> bool:
    """A paid payment with its M-Pesa receipt: what ``/refund <receipt>`` takes."""
    return item.payment.status is PaymentStatus.PAID and item.payment.receipt_number is not None


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


_MESSAGE_LIMIT: Final = 4000


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")
