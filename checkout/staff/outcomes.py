"""What a staff command did: what it found, what it did, or what it refused and why.

The desk (:mod:`checkout.staff.commands`, :mod:`checkout.staff.verify`,
:mod:`checkout.staff.refunds`) returns one of these;
the staff presenter (:mod:`checkout.staff.views`) says it in the staff reader's language. The
reports' own records (:class:`DaySummary`, :class:`PendingSummary`, :class:`Takings`,
:class:`Export`) and ``/unmatched``'s (:mod:`checkout.staff.unmatched`) are outcomes as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from checkout.domain.records import Language, Order
from checkout.domain.summaries import FoundPayment
from checkout.refunds.desk import RefundAnswer
from checkout.staff.reports import DaySummary, Export, PendingSummary, Takings
from checkout.staff.unmatched import UnmatchedOutcome
from checkout.till.verify.status import Verified


class Refusal(StrEnum):
    """Why a command did nothing: what was typed was wrong, or the command is off.

    A value names the staff text that says it (``neworder_amount``).
    """

    LANGUAGE_USAGE = "language_usage"
    LANGUAGE_FIXED = "language_fixed"  # no per-user languages here: the business's default
    NEWORDER_USAGE = "neworder_usage"
    NEWORDER_AMOUNT = "neworder_amount"
    NEWORDER_CUSTOMER_PHONE = "neworder_customer_phone"
    NEWORDER_DESCRIPTION = "neworder_description"
    # What looked like the customer's phone is not a Kenyan mobile (``subject``: as typed).
    NEWORDER_PHONE_INVALID = "neworder_phone_invalid"
    NEWORDER_PHONE_NOT_MOBILE = "neworder_phone_not_mobile"
    NEWORDER_PHONE_NOT_KENYAN = "neworder_phone_not_kenyan"
    SENDLINK_USAGE = "sendlink_usage"
    SENDLINK_OFF = "sendlink_off"  # the web checkout or SMS is off
    SENDLINK_PHONE = "sendlink_phone"
    SENDLINK_UNKNOWN = "sendlink_unknown"  # ``subject``: the order
    SENDLINK_PAID = "sendlink_paid"  # ``subject``: the order, paid in full already
    FIND_USAGE = "find_usage"
    REPORT_USAGE = "report_usage"
    EXPORT_USAGE = "export_usage"
    EXPORT_REVERSED = "export_reversed"
    EXPORT_TOO_LONG = "export_too_long"


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing was done, for ``why``; ``subject`` is what it concerns (an order, a phone)."""

    why: Refusal
    subject: str = ""


@dataclass(frozen=True, slots=True)
class CommandList:
    """``/help``: the staff commands."""


@dataclass(frozen=True, slots=True)
class LanguageShown:
    """``/language`` without a word: the reader's language, and how to change it."""


@dataclass(frozen=True, slots=True)
class LanguageChosen:
    """The staff user's answers are now in ``language`` (said in it)."""

    language: Language


@dataclass(frozen=True, slots=True)
class OrderOpened:
    """``/neworder`` opened ``order``: its links, and the one its QR code encodes."""

    order: Order
    link: str  # the Telegram deep link
    web_link: str | None = None  # with the web checkout on (the QR code's, then)
    whatsapp_link: str | None = None  # with WhatsApp's number set

    @property
    def scanned(self) -> str:
        """The link the QR code opens: the web page when there is one (no Telegram needed)."""
        return self.web_link or self.link


@dataclass(frozen=True, slots=True)
class PayLinkText:
    """What ``/sendlink`` texts a customer: ``order``'s web ``link``, and the ``balance`` left
    on it; the channel that sends it says it in the business's language."""

    order: str
    balance: int
    link: str


@dataclass(frozen=True, slots=True)
class LinkTexted:
    """``/sendlink`` queued an SMS with ``order``'s web link to ``phone`` (normalised)."""

    order: str
    phone: str


@dataclass(frozen=True, slots=True)
class PaymentsFound:
    """``/find``'s payments for ``query`` (none: nothing matched), each with its receipt link
    (by payment id) when it has one; ``refunds``: offer "Refund" under the paid ones."""

    query: str
    found: tuple[FoundPayment, ...]
    receipt_links: Mapping[int, str] = field(default_factory=dict)
    refunds: bool = False


@dataclass(frozen=True, slots=True)
class VerifyUsage:
    """``/verify`` typed without a code, with too many words, or with a wrong order."""


@dataclass(frozen=True, slots=True)
class NotACode:
    """``/verify``'s ``typed`` first word is not an M-Pesa code."""

    typed: str


@dataclass(frozen=True, slots=True)
class VerifyAsked:
    """``/verify <code>``: M-Pesa was asked (its answer follows in the chat), or could not be."""

    verified: Verified


@dataclass(frozen=True, slots=True)
class CreditPressed:
    """A "Credit to order …" press under ``/verify``'s answer: what crediting to ``order`` did."""

    verified: Verified
    order: str


@dataclass(frozen=True, slots=True)
class RefundUsage:
    """``/refund`` typed without a receipt: nothing was asked (said in ``language``)."""

    language: Language


@dataclass(frozen=True, slots=True)
class RefundAsked:
    """What ``/refund <receipt>``, or a press of Approve / Reject on refund ``refund_id``, did.

    ``answer`` is the refund desk's; ``limit`` (today's) and ``days`` (how old a payment may
    be) are the rules' figures a refusal names; ``language`` is the staff user's.
    """

    language: Language
    answer: RefundAnswer
    limit: int
    days: int
    receipt: str = ""  # the receipt typed (a press names the request instead)
    refund_id: int | None = None


StaffOutcome = (
    Refused
    | CommandList
    | LanguageShown
    | LanguageChosen
    | OrderOpened
    | LinkTexted
    | DaySummary
    | PendingSummary
    | PaymentsFound
    | Takings
    | Export
    | UnmatchedOutcome
)

# What ``/verify`` and its buttons did (said with the business's contact, which a refusal
# to credit may name).
VerifyDone = VerifyUsage | NotACode | VerifyAsked | CreditPressed

# What ``/refund`` did (a press is always a :class:`RefundAsked`).
RefundDone = RefundUsage | RefundAsked
