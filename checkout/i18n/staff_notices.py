"""What the staff are told about payments, in sentences a person would say (English, Swahili).

"Wanjiku paid KES 1,500 for WW-1042 — receipt QAB12CD3EF. KES 500 left.", not "PAID: ...
Receipt -. Result code 1032.": a notice names who paid (their name where Telegram or M-Pesa
gave one, and their number), what, for which order, and what the order owes after it; it says
when an order becomes fully paid. A value nobody knows is left out of the sentence, never shown
as a dash. Result codes appear only where they help: a code M-Pesa gives that Lipa has no words
for, and the shop's own setup errors.

Whole numbers and names appear only where the notice's :class:`StaffChat` allows them (a staff
user's private chat with STAFF_SEE_FULL_PHONES on); elsewhere the number is masked and the name
left out. ``staff_callback_kept`` stays in :mod:`checkout.i18n.texts`'s tables (``NOTICE_EN``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.money import format_numbers
from checkout.domain.phones import PhoneError, display_phone, mask_phone
from checkout.domain.records import Language, Order, Payment, PaymentStatus, StaffChat
from checkout.domain.result_codes import ResultCode

NOTICE_EN: Final[Mapping[str, str]] = {
    "staff_callback_kept": (
        "Check: an M-Pesa callback was {status} and kept as callback {id} ({reason}). "
        "After fixing the cause, run: lipa callbacks replay {id}"
    ),
}

NOTICE_SW: Final[Mapping[str, str]] = {
    "staff_callback_kept": (
        "Kagua: ujumbe wa M-Pesa (callback) ulikuwa {status} na umehifadhiwa kama callback "
        "{id} ({reason}). Baada ya kurekebisha chanzo, endesha: lipa callbacks replay {id}"
    ),
}

_EN: Final[Mapping[str, str]] = {
    "someone": "The customer",
    "named": "{name} ({phone})",
    "paid": "{who} paid KES {amount} for {order}",
    "receipt": " — receipt {receipt}",
    "via": " via {channel}",
    "left": "KES {balance} left.",
    "fully_paid": "The order is now fully paid (KES {due}).",
    "receipt_later": "M-Pesa's receipt follows.",
    "receipt_came": "M-Pesa's receipt for {who}'s KES {amount} for {order}: {receipt}.",
    "cancelled": "{who} cancelled the KES {amount} prompt for {order} on the phone.",
    "expired": "{who} did not answer the KES {amount} prompt for {order} in time.",
    "failed": "{who} could not pay KES {amount} for {order}: {reason}.",
    "nothing_paid": "Nothing was paid.",
    "mismatched": (
        "Check {order}: M-Pesa took KES {reported} from {who}, but KES {amount} was asked. "
        "It was not counted as paid."
    ),
    "mismatched_receipt": "The receipt is {receipt}.",
    "reason_1": "not enough money on M-Pesa (and no Fuliza)",
    "reason_2": "the amount is below M-Pesa's minimum",
    "reason_3": "the amount is above M-Pesa's maximum",
    "reason_4": "their daily M-Pesa limit is reached",
    "reason_17": "M-Pesa refuses the same amount twice within 2 minutes",
    "reason_1001": "their phone was busy with another M-Pesa transaction",
    "reason_1019": "the prompt expired",
    "reason_1025": "M-Pesa could not send the prompt",
    "reason_9999": "M-Pesa could not send the prompt",
    "reason_1032": "they cancelled it",
    "reason_1036": "their phone could not be reached",
    "reason_1037": "they did not answer the prompt",
    "reason_2001": "the M-Pesa PIN was wrong",
    "reason_code": 'M-Pesa said no (result code {code}: "{description}")',
    "reason_code_bare": "M-Pesa said no (result code {code})",
    "reason_unknown": "M-Pesa gave no reason",
    "conflict": (
        "Check {order}: {who}'s KES {amount} was recorded as {settled}, but M-Pesa now "
        "reports {reported}."
    ),
    "conflict_receipt": "M-Pesa's receipt: {receipt}.",
    "forged": (
        "Warning: a message claimed {who} paid KES {amount} for {order}, but M-Pesa has "
        "not confirmed it. It was not counted as paid."
    ),
    "forged_code": "M-Pesa answers result code {code}.",
    "unmatched": "M-Pesa reports a payment{amount} that Lipa cannot match to any prompt it sent",
    "unmatched_amount": " of KES {amount}",
    "unmatched_details": " (receipt {receipt}, request {request})",
    "unmatched_request": " (request {request})",
    "unmatched_tail": ". Look it up with /verify and credit it by hand if it is ours.",
    "misconfigured": (
        "M-Pesa payments are not working: Daraja refuses the shortcode and passkey "
        '(error {code}, "Wrong credentials"). Customers cannot pay until '
        "MPESA_BUSINESS_SHORTCODE and MPESA_PASSKEY are fixed; run 'lipa doctor' to check."
    ),
    "misconfigured_bare": (
        "M-Pesa payments are not working: Daraja refuses the shortcode and passkey "
        '("Wrong credentials"). Customers cannot pay until '
        "MPESA_BUSINESS_SHORTCODE and MPESA_PASSKEY are fixed; run 'lipa doctor' to check."
    ),
    "setup_refused": (
        "M-Pesa refused the prompt for {order} with {code}{description}. This is the shop's "
        "M-Pesa setup, not the customer: check MPESA_TRANSACTION_TYPE "
        "(CustomerPayBillOnline for a paybill, CustomerBuyGoodsOnline for a till) and "
        "MPESA_PARTY_B (the till or paybill that receives the money), then ask the customer "
        "to try again."
    ),
    "status_paid": "paid",
    "status_failed": "failed",
    "status_cancelled": "cancelled",
    "status_expired": "unanswered",
    "status_mismatched": "paid a different amount",
    "status_pending": "waiting",
}

_SW: Final[Mapping[str, str]] = {
    "someone": "Mteja",
    "named": "{name} ({phone})",
    "paid": "{who} amelipa KES {amount} kwa {order}",
    "receipt": " — risiti {receipt}",
    "via": " kupitia {channel}",
    "left": "Zimebaki KES {balance}.",
    "fully_paid": "Oda sasa imelipwa yote (KES {due}).",
    "receipt_later": "Risiti ya M-Pesa itafuata.",
    "receipt_came": "Risiti ya M-Pesa ya KES {amount} za {who} kwa {order}: {receipt}.",
    "cancelled": "{who} alighairi ombi la KES {amount} la {order} kwenye simu.",
    "expired": "{who} hakujibu ombi la KES {amount} la {order} kwa wakati.",
    "failed": "{who} hakuweza kulipa KES {amount} kwa {order}: {reason}.",
    "nothing_paid": "Hakuna kilicholipwa.",
    "mismatched": (
        "Kagua {order}: M-Pesa ilichukua KES {reported} kutoka kwa {who}, lakini "
        "KES {amount} ziliombwa. Hayakuhesabiwa kama malipo."
    ),
    "mismatched_receipt": "Risiti ni {receipt}.",
    "reason_1": "hana pesa za kutosha kwenye M-Pesa (wala Fuliza)",
    "reason_2": "kiasi ni chini ya kiwango cha chini cha M-Pesa",
    "reason_3": "kiasi ni juu ya kiwango cha juu cha M-Pesa",
    "reason_4": "amefikia kikomo chake cha M-Pesa cha siku",
    "reason_17": "M-Pesa haikubali kiasi kile kile mara mbili ndani ya dakika 2",
    "reason_1001": "simu yake ilikuwa na muamala mwingine wa M-Pesa",
    "reason_1019": "muda wa ombi uliisha",
    "reason_1025": "M-Pesa haikuweza kutuma ombi",
    "reason_9999": "M-Pesa haikuweza kutuma ombi",
    "reason_1032": "aliighairi",
    "reason_1036": "simu yake haikupatikana",
    "reason_1037": "hakujibu ombi",
    "reason_2001": "PIN ya M-Pesa ilikuwa si sahihi",
    "reason_code": 'M-Pesa ilikataa (msimbo {code}: "{description}")',
    "reason_code_bare": "M-Pesa ilikataa (msimbo {code})",
    "reason_unknown": "M-Pesa haikutoa sababu",
    "conflict": (
        "Kagua {order}: KES {amount} za {who} zilirekodiwa kama {settled}, lakini sasa M-Pesa "
        "inasema {reported}."
    ),
    "conflict_receipt": "Risiti ya M-Pesa: {receipt}.",
    "forged": (
        "Tahadhari: ujumbe ulidai {who} amelipa KES {amount} kwa {order}, lakini M-Pesa "
        "haiuthibitishi. Haukuhesabiwa kama malipo."
    ),
    "forged_code": "M-Pesa inajibu msimbo {code}.",
    "unmatched": (
        "M-Pesa inaripoti malipo{amount} ambayo Lipa haiwezi kuyalinganisha na ombi lolote"
    ),
    "unmatched_amount": " ya KES {amount}",
    "unmatched_details": " (risiti {receipt}, ombi {request})",
    "unmatched_request": " (ombi {request})",
    "unmatched_tail": ". Yatafute kwa /verify na uyaweke kwa mkono kama ni yetu.",
    "misconfigured": (
        "Malipo ya M-Pesa hayafanyi kazi: Daraja inakataa shortcode na passkey "
        '(hitilafu {code}, "Wrong credentials"). Wateja hawawezi kulipa hadi '
        "MPESA_BUSINESS_SHORTCODE na MPESA_PASSKEY zirekebishwe; endesha 'lipa doctor' kukagua."
    ),
    "misconfigured_bare": (
        "Malipo ya M-Pesa hayafanyi kazi: Daraja inakataa shortcode na passkey "
        '("Wrong credentials"). Wateja hawawezi kulipa hadi '
        "MPESA_BUSINESS_SHORTCODE na MPESA_PASSKEY zirekebishwe; endesha 'lipa doctor' kukagua."
    ),
    "setup_refused": (
        "M-Pesa ilikataa ombi la malipo la {order} kwa {code}{description}. Hili ni tatizo la "
        "mipangilio ya M-Pesa ya duka, si la mteja: kagua MPESA_TRANSACTION_TYPE "
        "(CustomerPayBillOnline kwa paybill, CustomerBuyGoodsOnline kwa till) na "
        "MPESA_PARTY_B (till au paybill inayopokea pesa), kisha mwombe mteja ajaribu tena."
    ),
    "status_paid": "yamelipwa",
    "status_failed": "yameshindikana",
    "status_cancelled": "yameghairiwa",
    "status_expired": "hayakujibiwa",
    "status_mismatched": "kiasi tofauti kimelipwa",
    "status_pending": "yanasubiri",
}

_TABLES: Final[Mapping[Language, Mapping[str, str]]] = {"en": _EN, "sw": _SW}
_NAMED_REASONS: Final = frozenset(int(code) for code in ResultCode) - {0, 4999}


def _say(language: Language, key: str, **params: object) -> str:
    return _TABLES[language][key].format(**format_numbers(params))


def staff_phone(staff: StaffChat, phone: str) -> str:
    """``phone`` as ``staff``'s chat may read it: spaced out in full, or masked."""
    if staff.full_phones:
        try:
            return display_phone(phone)
        except PhoneError:
            return phone  # a masked or odd number M-Pesa gave: shown as it came
    return phone if "*" in phone else mask_phone(phone)


