"""The web page's words for plans: "Pay later" on the page, the offer page, and a plan's
schedule on the PDF receipt, in English and Swahili.

The offer itself (its options, dates, amounts, terms and fees) is the chat's own
(:func:`checkout.i18n.plans.words.offer_text`); only what exists on a page or a receipt alone
is here. The web adapter merges these into its page texts. Also the line that carries the
receipt link in a USSD customer's SMS, kept short so that the outcome and the link fit one SMS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.records import Language

WEB_PLAN_EN: Final[Mapping[str, str]] = {
    "pay_later": "Pay later",
    "pay_later_hint": "Pay later: type your M-Pesa number above to see your plan.",
    "plan_title": "Pay later: order {order}",
    "plan_choose": "Choose {count} installments",
    "plan_back": "Back to the order",
    # the plan's schedule on a PDF receipt
    "receipt_plan": "Payment plan {plan}",
    "receipt_plan_deposit": "Deposit",
    "receipt_plan_installment": "Installment {number}",
    "receipt_plan_paid": "paid",
    "receipt_plan_due": "due",
    "receipt_plan_cancelled": "cancelled",
    "receipt_plan_fee": "incl. late fee KES {fee}",
    "receipt_plan_left": "Still to pay on the plan: KES {left}",
}

WEB_PLAN_SW: Final[Mapping[str, str]] = {
    "pay_later": "Lipa baadaye",
    "pay_later_hint": "Lipa baadaye: andika namba yako ya M-Pesa hapo juu uone mpango wako.",
    "plan_title": "Lipa baadaye: oda {order}",
    "plan_choose": "Chagua awamu {count}",
    "plan_back": "Rudi kwenye oda",
    "receipt_plan": "Mpango wa malipo {plan}",
    "receipt_plan_deposit": "Malipo ya awali",
    "receipt_plan_installment": "Awamu ya {number}",
    "receipt_plan_paid": "imelipwa",
    "receipt_plan_due": "inadaiwa",
    "receipt_plan_cancelled": "imefutwa",
    "receipt_plan_fee": "pamoja na faini ya KES {fee}",
    "receipt_plan_left": "Kilichobaki kwenye mpango: KES {left}",
}

# The label of the URL button under a paid payment's Telegram message.
_RECEIPT_BUTTON: Final[Mapping[Language, str]] = {"en": "Receipt (PDF)", "sw": "Risiti (PDF)"}


def receipt_button_label(language: Language) -> str:
    """The "Receipt" button's label under a paid payment's message in Telegram."""
    return _RECEIPT_BUTTON[language]


# The receipt link under a USSD customer's SMS outcome (GSM alphabet, as short as it can be).
_SMS_RECEIPT: Final[Mapping[Language, str]] = {
    "en": "Receipt: {link}",
    "sw": "Risiti: {link}",
}


def sms_receipt_text(language: Language, link: str) -> str:
    """The line with a paid payment's short receipt link, for the SMS of a USSD customer."""
    return _SMS_RECEIPT[language].format(link=link)
