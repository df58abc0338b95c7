"""What USSD screens and the SMS after a USSD session say, in English and Swahili.

:mod:`checkout.i18n.texts` merges these into its tables, so :func:`checkout.i18n.texts.t` finds
them and the same checks (both languages, same placeholders, GSM alphabet, one SMS) apply.
Keys start with ``ussd_`` (the flow prefers ``ussd_<key>`` to ``<key>`` on USSD) or ``sms_``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

USSD_EN: Final[Mapping[str, str]] = {
    # USSD: the wording of a text on a USSD screen (the flow prefers "ussd_<key>" to "<key>"
    # there), and texts only USSD shows. A screen holds 160 characters with its choices.
    "ussd_menu_greeting": "{business} - pay with M-Pesa",
    "ussd_button_my_last_payment": "My last payment",
    "ussd_button_language": "Language / Lugha",
    "ussd_language_choose": "Choose your language / Chagua lugha:",
    "ussd_order_ask": "Enter the order number:",
    "ussd_order_invalid": "Invalid order number. Enter it again, e.g. AB-1042:",
    "ussd_order_unknown": "Order {order} not found. Check the number and enter it again:",
    "ussd_amount_ask_known": "Order {order}: KES {balance} to pay.",
    "ussd_button_another_amount": "Another amount",
    "ussd_amount_enter_known": "Enter the amount in KES (up to {balance}):",
    "ussd_amount_ask_unknown": "Order {order}: enter the amount in KES:",
    "ussd_amount_not_a_number": "Use digits only, e.g. 1500.",
    "ussd_amount_not_whole": "Whole shillings only, e.g. 1500.",
    "ussd_amount_too_small": "The minimum is KES {minimum}.",
    "ussd_amount_too_large": "The maximum is KES {maximum}.",
    "ussd_amount_above_balance": "Only KES {balance} is left to pay.",
    "ussd_phone_ask": "Enter the M-Pesa number to pay from, e.g. 0712345678:",
    "ussd_phone_invalid": "Not a valid Kenyan mobile number.",
    "ussd_phone_not_mobile": "That is a landline; M-Pesa needs a mobile number.",
    "ussd_phone_not_kenyan": "Only Kenyan M-Pesa numbers can pay.",
    "ussd_confirm_ask": "Pay KES {amount} for {order} from {phone}?",
    "ussd_button_change_phone": "Pay from another number",
    "ussd_push_queued": "You will get an M-Pesa prompt. Enter your PIN to pay.",
    "ussd_invalid_choice": "Invalid choice.",
    "ussd_more": "More",
    "ussd_navigation": "0. Back 00. Home",
    "ussd_phone_unsupported": "Sorry, this service is for Kenyan M-Pesa numbers only.",
    "ussd_too_many_inputs": "This session has too many steps. Please dial again.",
    # the first screen after a session dropped mid-payment (USSD_RESUME_MINUTES)
    "ussd_resume_ask": "Welcome back. Your payment is not finished.",
    "ussd_resume_continue": "Continue paying {order} (KES {amount})",
    "ussd_resume_continue_order": "Continue paying {order}",
    "ussd_resume_start_over": "Start over",
    # SMS to USSD customers whose push could not be sent (one SMS each)
    "sms_push_refused": (
        "Not paid: KES {amount} for order {order}. M-Pesa could not start the payment. "
        "Please try again."
    ),
    "sms_push_subscriber_locked": (
        "Not paid: KES {amount} for order {order}. Another M-Pesa request was in progress on "
        "your phone. Wait a minute, then try again."
    ),
    "sms_push_unavailable": (
        "Not paid: KES {amount} for order {order}. M-Pesa is not answering right now. "
        "Please try again in a few minutes."
    ),
    "sms_push_late": (
        "Not paid: KES {amount} for order {order}. We could not send the M-Pesa prompt in "
        "time. Please try again."
    ),
}

USSD_SW: Final[Mapping[str, str]] = {
    # USSD (see the English texts)
    "ussd_menu_greeting": "{business} - lipa kwa M-Pesa",
    "ussd_button_my_last_payment": "Malipo yangu ya mwisho",
    "ussd_button_language": "Lugha / Language",
    "ussd_language_choose": "Chagua lugha / Choose your language:",
    "ussd_order_ask": "Weka namba ya oda:",
    "ussd_order_invalid": "Namba ya oda si sahihi. Iweke tena, mfano AB-1042:",
    "ussd_order_unknown": "Oda {order} haikupatikana. Hakikisha namba na uiweke tena:",
    "ussd_amount_ask_known": "Oda {order}: KES {balance} ya kulipa.",
    "ussd_button_another_amount": "Kiasi kingine",
    "ussd_amount_enter_known": "Weka kiasi kwa KES (hadi {balance}):",
    "ussd_amount_ask_unknown": "Oda {order}: weka kiasi kwa KES:",
    "ussd_amount_not_a_number": "Tumia tarakimu tu, mfano 1500.",
    "ussd_amount_not_whole": "Shilingi kamili tu, mfano 1500.",
    "ussd_amount_too_small": "Kiwango cha chini ni KES {minimum}.",
    "ussd_amount_too_large": "Kiwango cha juu ni KES {maximum}.",
    "ussd_amount_above_balance": "Kilichobaki ni KES {balance} tu.",
    "ussd_phone_ask": "Weka namba ya M-Pesa utakayolipa nayo, mfano 0712345678:",
    "ussd_phone_invalid": "Si namba sahihi ya simu ya Kenya.",
    "ussd_phone_not_mobile": "Hiyo ni namba ya mezani; M-Pesa inahitaji simu ya mkononi.",
    "ussd_phone_not_kenyan": "Ni namba za M-Pesa za Kenya tu zinazoweza kulipa.",
    "ussd_confirm_ask": "Lipa KES {amount} kwa {order} kutoka {phone}?",
    "ussd_button_change_phone": "Lipa kwa namba nyingine",
    "ussd_push_queued": "Utapokea ombi la M-Pesa. Weka PIN yako ili kulipa.",
    "ussd_invalid_choice": "Chaguo si sahihi.",
    "ussd_more": "Zaidi",
    "ussd_navigation": "0. Rudi 00. Mwanzo",
    "ussd_phone_unsupported": "Samahani, huduma hii ni kwa namba za M-Pesa za Kenya tu.",
    "ussd_too_many_inputs": "Kipindi hiki kina hatua nyingi mno. Tafadhali piga tena.",
    "ussd_resume_ask": "Karibu tena. Malipo yako hayajakamilika.",
    "ussd_resume_continue": "Endelea kulipa {order} (KES {amount})",
    "ussd_resume_continue_order": "Endelea kulipa {order}",
    "ussd_resume_start_over": "Anza upya",
    # SMS to USSD customers whose push could not be sent
    "sms_push_refused": (
        "Haijalipwa: KES {amount} kwa oda {order}. M-Pesa haikuweza kuanzisha malipo. "
        "Tafadhali jaribu tena."
    ),
    "sms_push_subscriber_locked": (
        "Haijalipwa: KES {amount} kwa oda {order}. Kulikuwa na ombi lingine la M-Pesa kwenye "
        "simu yako. Subiri dakika moja, kisha ujaribu tena."
    ),
    "sms_push_unavailable": (
        "Haijalipwa: KES {amount} kwa oda {order}. M-Pesa haijibu kwa sasa. Tafadhali jaribu "
        "tena baada ya dakika chache."
    ),
    "sms_push_late": (
        "Haijalipwa: KES {amount} kwa oda {order}. Hatukuweza kutuma ombi la M-Pesa kwa "
        "wakati. Tafadhali jaribu tena."
    ),
}
