"""How a payment ended, in English and Swahili: paid, paid in full, or why not (``outcome_``).

:mod:`checkout.i18n.texts` merges these into its tables, so the usual checks (both languages,
same placeholders, GSM alphabet, one screen) apply. :func:`outcome_key` picks the failure text
for a Daraja result code; :mod:`checkout.i18n.payments.messages` fills it in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.result_codes import ResultCode

OUTCOME_EXPIRED: Final = "outcome_expired"  # the payment expired: M-Pesa never answered
OUTCOME_FAILED: Final = "outcome_failed"  # any result code without its own text

# Daraja result codes (see DESIGN.md) → the failure text that says what to do next.
_FAILURE_KEYS: Final[Mapping[int, str]] = {
    ResultCode.INSUFFICIENT_BALANCE: "outcome_insufficient_funds",
    ResultCode.AMOUNT_BELOW_MINIMUM: "outcome_below_minimum",
    ResultCode.AMOUNT_ABOVE_MAXIMUM: "outcome_above_maximum",
    ResultCode.DAILY_LIMIT_EXCEEDED: "outcome_daily_limit",
    ResultCode.DUPLICATE_WITHIN_TWO_MINUTES: "outcome_duplicate",
    ResultCode.SUBSCRIBER_LOCKED: "outcome_phone_busy",
    ResultCode.EXPIRED: "outcome_prompt_expired",
    ResultCode.PROMPT_NOT_SENT: "outcome_not_sent",
    ResultCode.PUSH_REQUEST_ERROR: "outcome_not_sent",
    ResultCode.CANCELLED: "outcome_cancelled",
    ResultCode.UNREACHABLE: "outcome_unreachable",
    ResultCode.NO_ANSWER: "outcome_unreachable",
    ResultCode.WRONG_PIN: "outcome_wrong_pin",
}

OUTCOME_EN: Final[Mapping[str, str]] = {
    "outcome_paid": (
        "Paid: KES {amount} for order {order}. M-Pesa receipt {receipt}. "
        "Balance left: KES {balance}."
    ),
    "outcome_paid_in_full": (
        "Paid: KES {amount} for order {order}. M-Pesa receipt {receipt}. "
        "The order is fully paid. Thank you!"
    ),
    "outcome_mismatched": (
        "We received an M-Pesa payment for order {order}, but not the amount asked. "
        "We are checking it and will contact you."
    ),
    # a payment settled by a status query learns its receipt from the callback after it
    "receipt_to_follow": "to follow",
    "receipt_known": "M-Pesa receipt {receipt} for your payment of KES {amount} for order {order}.",
    "outcome_insufficient_funds": (
        "Not paid: KES {amount} for order {order}. Your M-Pesa balance (with Fuliza) is not "
        "enough. Top up, then try again."
    ),
    "outcome_below_minimum": (
        "Not paid: KES {amount} for order {order}. The amount is below the M-Pesa minimum. "
        "Please pay a larger amount."
    ),
    "outcome_above_maximum": (
        "Not paid: KES {amount} for order {order}. The amount is above your M-Pesa limit. "
        "Please pay a smaller amount."
    ),
    "outcome_daily_limit": (
        "Not paid: KES {amount} for order {order}. You reached your daily M-Pesa limit. "
        "Try again tomorrow or pay from another number."
    ),
    "outcome_duplicate": (
        "Not paid: KES {amount} for order {order}. M-Pesa refuses the same amount twice within "
        "2 minutes. Please wait 2 minutes, then try again."
    ),
    "outcome_phone_busy": (
        "Not paid: KES {amount} for order {order}. Your phone was busy with another M-Pesa or "
        "USSD session. Wait a minute, then try again."
    ),
    "outcome_prompt_expired": (
        "Not paid: KES {amount} for order {order}. The M-Pesa prompt expired before the PIN was "
        "entered. Please try again."
    ),
    "outcome_not_sent": (
        "Not paid: KES {amount} for order {order}. M-Pesa could not send the prompt to your "
        "phone. Please try again in a moment."
    ),
    "outcome_cancelled": (
        "Not paid: KES {amount} for order {order}. You cancelled the M-Pesa prompt. "
        "Try again when you are ready."
    ),
    "outcome_unreachable": (
        "Not paid: KES {amount} for order {order}. We could not reach your phone. Make sure it "
        "is on and has network, then try again."
    ),
    "outcome_wrong_pin": (
        "Not paid: KES {amount} for order {order}. The M-Pesa PIN was wrong. "
        "Please try again with the right PIN."
    ),
    OUTCOME_EXPIRED: (
        "Not confirmed: KES {amount} for order {order}. M-Pesa did not answer in time. If you "
        "got an M-Pesa receipt, contact us; if not, please try again."
    ),
    OUTCOME_FAILED: (
        "Not paid: KES {amount} for order {order}. M-Pesa did not complete the payment. "
        "Please try again."
    ),
}

OUTCOME_SW: Final[Mapping[str, str]] = {
    "outcome_paid": (
        "Imelipwa: KES {amount} kwa oda {order}. Risiti ya M-Pesa {receipt}. "
        "Kiasi kilichobaki: KES {balance}."
    ),
    "outcome_paid_in_full": (
        "Imelipwa: KES {amount} kwa oda {order}. Risiti ya M-Pesa {receipt}. "
        "Oda imelipwa yote. Asante!"
    ),
    "outcome_mismatched": (
        "Tumepokea malipo ya M-Pesa kwa oda {order}, lakini si kiasi kilichoombwa. "
        "Tunayakagua na tutawasiliana nawe."
    ),
    "receipt_to_follow": "itafuata",
    "receipt_known": "Risiti ya M-Pesa {receipt} kwa malipo yako ya KES {amount} kwa oda {order}.",
    "outcome_insufficient_funds": (
        "Haijalipwa: KES {amount} kwa oda {order}. Salio lako la M-Pesa (pamoja na Fuliza) "
        "halitoshi. Ongeza salio, kisha ujaribu tena."
    ),
    "outcome_below_minimum": (
        "Haijalipwa: KES {amount} kwa oda {order}. Kiasi ni chini ya kiwango cha chini cha "
        "M-Pesa. Tafadhali lipa kiasi kikubwa zaidi."
    ),
    "outcome_above_maximum": (
        "Haijalipwa: KES {amount} kwa oda {order}. Kiasi kinazidi kikomo chako cha M-Pesa. "
        "Tafadhali lipa kiasi kidogo zaidi."
    ),
    "outcome_daily_limit": (
        "Haijalipwa: KES {amount} kwa oda {order}. Umefikia kikomo chako cha M-Pesa cha siku. "
        "Jaribu tena kesho au lipa kwa namba nyingine."
    ),
    "outcome_duplicate": (
        "Haijalipwa: KES {amount} kwa oda {order}. M-Pesa haikubali kiasi kilekile mara mbili "
        "ndani ya dakika 2. Subiri dakika 2, kisha ujaribu tena."
    ),
    "outcome_phone_busy": (
        "Haijalipwa: KES {amount} kwa oda {order}. Simu yako ilikuwa na kikao kingine cha "
        "M-Pesa au USSD. Subiri dakika moja, kisha ujaribu tena."
    ),
    "outcome_prompt_expired": (
        "Haijalipwa: KES {amount} kwa oda {order}. Muda wa ombi la M-Pesa uliisha kabla ya "
        "kuweka PIN. Tafadhali jaribu tena."
    ),
    "outcome_not_sent": (
        "Haijalipwa: KES {amount} kwa oda {order}. M-Pesa haikuweza kutuma ombi kwa simu yako. "
        "Tafadhali jaribu tena baada ya muda mfupi."
    ),
    "outcome_cancelled": (
        "Haijalipwa: KES {amount} kwa oda {order}. Ulighairi ombi la M-Pesa. "
        "Jaribu tena ukiwa tayari."
    ),
    "outcome_unreachable": (
        "Haijalipwa: KES {amount} kwa oda {order}. Hatukuweza kufikia simu yako. Hakikisha "
        "imewashwa na ina mtandao, kisha ujaribu tena."
    ),
    "outcome_wrong_pin": (
        "Haijalipwa: KES {amount} kwa oda {order}. PIN ya M-Pesa haikuwa sahihi. "
        "Tafadhali jaribu tena ukitumia PIN sahihi."
    ),
    OUTCOME_EXPIRED: (
        "Haijathibitishwa: KES {amount} kwa oda {order}. M-Pesa haikujibu kwa wakati. Ukipata "
        "risiti ya M-Pesa, wasiliana nasi; la sivyo, jaribu tena."
    ),
    OUTCOME_FAILED: (
        "Haijalipwa: KES {amount} kwa oda {order}. M-Pesa haikukamilisha malipo. "
        "Tafadhali jaribu tena."
    ),
}


def outcome_key(result_code: int) -> str:
    """The failure text key for a Daraja result code; unknown codes get the generic one.

    Raises ValueError for 0, which is success: use ``outcome.paid``/``outcome.paid_full``.
    """
    if result_code == ResultCode.PAID:
        raise ValueError("result code 0 is a success, not a failure")
    return _FAILURE_KEYS.get(result_code, OUTCOME_FAILED)
