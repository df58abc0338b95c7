"""What the staff are told about payments (settled, refused, contradicted), in English and Swahili.

:mod:`checkout.i18n.texts` merges these into its tables, so :func:`checkout.i18n.texts.t` finds
them and the same checks apply. Keys start with ``staff_``; they go to the staff's Telegram
chat only, so they may be longer than a customer's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

NOTICE_EN: Final[Mapping[str, str]] = {
    # staff notifications (Telegram only, so they may be longer)
    "staff_settled": (
        "{outcome}: KES {amount} for order {order} from {phone} via {channel}. "
        "Receipt {receipt}. Result code {code}. M-Pesa reported KES {reported}."
    ),
    "staff_misconfigured": (
        "M-Pesa payments are not working: Daraja refuses the shortcode and passkey "
        '(error {code}, "Wrong credentials"). Customers cannot pay until '
        "MPESA_BUSINESS_SHORTCODE and MPESA_PASSKEY are fixed; run 'lipa doctor' to check."
    ),
    "staff_conflict": (
        "Check order {order}: the payment of KES {amount} from {phone} was settled as "
        "{settled}, but M-Pesa now reports {reported} (receipt {receipt})."
    ),
    "staff_forged": (
        "Warning: a success callback for order {order} (KES {amount}, {phone}) was not "
        "confirmed by M-Pesa, which reports result code {code}. It was not counted as paid."
    ),
    "staff_unmatched": (
        "Check: M-Pesa reported a payment Lipa cannot match (request {request}, "
        "KES {amount}, receipt {receipt}, result code {code})."
    ),
    "staff_setup_refused": (
        "M-Pesa refused the push for order {order} with {code} ({description}). This is "
        "the shop's M-Pesa setup, not the customer: check MPESA_TRANSACTION_TYPE "
        "(CustomerPayBillOnline for a paybill, CustomerBuyGoodsOnline for a till) and "
        "MPESA_PARTY_B (the till or paybill that receives the money), then ask the customer "
        "to try again."
    ),
    "staff_callback_kept": (
        "Check: an M-Pesa callback was {status} and kept as callback {id} ({reason}). "
        "After fixing the cause, run: lipa callbacks replay {id}"
    ),
}

NOTICE_SW: Final[Mapping[str, str]] = {
    # staff notifications (Telegram only, so they may be longer)
    "staff_settled": (
        "{outcome}: KES {amount} kwa oda {order} kutoka {phone} kupitia {channel}. "
        "Risiti {receipt}. Msimbo wa matokeo {code}. M-Pesa iliripoti KES {reported}."
    ),
    "staff_misconfigured": (
        "Malipo ya M-Pesa hayafanyi kazi: Daraja inakataa shortcode na passkey "
        '(hitilafu {code}, "Wrong credentials"). Wateja hawawezi kulipa hadi '
        "MPESA_BUSINESS_SHORTCODE na MPESA_PASSKEY zirekebishwe; endesha 'lipa doctor' kukagua."
    ),
    "staff_conflict": (
        "Kagua oda {order}: malipo ya KES {amount} kutoka {phone} yalirekodiwa kama "
        "{settled}, lakini sasa M-Pesa inaripoti {reported} (risiti {receipt})."
    ),
    "staff_forged": (
        "Tahadhari: taarifa ya malipo ya oda {order} (KES {amount}, {phone}) haikuthibitishwa "
        "na M-Pesa, inayoripoti msimbo {code}. Haikuhesabiwa kama malipo."
    ),
    "staff_unmatched": (
        "Kagua: M-Pesa iliripoti malipo ambayo Lipa haiwezi kuyalinganisha (ombi {request}, "
        "KES {amount}, risiti {receipt}, msimbo {code})."
    ),
    "staff_setup_refused": (
        "M-Pesa ilikataa ombi la malipo la agizo {order} kwa {code} ({description}). Hili "
        "ni tatizo la mipangilio ya M-Pesa ya duka, si la mteja: kagua MPESA_TRANSACTION_TYPE "
        "(CustomerPayBillOnline kwa paybill, CustomerBuyGoodsOnline kwa till) na "
        "MPESA_PARTY_B (till au paybill inayopokea pesa), kisha mwombe mteja ajaribu tena."
    ),
    "staff_callback_kept": (
        "Kagua: ujumbe wa M-Pesa (callback) ulikuwa {status} na umehifadhiwa kama callback "
        "{id} ({reason}). Baada ya kurekebisha chanzo, endesha: lipa callbacks replay {id}"
    ),
}
