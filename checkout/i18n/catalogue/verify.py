"""The words of "I already paid" and of the staff's /verify, in English and Swahili.

:mod:`checkout.i18n.texts` merges these into its tables, so :func:`checkout.i18n.texts.t`
finds them and the same checks apply: customers' texts (``verify_``) fit one SMS in the GSM
alphabet; the staff's (``staff_verify_``) go to Telegram only. Each ``verify_<outcome>`` text
says why a code was or was not counted (:class:`checkout.till.verify.status.VerifyOutcome`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

VERIFY_EN: Final[Mapping[str, str]] = {
    "button_already_paid": "I already paid",
    "verify_code_ask": (
        "Type the M-Pesa code from your SMS for order {order}: 10 letters and digits, "
        "like QK12ABC3DE."
    ),
    "verify_code_invalid": (
        "That is not an M-Pesa code. It has 10 letters and digits, like QK12ABC3DE, and "
        "starts your M-Pesa SMS. Please type it again."
    ),
    "verify_checking": (
        "Thank you. We are asking M-Pesa about {code} and will tell you here in a minute."
    ),
    "verify_already_checking": (
        "We are already asking M-Pesa about {code} and will tell you here once it answers."
    ),
    "verify_already_used": (
        "The M-Pesa code {code} was counted before, so it cannot pay order {order} again. "
        "If this is wrong, contact us."
    ),
    "verify_counted": (
        "The M-Pesa payment {code} is the one you made from the prompt on your phone: it is "
        "counted as that payment."
    ),
    "verify_other_shortcode": (
        "The M-Pesa payment {code} did not come to us, so it cannot pay order {order}. "
        "Check the number you paid to."
    ),
    "verify_too_small": (
        "The M-Pesa payment {code} was KES {amount}, less than the KES {balance} left on "
        "order {order}, so it was not counted: please contact us."
    ),
    "verify_not_found": (
        "M-Pesa does not know the code {code} for our business. Check it in your M-Pesa SMS "
        "and try again."
    ),
    "verify_not_completed": (
        "M-Pesa says the payment {code} did not go through, so nothing was counted for "
        "order {order}."
    ),
    "verify_order_paid": (
        "Order {order} is already paid in full, so {code} was not counted. If you paid "
        "twice, contact us."
    ),
    "verify_no_such_order": "We cannot find order {order}, so {code} was not counted.",
    "verify_too_many": (
        "You have had several codes checked in the last hour. Please wait an hour, or contact "
        "us with the code {code}."
    ),
    "verify_off": "We cannot check M-Pesa codes here yet. Please contact us with the code {code}.",
    "verify_unavailable": (
        "We could not get an answer from M-Pesa about {code}. Our staff will check it: "
        "please do not pay again."
    ),
    # the staff (Telegram only)
    "button_credit_to_order": "Credit to order {order}",
    "staff_verify_usage": (
        "Usage: /verify <M-Pesa code>, or /verify <M-Pesa code> <order>. Shows what M-Pesa "
        "says of the code, with a button to credit it to an order."
    ),
    "staff_verify_invalid": "{text} is not an M-Pesa code (10 letters and digits).",
    "staff_verify_checking": "Asking M-Pesa about {code}; the answer follows here.",
    "staff_verify_unavailable": "M-Pesa could not be asked about {code}: {reason}.",
    "staff_verify_report": (
        "M-Pesa on {code}: {status}. KES {amount} from {payer} on {time}, paid to {shortcode}."
    ),
    "staff_verify_not_found": "M-Pesa does not know {code} (result {result}: {description}).",
    "staff_verify_elsewhere": "It was paid to another business: it cannot be credited here.",
    "staff_verify_known": "Already in Lipa: {where}.",
    "staff_verify_pick": (
        "Credit it to an order with a button, or type /verify {code} <order> for another."
    ),
    "staff_verify_customer_refused": (
        "A customer says they paid order {order} with {code}; it was not credited: {reason}. "
        "Check it with /verify {code} {order}."
    ),
    "staff_verify_customer_unanswered": (
        "A customer says they paid order {order} with {code}, but M-Pesa did not answer "
        "({reason}). Check it with /verify {code} {order}."
    ),
    "staff_verify_credited": "Done: {code} (KES {amount}) credited to order {order}.",
    "staff_verify_not_credited": "{code} was not credited to order {order}: {reason}.",
    "staff_verify_expired": "That answer is no longer available: run /verify {code} again.",
}

VERIFY_SW: Final[Mapping[str, str]] = {
    "button_already_paid": "Nimeshalipa",
    "verify_code_ask": (
        "Andika msimbo wa M-Pesa kutoka SMS yako kwa oda {order}: herufi na tarakimu 10, "
        "kama QK12ABC3DE."
    ),
    "verify_code_invalid": (
        "Huo si msimbo wa M-Pesa. Una herufi na tarakimu 10, kama QK12ABC3DE, na huanza SMS "
        "yako ya M-Pesa. Tafadhali uandike tena."
    ),
    "verify_checking": (
        "Asante. Tunauliza M-Pesa kuhusu {code} na tutakujulisha hapa baada ya dakika moja."
    ),
    "verify_already_checking": (
        "Tayari tunauliza M-Pesa kuhusu {code}; tutakujulisha hapa itakapojibu."
    ),
    "verify_already_used": (
        "Msimbo wa M-Pesa {code} ulishahesabiwa, hivyo hauwezi kulipia oda {order} tena. "
        "Kama si sahihi, wasiliana nasi."
    ),
    "verify_counted": (
        "Malipo ya M-Pesa {code} ndiyo uliyofanya kupitia ombi kwenye simu yako: "
        "yamehesabiwa kama malipo hayo."
    ),
    "verify_other_shortcode": (
        "Malipo ya M-Pesa {code} hayakuja kwetu, hivyo hayawezi kulipia oda {order}. "
        "Angalia namba uliyolipa."
    ),
    "verify_too_small": (
        "Malipo ya M-Pesa {code} yalikuwa KES {amount}, chini ya KES {balance} iliyobaki "
        "kwa oda {order}, hivyo hayakuhesabiwa: tafadhali wasiliana nasi."
    ),
    "verify_not_found": (
        "M-Pesa haitambui msimbo {code} kwa biashara yetu. Uangalie kwenye SMS yako ya "
        "M-Pesa kisha ujaribu tena."
    ),
    "verify_not_completed": (
        "M-Pesa inasema malipo {code} hayakukamilika, hivyo hakuna kilichohesabiwa kwa oda {order}."
    ),
    "verify_order_paid": (
        "Oda {order} imeshalipwa yote, hivyo {code} haukuhesabiwa. Kama ulilipa mara mbili, "
        "wasiliana nasi."
    ),
    "verify_no_such_order": "Hatuipati oda {order}, hivyo {code} haukuhesabiwa.",
    "verify_too_many": (
        "Umeangaliwa misimbo kadhaa katika saa moja iliyopita. Tafadhali subiri saa moja, au "
        "wasiliana nasi na msimbo {code}."
    ),
    "verify_off": (
        "Hatuwezi kuangalia misimbo ya M-Pesa hapa bado. Tafadhali wasiliana nasi na msimbo {code}."
    ),
    "verify_unavailable": (
        "Hatukupata jibu la M-Pesa kuhusu {code}. Wafanyakazi wetu wataliangalia: "
        "tafadhali usilipe tena."
    ),
    # the staff (Telegram only)
    "button_credit_to_order": "Weka kwenye oda {order}",
    "staff_verify_usage": (
        "Matumizi: /verify <msimbo wa M-Pesa>, au /verify <msimbo wa M-Pesa> <oda>. Inaonyesha "
        "M-Pesa inachosema kuhusu msimbo, na kitufe cha kuuweka kwenye oda."
    ),
    "staff_verify_invalid": "{text} si msimbo wa M-Pesa (herufi na tarakimu 10).",
    "staff_verify_checking": "Tunauliza M-Pesa kuhusu {code}; jibu litakuja hapa.",
    "staff_verify_unavailable": "M-Pesa haikuweza kuulizwa kuhusu {code}: {reason}.",
    "staff_verify_report": (
        "M-Pesa kuhusu {code}: {status}. KES {amount} kutoka {payer} tarehe {time}, "
        "yamelipwa kwa {shortcode}."
    ),
    "staff_verify_not_found": "M-Pesa haitambui {code} (jibu {result}: {description}).",
    "staff_verify_elsewhere": "Yalilipwa kwa biashara nyingine: hayawezi kuwekwa hapa.",
    "staff_verify_known": "Tayari yamo Lipa: {where}.",
    "staff_verify_pick": (
        "Yaweke kwenye oda kwa kitufe, au andika /verify {code} <oda> kwa oda nyingine."
    ),
    "staff_verify_customer_refused": (
        "Mteja anasema alilipa oda {order} kwa {code}; hayakuwekwa: {reason}. "
        "Angalia kwa /verify {code} {order}."
    ),
    "staff_verify_customer_unanswered": (
        "Mteja anasema alilipa oda {order} kwa {code}, lakini M-Pesa haikujibu ({reason}). "
        "Angalia kwa /verify {code} {order}."
    ),
    "staff_verify_credited": "Imefanyika: {code} (KES {amount}) imewekwa kwenye oda {order}.",
    "staff_verify_not_credited": "{code} haukuwekwa kwenye oda {order}: {reason}.",
    "staff_verify_expired": "Jibu hilo halipo tena: endesha /verify {code} tena.",
}
