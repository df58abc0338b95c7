"""What customers and staff are told about money paid to the till directly, in English and Swahili.

A customer hears that a payment they made to the paybill or till was credited to their order;
the staff hear of every credit, of transactions nobody could match (``/unmatched``), of what
they did with one, and once a day how the M-Pesa statement compares with Lipa's books.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final, Protocol

from checkout.domain.money import format_number
from checkout.domain.phones import display_phone, mask_phone, msisdn_phone
from checkout.domain.records import Language, Order, StaffChat
from checkout.domain.time import NAIROBI
from checkout.i18n.times import clock_time

TILL_EN: Final[Mapping[str, str]] = {
    "customer_credited": (
        "We received your M-Pesa payment of KES {amount} for order {order} "
        "(M-Pesa code {code}). Thank you!"
    ),
    "customer_balance": "Still to pay for order {order}: KES {balance}.",
    "customer_paid": "Order {order} is fully paid.",
    "staff_credited": (
        "{payer} paid KES {amount} straight to M-Pesa for {order} — code {code} ({how})."
    ),
    "staff_left": "KES {balance} left.",
    "staff_fully_paid": "The order is now fully paid (KES {paid}).",
    "how_account": "matched by the account number typed",
    "how_phone": "matched by phone and amount",
    "how_staff": "credited by {by}",
    "how_staff_nobody": "credited by a staff user",
    "how_status": "checked with M-Pesa",
    "staff_queued": "{payer} paid KES {amount} straight to M-Pesa (code {code})",
    "staff_queued_account": ' with account "{account}"',
    "staff_queued_time": " on {time}",
    "staff_queued_tail": (
        ", and Lipa cannot tell which order it is for. /unmatched credits it to an order."
    ),
    "staff_not_ours": "{by} set M-Pesa code {code} (KES {amount}) aside as not ours.",
    "daily_line": (
        "M-Pesa {day}: {count} transactions, KES {amount}; "
        "Lipa: {matched} matched, {unmatched} unmatched"
    ),
    "unmatched_none": "No unmatched M-Pesa payments.",
    "unmatched_header": "Unmatched M-Pesa payments ({count}):",
    "unmatched_line": '{code}: KES {amount} from {payer}, account "{account}", {time}',
    "unmatched_more": "…and {count} more.",
    "unmatched_usage": (
        "/unmatched lists them; /unmatched <code> <order> credits one to an order; "
        "/unmatched <code> notours marks it not ours."
    ),
    "unmatched_button_credit": "Credit to order {order}",
    "unmatched_button_not_ours": "Not ours",
    "unmatched_credited": "Code {code} credited to order {order} (KES {amount}).",
    "unmatched_not_ours": "Code {code} marked not ours.",
    "unmatched_done": "Code {code} was already dealt with ({state}).",
    "unmatched_no_order": "There is no order {order}.",
    "unmatched_no_code": "There is no M-Pesa transaction {code} in Lipa's books.",
    "state_credited": "credited",
    "state_matched": "matched",
    "state_unmatched": "unmatched",
    "state_not_ours": "not ours",
    "unknown_payer": "an unknown number",
    "someone": "Someone",
}

TILL_SW: Final[Mapping[str, str]] = {
    "customer_credited": (
        "Tumepokea malipo yako ya M-Pesa ya KES {amount} kwa oda {order} "
        "(msimbo wa M-Pesa {code}). Asante!"
    ),
    "customer_balance": "Kiasi kilichobaki kwa oda {order}: KES {balance}.",
    "customer_paid": "Oda {order} imelipwa kikamilifu.",
    "staff_credited": (
        "{payer} amelipa KES {amount} moja kwa moja kwa M-Pesa kwa {order} — msimbo {code} ({how})."
    ),
    "staff_left": "Zimebaki KES {balance}.",
    "staff_fully_paid": "Oda sasa imelipwa yote (KES {paid}).",
    "how_account": "imelingana kwa namba ya akaunti iliyoandikwa",
    "how_phone": "imelingana kwa simu na kiasi",
    "how_staff": "yamewekwa na {by}",
    "how_staff_nobody": "yamewekwa na mfanyakazi",
    "how_status": "yamethibitishwa na M-Pesa",
    "staff_queued": "{payer} amelipa KES {amount} moja kwa moja kwa M-Pesa (msimbo {code})",
    "staff_queued_account": ' kwa akaunti "{account}"',
    "staff_queued_time": " {time}",
    "staff_queued_tail": (", na Lipa haiwezi kujua ni ya oda ipi. /unmatched inayaweka kwa oda."),
    "staff_not_ours": "{by} ameweka msimbo wa M-Pesa {code} (KES {amount}) kando kama si wetu.",
    "daily_line": (
        "M-Pesa {day}: miamala {count}, KES {amount}; "
        "Lipa: {matched} imelingana, {unmatched} haijalingana"
    ),
    "unmatched_none": "Hakuna malipo ya M-Pesa yasiyolingana.",
    "unmatched_header": "Malipo ya M-Pesa yasiyolingana ({count}):",
    "unmatched_line": '{code}: KES {amount} kutoka {payer}, akaunti "{account}", {time}',
    "unmatched_more": "…na mengine {count}.",
    "unmatched_usage": (
        "/unmatched inayaorodhesha; /unmatched <msimbo> <oda> inaweka moja kwa oda; "
        "/unmatched <msimbo> notours inauweka si wetu."
    ),
    "unmatched_button_credit": "Weka kwa oda {order}",
    "unmatched_button_not_ours": "Si wetu",
    "unmatched_credited": "Msimbo {code} umewekwa kwa oda {order} (KES {amount}).",
    "unmatched_not_ours": "Msimbo {code} umewekwa si wetu.",
    "unmatched_done": "Msimbo {code} ulishashughulikiwa ({state}).",
    "unmatched_no_order": "Hakuna oda {order}.",
    "unmatched_no_code": "Hakuna muamala wa M-Pesa {code} katika vitabu vya Lipa.",
    "state_credited": "umewekwa",
    "state_matched": "umelingana",
    "state_unmatched": "haujalingana",
    "state_not_ours": "si wetu",
    "unknown_payer": "namba isiyojulikana",
    "someone": "Mtu",
}


class Paid(Protocol):
    """What the texts read of one M-Pesa transaction (``checkout.till.records.TillPayment``)."""

    @property
    def transaction_id(self) -> str: ...
    @property
    def amount(self) -> int: ...
    @property
    def paid_at(self) -> datetime | None: ...
    @property
    def account(self) -> str | None: ...
    @property
    def msisdn(self) -> str | None: ...
    @property
    def payer_name(self) -> str | None: ...


_TABLES: Final[Mapping[Language, Mapping[str, str]]] = {"en": TILL_EN, "sw": TILL_SW}


def tt(language: Language, key: str, **params: object) -> str:
    """The till text ``key`` in ``language`` with ``params`` filled in."""
    return _TABLES[language][key].format(**params)


def payer(
    language: Language, payment: Paid, *, full: bool = False, unknown: str = "unknown_payer"
) -> str:
    """Who paid, as staff may read it: the number masked, or M-Pesa's name and the number.

    ``full`` is for a staff user's private chat (STAFF_SEE_FULL_PHONES): M-Pesa's name of the
    payer and the number spaced out when M-Pesa gave all of it. Elsewhere (a group, the log
    channel) only the masked number: a name is shown only where a whole number is.
    """
    number = _shown(payment.msisdn) if full else None
    name = payment.payer_name if full else None
    parts = [part for part in (name, number or _masked(payment.msisdn)) if part]
    return " ".join(parts) if parts else tt(language, unknown)


def _shown(msisdn: str | None) -> str | None:
    phone = msisdn_phone(msisdn)
    return display_phone(phone) if phone is not None else None


def _masked(msisdn: str | None) -> str | None:
    if not msisdn:
        return None
    if len(msisdn) == 64:  # M-Pesa's SHA-256 digest of the number: its start is enough
        return f"#{msisdn[:8]}"
    return msisdn if "*" in msisdn else mask_phone(msisdn)


def when(language: Language, moment: datetime | None) -> str:
    """A transaction's time in Nairobi (``04/12 10:15``), or a dash."""
    if moment is None:
        return "-"
    local = moment.astimezone(NAIROBI)
    return f"{local:%d/%m} {clock_time(language, local.time())}"