def who(staff: StaffChat, phone: str | None, name: str | None = None) -> str:
    """The customer as ``staff``'s chat may name them: "Wanjiku (0712 345 678)" or masked."""
    shown = staff_phone(staff, phone) if phone else None
    name = (name or "").strip() or None
    if name is not None and staff.full_phones:
        return _say(staff.language, "named", name=name, phone=shown) if shown else name
    return shown or _say(staff.language, "someone")


def status_word(language: Language, status: PaymentStatus) -> str:
    """A payment's status as a word staff read ("paid", "cancelled")."""
    return _say(language, f"status_{status.value}")


def failure_reason(language: Language, payment: Payment) -> str:
    """Why a payment failed, in words; the code only when Lipa has no words for it."""
    code = payment.result_code
    if code is not None and code in _NAMED_REASONS:
        return _say(language, f"reason_{code}")
    shown = payment.result_code_text or (None if code is None else str(code))
    if shown is None:
        return _say(language, "reason_unknown")
    if payment.result_description:
        return _say(language, "reason_code", code=shown, description=payment.result_description)
    return _say(language, "reason_code_bare", code=shown)


def settled(
    staff: StaffChat,
    payment: Payment,
    order: Order | None,
    reported: int | None,
    *,
    name: str | None = None,
    channel: str | None = None,
) -> str:
    """The notice of a settled payment: who paid (or did not) what, and what the order owes."""
    language = staff.language
    person = who(staff, payment.phone, name)
    common = {"who": person, "amount": payment.amount, "order": payment.order_reference}
    status = payment.status
    if status is PaymentStatus.PAID:
        return _paid(staff, payment, order, person, channel)
    if status is PaymentStatus.MISMATCHED:
        parts = [_say(language, "mismatched", reported=reported or payment.amount, **common)]
        if payment.receipt_number:
            parts.append(_say(language, "mismatched_receipt", receipt=payment.receipt_number))
        return " ".join(parts)
    if status is PaymentStatus.CANCELLED:
        return _say(language, "cancelled", **common)
    if status is PaymentStatus.EXPIRED or payment.result_code == ResultCode.EXPIRED:
        return _say(language, "expired", **common) + " " + _say(language, "nothing_paid")
    return _say(language, "failed", reason=failure_reason(language, payment), **common)


