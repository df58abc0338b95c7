"""The page's own words (labels, headings, plain pages, the receipt) in English and Swahili.

What the checkout says about payments (validation, "Check your phone…", outcomes) comes from
the chat's presenters in :mod:`checkout.i18n` (:mod:`checkout.i18n.chat`,
:mod:`checkout.i18n.payments.messages`), so the page and the chat say the same; only what exists
on a page alone lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.records import LANGUAGES, Language
from checkout.i18n.web_plans import WEB_PLAN_EN, WEB_PLAN_SW

_PAGE_TEXTS: Final[Mapping[Language, Mapping[str, str]]] = {
    "en": {
        "title": "Pay order {order}",
        "order": "Order",
        "balance": "Left to pay",
        "amount_label": "Amount (KES)",
        "amount_hint": "Whole shillings, 1 to {balance}",
        "phone_label": "M-Pesa number",
        "phone_hint": "e.g. 0712 345 678",
        "pay": "Pay with M-Pesa",
        "try_again": "Try again",
        "download_receipt": "Download receipt",
        "switch_language": "Kiswahili",
        "unknown_title": "Order not found",
        "unknown_body": "There is no order {order} to pay. Please check the link you were sent.",
        "paid_title": "Order paid",
        "form_expired_title": "Please open the link again",
        "form_expired_body": "This form has expired or was changed. Nothing was paid.",
        "too_many_title": "Please wait a minute",
        "too_many_body": "Too many requests from your network. Please try again in a minute.",
        "receipt_missing_title": "Receipt not found",
        "receipt_missing_body": "There is no receipt at this address.",
        "error_title": "Something went wrong",
        "receipt_heading": "Payment receipt",
        "receipt_order": "Order",
        "receipt_description": "Description",
        "receipt_amount": "Amount paid",
        "receipt_mpesa": "M-Pesa receipt",
        "receipt_date": "Date and time (Nairobi)",
        "receipt_phone": "Paid from",
        "receipt_balance": "Balance left",
        "receipt_to_follow": "to follow",
        "receipt_footer": "Thank you for your payment.",
        # an order with an open plan: its schedule and the plan desk's buttons
        "plan_heading": "Your plan",
        "plan_state_missed": "missed",
        "plan_state_awaited": "awaited",
        "plan_state_rolled": "added to the next",
        "plan_pay_next": "Pay the next installment now (KES {amount})",
        "plan_pay_all": "Pay everything left now (KES {amount})",
        "plan_pay_deposit": "Pay the deposit (KES {amount})",
    },
    "sw": {
        "title": "Lipa oda {order}",
        "order": "Oda",
        "balance": "Kiasi kilichobaki",
        "amount_label": "Kiasi (KES)",
        "amount_hint": "Shilingi kamili, 1 hadi {balance}",
        "phone_label": "Namba ya M-Pesa",
        "phone_hint": "kwa mfano 0712 345 678",
        "pay": "Lipa kwa M-Pesa",
        "try_again": "Jaribu tena",
        "download_receipt": "Pakua risiti",
        "switch_language": "English",
        "unknown_title": "Oda haikupatikana",
        "unknown_body": "Hakuna oda {order} ya kulipa. Tafadhali angalia kiungo ulichotumiwa.",
        "paid_title": "Oda imelipwa",
        "form_expired_title": "Tafadhali fungua kiungo tena",
        "form_expired_body": "Fomu hii imepitwa na wakati au imebadilishwa. Hakuna kilicholipwa.",
        "too_many_title": "Tafadhali subiri dakika moja",
        "too_many_body": (
            "Maombi mengi mno kutoka mtandao wako. Tafadhali jaribu tena baada ya dakika."
        ),
        "receipt_missing_title": "Risiti haikupatikana",
        "receipt_missing_body": "Hakuna risiti kwenye anwani hii.",
        "error_title": "Kuna hitilafu",
        "receipt_heading": "Risiti ya malipo",
        "receipt_order": "Oda",
        "receipt_description": "Maelezo",
        "receipt_amount": "Kiasi kilicholipwa",
        "receipt_mpesa": "Risiti ya M-Pesa",
        "receipt_date": "Tarehe na saa (Nairobi)",
        "receipt_phone": "Imelipwa kutoka",
        "receipt_balance": "Kiasi kilichobaki",
        "receipt_to_follow": "itafuata",
        "receipt_footer": "Asante kwa malipo yako.",
        "plan_heading": "Mpango wako",
        "plan_state_missed": "imechelewa",
        "plan_state_awaited": "inasubiriwa",
        "plan_state_rolled": "imeongezwa kwenye inayofuata",
        "plan_pay_next": "Lipa awamu inayofuata sasa (KES {amount})",
        "plan_pay_all": "Lipa kiasi chote kilichobaki sasa (KES {amount})",
        "plan_pay_deposit": "Lipa malipo ya awali (KES {amount})",
    },
}


# With the plan texts (checkout.i18n.web_plans): "Pay later", the offer page, the receipt's plan.
WEB_TEXTS: Final[Mapping[Language, Mapping[str, str]]] = {
    "en": {**_PAGE_TEXTS["en"], **WEB_PLAN_EN},
    "sw": {**_PAGE_TEXTS["sw"], **WEB_PLAN_SW},
}


def w(language: Language, key: str, **params: object) -> str:
    """The page text ``key`` in ``language`` with ``params`` filled in."""
    return WEB_TEXTS[language][key].format(**params)


def accepted_language(header: str | None) -> Language | None:
    """The first of English and Swahili an ``Accept-Language`` header asks for, by weight."""
    if not header:
        return None
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        for language in LANGUAGES:
            if primary == language and weight > 0:
                ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else None


def as_language(value: str | None) -> Language | None:
    """``value`` if it names a language the page speaks."""
    for language in LANGUAGES:
        if value == language:
            return language
    return None
