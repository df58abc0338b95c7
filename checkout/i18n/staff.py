"""What staff commands answer, in English and Swahili, looked up with :func:`st`.

Staff read these in Telegram only, so unlike the customers' texts they may be long and use
line breaks. Keys are grouped by command: ``neworder_``, ``today_``, ``pending_``, ``find_``,
``report_``, ``export_``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.money import format_numbers
from checkout.domain.records import Language

_EN: Final[Mapping[str, str]] = {
    "failed": "Sorry, that failed on our side. Please try again.",
    "document_too_large": (
        "That file is too large for Telegram even zipped ({size} MB; Telegram takes at most"
        " {limit} MB). Export fewer days at a time, e.g. one month: /export 2026-01-01 2026-01-31"
    ),
    "more": "... and {count} more.",
    # /help
    "help_header": "Staff commands:",
    "help_customers": "Customer commands (/pay, /history, ...) work for you too in a private chat.",
    # /language
    "language_current": (
        "Staff answers to you are in English. For Swahili: /lugha sw (back: /language en)."
    ),
    "language_usage": "Usage: /language en or /language sw (also /lugha sw).",
    "language_fixed": "Staff answers here are in the business's default language.",
    "language_set": "Done: staff answers and notices to you are now in English.",
    # /neworder
    "neworder_usage": (
        "Usage: /neworder <amount> [customer phone] [description]\n"
        "For example: /neworder 1500 0712345678 Duvet wash"
    ),
    "neworder_amount": "The amount must be whole shillings from 1 to 250,000, e.g. 1500.",
    "neworder_customer_phone": "That is not a Kenyan mobile number. Type it like 0712345678.",
    "neworder_description": "The description must be at most 200 characters.",
    "neworder_phone_invalid": (
        "{phone} is not a Kenyan mobile number: check the digits (10, like 0712345678). "
        "Nothing was saved."
    ),
    "neworder_phone_not_mobile": (
        "{phone} is not a Kenyan mobile number: it is a landline, and M-Pesa needs a mobile. "
        "Nothing was saved."
    ),
    "neworder_phone_not_kenyan": (
        "{phone} is not a Kenyan mobile number: M-Pesa pays from Kenyan numbers only. "
        "Nothing was saved."
    ),
    "neworder_created": "New order {order}: KES {amount}.\nThe customer pays here: {link}",
    "neworder_web": "Or in any browser: {link}",
    "sendlink_usage": "Usage: /sendlink <order> <phone>, e.g. /sendlink WW-1042 0712345678",
    "sendlink_off": "Sending links needs the web checkout and SMS (AT_API_KEY) to be on.",
    "sendlink_phone": "That is not a Kenyan mobile number, e.g. 0712345678.",
    "sendlink_unknown": "There is no order {order}.",
    "sendlink_paid": "Order {order} is already fully paid; no link sent.",
    "sendlink_sent": "The link to pay order {order} is on its way to {phone} by SMS.",
    "neworder_whatsapp": "Or on WhatsApp: {link}",
    "neworder_customer": "Customer: {phone}",
    "neworder_about": "For: {description}",
    # the printable QR card of /neworder
    "qr_title": "Pay with M-Pesa",
    "qr_order": "Order {order} - KES {amount}",
    "qr_scan": "Scan with your phone's camera, or open:",
    # /today
    "today_header": "Today, {date} (Nairobi time)",
    "today_none": "No payments yet today.",
    "today_line": "{status}: {count}, KES {amount}",
    "today_total": "All: {count} payments. Paid: KES {paid}.",
    "today_plans_none": "BNPL: no open plans.",
    "today_plans": "BNPL: {count} open plans, KES {balance} still owed.",
    # /pending
    "pending_header": "Payments waiting for M-Pesa: {count}",
    "pending_none": "No payments are waiting for M-Pesa.",
    "pending_line": "#{id} {time}: KES {amount}, order {order}, {phone}",
    "partly_header": "Orders paid in part: {count}",
    "partly_none": "No orders are paid in part.",
    "partly_line": "{order}: KES {paid} of {due} paid, KES {balance} left",
    # /find
    "find_usage": "Usage: /find <receipt | order | phone>, e.g. /find NLJ7RT61SV",
    "find_none": "No payment matches {query}.",
    "find_payment": (
        "#{id} {status}: KES {amount}, order {order}, {phone}, receipt {receipt}, "
        "{time} ({channel})"
    ),
    "find_payment_no_receipt": (
        "#{id} {status}: KES {amount}, order {order}, {phone}, {time} ({channel})"
    ),
    "find_receipt_link": "  Receipt: {link}",
    "find_event": "  {time} {kind}",
    "find_event_note": "  {time} {kind}: {note}",
    # /report
    "report_usage": "Usage: /report [week|month]",
    "report_title": "Takings per day (KES), {first} to {last}",
    "report_caption": (
        "Takings {first} to {last}: KES {amount} from {count} payments.\n"
        "Best day: {best_day}, KES {best}."
    ),
    "report_caption_empty": "No takings from {first} to {last}.",
    # /export
    "export_usage": (
        "Usage: /export [from] [to], dates like 2026-11-01 or 01/11/2026 "
        "(default: this month until today)"
    ),
    "export_reversed": "The end date is before the start date.",
    "export_too_long": "At most 366 days can be exported at a time.",
    "export_caption": (
        "Payments {first} to {last}: {count} rows. Paid: {paid_count} payments, KES {paid}."
    ),
}

_SW: Final[Mapping[str, str]] = {
    "failed": "Samahani, hilo limeshindikana upande wetu. Tafadhali jaribu tena.",
    "document_too_large": (
        "Faili hili ni kubwa mno kwa Telegram hata likibanwa (MB {size}; Telegram hupokea hadi"
        " MB {limit}). Toa siku chache kwa wakati mmoja, k.m. mwezi mmoja:"
        " /export 2026-01-01 2026-01-31"
    ),
    "more": "... na mengine {count}.",
    # /help
    "help_header": "Amri za wafanyakazi:",
    "help_customers": (
        "Amri za wateja (/pay, /history, ...) zinakufanyia kazi pia kwenye gumzo binafsi."
    ),
    # /language
    "language_current": (
        "Majibu ya wafanyakazi kwako ni kwa Kiswahili. Kwa Kiingereza: /lugha en "
        "(kurudi: /lugha sw)."
    ),
    "language_usage": "Matumizi: /lugha sw au /lugha en (pia /language en).",
    "language_fixed": "Majibu ya wafanyakazi hapa ni kwa lugha ya kawaida ya biashara.",
    "language_set": "Tayari: majibu na taarifa za wafanyakazi kwako sasa ni kwa Kiswahili.",
    # /neworder
    "neworder_usage": (
        "Matumizi: /neworder <kiasi> [simu ya mteja] [maelezo]\n"
        "Kwa mfano: /neworder 1500 0712345678 Kufua duvet"
    ),
    "neworder_amount": "Kiasi lazima kiwe shilingi kamili kuanzia 1 hadi 250,000, mfano 1500.",
    "neworder_customer_phone": (
        "Hiyo si namba ya simu ya mkononi ya Kenya. Iandike hivi: 0712345678."
    ),
    "neworder_description": "Maelezo yasizidi herufi 200.",
    "neworder_phone_invalid": (
        "{phone} si namba ya simu ya mkononi ya Kenya: kagua tarakimu (10, kama 0712345678). "
        "Hakuna kilichohifadhiwa."
    ),
    "neworder_phone_not_mobile": (
        "{phone} si namba ya simu ya mkononi ya Kenya: ni ya mezani, na M-Pesa inahitaji ya "
        "mkononi. Hakuna kilichohifadhiwa."
    ),
    "neworder_phone_not_kenyan": (
        "{phone} si namba ya simu ya Kenya: M-Pesa inalipa kutoka namba za Kenya tu. "
        "Hakuna kilichohifadhiwa."
    ),
    "neworder_created": "Oda mpya {order}: KES {amount}.\nMteja analipa hapa: {link}",
    "neworder_web": "Au kwenye kivinjari chochote: {link}",
    "sendlink_usage": "Tumia: /sendlink <oda> <simu>, kwa mfano /sendlink WW-1042 0712345678",
    "sendlink_off": "Kutuma viungo kunahitaji malipo ya mtandaoni na SMS (AT_API_KEY) viwe wazi.",
    "sendlink_phone": "Hiyo si namba ya simu ya mkononi ya Kenya, kwa mfano 0712345678.",
    "sendlink_unknown": "Hakuna oda {order}.",
    "sendlink_paid": "Oda {order} imeshalipwa yote; kiungo hakijatumwa.",
    "sendlink_sent": "Kiungo cha kulipa oda {order} kinatumwa kwa {phone} kwa SMS.",
    "neworder_whatsapp": "Au kwa WhatsApp: {link}",
    "neworder_customer": "Mteja: {phone}",
    "neworder_about": "Kwa: {description}",
    # the printable QR card of /neworder
    "qr_title": "Lipa kwa M-Pesa",
    "qr_order": "Oda {order} - KES {amount}",
    "qr_scan": "Piga picha kwa kamera ya simu yako, au fungua:",
    # /today
    "today_header": "Leo, {date} (saa za Nairobi)",
    "today_none": "Bado hakuna malipo leo.",
    "today_line": "{status}: {count}, KES {amount}",
    "today_total": "Yote: malipo {count}. Yaliyolipwa: KES {paid}.",
    "today_plans_none": "BNPL: hakuna mipango iliyo wazi.",
    "today_plans": "BNPL: mipango {count} iliyo wazi, KES {balance} bado zinadaiwa.",
    # /pending
    "pending_header": "Malipo yanayosubiri M-Pesa: {count}",
    "pending_none": "Hakuna malipo yanayosubiri M-Pesa.",
    "pending_line": "#{id} {time}: KES {amount}, oda {order}, {phone}",
    "partly_header": "Oda zilizolipwa kiasi: {count}",
    "partly_none": "Hakuna oda iliyolipwa kiasi.",
    "partly_line": "{order}: KES {paid} kati ya {due} zimelipwa, KES {balance} zimebaki",
    # /find
    "find_usage": "Matumizi: /find <risiti | oda | simu>, mfano /find NLJ7RT61SV",
    "find_none": "Hakuna malipo yanayolingana na {query}.",
    "find_payment": (
        "#{id} {status}: KES {amount}, oda {order}, {phone}, risiti {receipt}, {time} ({channel})"
    ),
    "find_payment_no_receipt": (
        "#{id} {status}: KES {amount}, oda {order}, {phone}, {time} ({channel})"
    ),
    "find_receipt_link": "  Risiti: {link}",
    "find_event": "  {time} {kind}",
    "find_event_note": "  {time} {kind}: {note}",
    # /report
    "report_usage": "Matumizi: /report [week|month]",
    "report_title": "Mapato kwa siku (KES), {first} hadi {last}",
    "report_caption": (
        "Mapato {first} hadi {last}: KES {amount} kutoka malipo {count}.\n"
        "Siku bora: {best_day}, KES {best}."
    ),
    "report_caption_empty": "Hakuna mapato kuanzia {first} hadi {last}.",
    # /export
    "export_usage": (
        "Matumizi: /export [kuanzia] [hadi], tarehe kama 2026-11-01 au 01/11/2026 "
        "(kawaida: mwezi huu hadi leo)"
    ),
    "export_reversed": "Tarehe ya mwisho iko kabla ya tarehe ya kuanza.",
    "export_too_long": "Siku 366 tu zinaweza kutolewa kwa wakati mmoja.",
    "export_caption": (
        "Malipo {first} hadi {last}: safu {count}. Yaliyolipwa: malipo {paid_count}, KES {paid}."
    ),
}

STAFF_TEXTS: Final[Mapping[Language, Mapping[str, str]]] = {"en": _EN, "sw": _SW}


def st(language: Language, key: str, **params: object) -> str:
    """The staff text ``key`` in ``language``; integers get thousands separators."""
    return STAFF_TEXTS[language][key].format(**format_numbers(params))