def _paid(
    staff: StaffChat, payment: Payment, order: Order | None, person: str, channel: str | None
) -> str:
    language = staff.language
    head = _say(language, "paid", who=person, amount=payment.amount, order=payment.order_reference)
    if channel:
        head += _say(language, "via", channel=channel)
    if payment.receipt_number:
        head += _say(language, "receipt", receipt=payment.receipt_number)
    parts = [head + "."]
    if not payment.receipt_number:
        parts.append(_say(language, "receipt_later"))
    if order is not None and order.is_fully_paid:
        parts.append(_say(language, "fully_paid", order=order.reference, due=order.amount_paid))
    elif order is not None and order.balance > 0:
        parts.append(_say(language, "left", balance=order.balance))
    return " ".join(parts)


def receipt_came(staff: StaffChat, payment: Payment, *, name: str | None = None) -> str:
    """The receipt of a payment settled before M-Pesa's receipt reached Lipa."""
    return _say(
        staff.language,
        "receipt_came",
        who=who(staff, payment.phone, name),
        amount=payment.amount,
        order=payment.order_reference,
        receipt=payment.receipt_number,
    )


def conflict(
    staff: StaffChat, settled: Payment, reported: PaymentStatus, receipt: str | None
) -> str:
    """A later answer that contradicts how a payment already settled."""
    language = staff.language
    text = _say(
        language,
        "conflict",
        order=settled.order_reference,
        who=who(staff, settled.phone),
        amount=settled.amount,
        settled=status_word(language, settled.status),
        reported=status_word(language, reported),
    )
    if receipt:
        text += " " + _say(language, "conflict_receipt", receipt=receipt)
    return text