def customer_credited(language: Language, payment: Paid, order: Order) -> str:
    """The customer's message: the payment is credited to the order, and what is left."""
    lines = [
        tt(
            language,
            "customer_credited",
            amount=format_number(payment.amount),
            order=order.reference,
            code=payment.transaction_id,
        )
    ]
    if order.balance > 0:
        lines.append(
            tt(
                language,
                "customer_balance",
                order=order.reference,
                balance=format_number(order.balance),
            )
        )
    else:
        lines.append(tt(language, "customer_paid", order=order.reference))
    return "\n".join(lines)


def staff_credited(
    staff: StaffChat, payment: Paid, order: Order, how: str, by: str | None = None
) -> str:
    """The staff's notice of a credit; ``how`` is account, phone, staff or status."""
    language = staff.language
    if how == "staff" and not by:
        how = "staff_nobody"
    parts = [
        tt(
            language,
            "staff_credited",
            payer=payer(language, payment, full=staff.full_phones, unknown="someone"),
            amount=format_number(payment.amount),
            order=order.reference,
            code=payment.transaction_id,
            how=tt(language, f"how_{how}", by=by),
        )
    ]
    if order.is_fully_paid:
        paid = format_number(order.amount_paid)
        parts.append(tt(language, "staff_fully_paid", order=order.reference, paid=paid))
    elif order.balance > 0:
        parts.append(tt(language, "staff_left", balance=format_number(order.balance)))
    return " ".join(parts)


