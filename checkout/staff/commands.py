"""Staff commands: parse what staff typed, ask the services, and hand what they did to the
staff presenter.

The Telegram adapter checks who may use them and sends the answers. Each command returns an
outcome (:mod:`checkout.staff.outcomes`): what it found, did, or refused and why; the
presenter (:class:`checkout.staff.views.desk.StaffViews`) says it in the staff user's language,
as a text, a QR code of a link, a bar chart of takings, or a CSV document. Nothing here does
I/O beyond the services, and nothing here has words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Final

from checkout.conversation.links import pay_link, web_pay_link, whatsapp_pay_link
from checkout.domain.money import AmountError, parse_amount
from checkout.domain.phones import PhoneError, normalise_phone
from checkout.domain.records import Language, Payment, PaymentStatus
from checkout.domain.references import parse_order_reference
from checkout.domain.summaries import FoundPayment
from checkout.domain.time import NAIROBI
from checkout.platform.orders import OrderInputError, OrderService, order_request
from checkout.staff.answers import StaffAnswer, StaffRequest
from checkout.staff.languages import StaffLanguages
from checkout.staff.order_input import WrongPhone, phone_and_description
from checkout.staff.outcomes import (
    CommandList,
    LanguageChosen,
    LanguageShown,
    LinkTexted,
    OrderOpened,
    PayLinkText,
    PaymentsFound,
    Refusal,
    Refused,
    StaffOutcome,
)
from checkout.staff.reports import ExportRangeError, Period, ReportService, SearchTerms, parse_day
from checkout.staff.unmatched import UnmatchedDesk
from checkout.staff.views.desk import StaffViews

# Queues an SMS with an order's pay link to a normalised phone number (saying it is the
# sender's: the desk writes no customer's words).
TextPayLink = Callable[[str, PayLinkText], Awaitable[None]]
# The link of a paid payment's PDF receipt.
ReceiptLink = Callable[[Payment], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class _Asked:
    """A request, and whether its answer may show customers' whole numbers."""

    request: StaffRequest
    full_phones: bool = False  # a private chat with STAFF_SEE_FULL_PHONES on: whole numbers


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
        text_pay_link: TextPayLink | None = None,
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
        self._text_pay_link = text_pay_link
        # With the web checkout on: a paid payment's receipt link, shown by ``/find``.
        self._receipt_link = receipt_link
        self._reports = reports
        self._language: Language = language
        self._languages = languages
        self._views = StaffViews(language=language, business_name=business_name, zone=zone)
        self._commands: Mapping[str, Callable[[_Asked], Awaitable[StaffOutcome]]] = {
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
        """Run one command and say what it did in the staff user's language; KeyError for no
        staff command."""
        command = self._commands[request.name]
        language = await self.language_of(request.user_id)
        full = self.full_phones_for(request)
        outcome = await command(_Asked(request, full))
        return self._views.answer(outcome, language, full=full)

    async def language_of(self, user_id: int | None) -> Language:
        """The language a staff user's answers are in (the default for no one in particular)."""
        if self._languages is not None and user_id is not None:
            return await self._languages.of(user_id)
        return self._language

    def full_phones_for(self, request: StaffRequest) -> bool:
        """Whether ``request``'s answer may show whole numbers: in a private chat only.

        Telegram's private chat with a user has the user's own id; a group's id differs.
        """
        private = request.user_id is not None and request.chat_id == request.user_id
        return self._full_phones and private

    def say(self, key: str, **params: object) -> str:
        """A staff text in the default language (for answers to no one in particular)."""
        return self._views.say(key, **params)

    # --- /help

    async def help(self, asked: _Asked) -> StaffOutcome:
        """The staff commands, each with what it does."""
        return CommandList()

    # --- /language [en|sw], /lugha [en|sw]

    async def choose_language(self, asked: _Asked) -> StaffOutcome:
        """Set the staff user's own language for staff answers; without a word, say it."""
        word = asked.request.argument.strip().lower()
        if not word:
            return LanguageShown()
        chosen = _LANGUAGE_WORDS.get(word)
        if chosen is None:
            return Refused(Refusal.LANGUAGE_USAGE)
        if self._languages is None or asked.request.user_id is None:
            return Refused(Refusal.LANGUAGE_FIXED)
        await self._languages.choose(asked.request.user_id, chosen)
        return LanguageChosen(chosen)

    # --- /neworder <amount> [customer phone] [description]

    async def new_order(self, asked: _Asked) -> StaffOutcome:
        """Create an order with a fresh reference, with its links."""
        words = asked.request.argument.split(maxsplit=1)
        if not words:
            return Refused(Refusal.NEWORDER_USAGE)
        try:
            amount = parse_amount(words[0])
        except AmountError:
            return Refused(Refusal.NEWORDER_AMOUNT)
        rest = words[1].strip() if len(words) > 1 else ""
        try:
            phone, description = phone_and_description(rest)
        except WrongPhone as wrong:
            return Refused(Refusal(f"neworder_phone_{wrong.reason}"), wrong.typed)
        try:
            checked = order_request(amount=amount, customer_phone=phone, description=description)
        except OrderInputError as error:
            return Refused(Refusal(f"neworder_{error.field}"))
        opened = await self._orders.open(checked)
        reference = opened.order.reference
        web_link = whatsapp_link = None
        if self._web_base_url is not None:
            web_link = web_pay_link(self._web_base_url, reference)
        if self._whatsapp_number:
            whatsapp_link = whatsapp_pay_link(self._whatsapp_number, reference)
        link = pay_link(asked.request.bot_username, reference)
        return OrderOpened(opened.order, link, web_link=web_link, whatsapp_link=whatsapp_link)

    # --- /sendlink <reference> <phone>

    async def send_link(self, asked: _Asked) -> StaffOutcome:
        """Text an order's web link to a customer's phone (web checkout and SMS both on)."""
        words = asked.request.argument.split(maxsplit=1)
        reference = parse_order_reference(words[0]) if words else None
        if reference is None or len(words) < 2:
            return Refused(Refusal.SENDLINK_USAGE)
        if self._web_base_url is None or self._text_pay_link is None:
            return Refused(Refusal.SENDLINK_OFF)
        try:
            phone = normalise_phone(words[1])
        except PhoneError:
            return Refused(Refusal.SENDLINK_PHONE)
        state = await self._orders.state(reference)
        if state is None or not state.order.known:
            return Refused(Refusal.SENDLINK_UNKNOWN, reference)
        order = state.order
        if order.is_fully_paid:
            return Refused(Refusal.SENDLINK_PAID, reference)
        link = web_pay_link(self._web_base_url, reference)
        await self._text_pay_link(phone, PayLinkText(reference, order.balance, link))
        return LinkTexted(reference, phone)

    # --- /today

    async def today(self, asked: _Asked) -> StaffOutcome:
        """Today's payments, count and sum per outcome, and the open BNPL balance."""
        return await self._reports.day()

    # --- /pending

    async def pending(self, asked: _Asked) -> StaffOutcome:
        """Payments still pending and orders partly paid, the first few of each."""
        return await self._reports.pending()

    # --- /find <receipt | order | phone>

    async def find(self, asked: _Asked) -> StaffOutcome:
        """The payments with this receipt, order or phone, each with its events and, when
        paid, its receipt link."""
        query = asked.request.argument.strip()
        terms = SearchTerms.parse(query) if query else None
        if terms is None:
            return Refused(Refusal.FIND_USAGE)
        found = await self._reports.find(terms)
        links: dict[int, str] = {}
        if self._receipt_link is not None:
            for item in found:
                if item.payment.status is PaymentStatus.PAID:
                    links[item.payment.id] = await self._receipt_link(item.payment)
        refunds = self._refunds and any(_refundable(item) for item in found)
        return PaymentsFound(query, found, links, refunds=refunds)

    # --- /report [week|month]

    async def report(self, asked: _Asked) -> StaffOutcome:
        """Takings per day of the last week or month."""
        word = asked.request.argument.strip().lower() or Period.WEEK.value
        try:
            period = Period(word)
        except ValueError:
            return Refused(Refusal.REPORT_USAGE)
        return await self._reports.takings(period)

    # --- /export [from] [to]

    async def export(self, asked: _Asked) -> StaffOutcome:
        """The payments of a range of days as CSV."""
        words = asked.request.argument.split()
        if len(words) > 2:
            return Refused(Refusal.EXPORT_USAGE)
        try:
            days = [parse_day(word) for word in words]
        except ValueError:
            return Refused(Refusal.EXPORT_USAGE)
        first = days[0] if days else None
        last = days[1] if len(days) > 1 else None
        try:
            return await self._reports.export(first, last)
        except ExportRangeError as error:
            return Refused(Refusal(f"export_{error.reason}"))


def _unmatched_command(desk: UnmatchedDesk) -> Callable[[_Asked], Awaitable[StaffOutcome]]:
    async def command(asked: _Asked) -> StaffOutcome:
        by = f"telegram:{asked.request.user_id}" if asked.request.user_id else "staff"
        return await desk.handle(asked.request.argument, by, full=asked.full_phones)

    return command


def _refundable(item: FoundPayment) -> bool:
    """A paid payment with its M-Pesa receipt: what ``/refund <receipt>`` takes."""
    return item.payment.status is PaymentStatus.PAID and item.payment.receipt_number is not None