def forged(staff: StaffChat, payment: Payment, code: int | None) -> str:
    """A success message that Daraja's own query contradicts (result ``code``)."""
    language = staff.language
    text = _say(
        language,
        "forged",
        who=who(staff, payment.phone),
        amount=payment.amount,
        order=payment.order_reference,
    )
    if code is not None:
        text += " " + _say(language, "forged_code", code=str(code))
    return text


def unmatched(language: Language, request: str, amount: int | None, receipt: str | None) -> str:
    """A success nobody can match to a prompt Lipa sent (``request``: its CheckoutRequestID)."""
    shown = "" if amount is None else _say(language, "unmatched_amount", amount=amount)
    text = _say(language, "unmatched", amount=shown)
    if receipt:
        text += _say(language, "unmatched_details", receipt=receipt, request=request)
    else:
        text += _say(language, "unmatched_request", request=request)
    return text + _say(language, "unmatched_tail")


def misconfigured(language: Language, code: str | None) -> str:
    """Daraja refuses our shortcode and passkey: a setup error, so its code helps."""
    if code:
        return _say(language, "misconfigured", code=code)
    return _say(language, "misconfigured_bare")


def setup_refused(language: Language, payment: Payment) -> str:
    """Daraja refused the shortcode's setup (a code in words): say where to look."""
    description = f" ({payment.result_description})" if payment.result_description else ""
    return _say(
        language,
        "setup_refused",
        order=payment.order_reference,
        code=payment.result_code_text or payment.result_code,
        description=description,
    )