def staff_queued(staff: StaffChat, payment: Paid) -> str:
    """The staff's notice of a transaction nobody could match (what is unknown left out)."""
    language = staff.language
    text = tt(
        language,
        "staff_queued",
        payer=payer(language, payment, full=staff.full_phones, unknown="someone"),
        amount=format_number(payment.amount),
        code=payment.transaction_id,
    )
    account = (payment.account or "").strip()[:40]
    if account:
        text += tt(language, "staff_queued_account", account=account)
    if payment.paid_at is not None:
        text += tt(language, "staff_queued_time", time=when(language, payment.paid_at))
    return text + tt(language, "staff_queued_tail")


def staff_not_ours(language: Language, payment: Paid, by: str) -> str:
    """The staff's notice that someone marked a transaction not ours."""
    return tt(
        language,
        "staff_not_ours",
        code=payment.transaction_id,
        amount=format_number(payment.amount),
        by=by,
    )


def unmatched_line(language: Language, payment: Paid, *, full: bool = False) -> str:
    """One queued transaction in the ``/unmatched`` list (whole numbers when ``full``)."""
    return tt(
        language,
        "unmatched_line",
        code=payment.transaction_id,
        amount=format_number(payment.amount),
        payer=payer(language, payment, full=full),
        account=(payment.account or "").strip()[:40],
        time=when(language, payment.paid_at),
    )


def daily_line(
    language: Language, day: str, count: int, amount: int, matched: int, unmatched: int
) -> str:
    """The staff's daily line comparing the M-Pesa statement with Lipa's books."""
    return tt(
        language,
        "daily_line",
        day=day,
        count=count,
        amount=format_number(amount),
        matched=matched,
        unmatched=unmatched,
    )
