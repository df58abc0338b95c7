"""What staff and customers read about refunds, in English and Swahili.

The refunds service returns what happened (:class:`checkout.domain.refunds.RefundOutcome`, a
:class:`checkout.domain.refunds.RefundView`); these presenters put it into words. Staff texts
go to Telegram only, so they may be long; the customer's text is one short message on the
channel they paid from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from checkout.domain.money import format_number, format_numbers
from checkout.domain.phones import PhoneError, display_phone, mask_phone
from checkout.domain.records import Language
from checkout.domain.refunds import RefundFailure, RefundOutcome, RefundView

_EN: Final[Mapping[str, str]] = {
    "usage": (
        "Usage: /refund <receipt> [amount] [reason]\n"
        "For example: /refund NLJ7RT61SV 500 paid twice\n"
        "Without an amount the whole payment (or what is left of it) goes back."
    ),
    "button_approve": "Approve",
    "button_reject": "Reject",
    "request": (
        "Refund #{id} asked by {requester}: KES {amount} of the payment {receipt} "
        "(KES {paid}, order {order}, {phone}).\n"
        "Reason: {reason}\n"
        "The order's balance becomes KES {balance}.\n"
        "Another staff user must approve it within 24 hours."
    ),
    "no_reason": "none given",
    "requester_api": "the platform (API)",
    "requester_staff": "staff user {id}",
    # answers to /refund and to the buttons
    "requested": "Refund #{id} of KES {amount} is waiting for another staff user's approval.",
    "same": "Refund #{id} was asked for already ({state}).",
    "approved": "Refund #{id} of KES {amount} approved by {approver}: it is being sent.",
    "approved_over_limit": (
        "Refund #{id} of KES {amount} approved by {approver} past today's refund limit "
        "(owner's approval): it is being sent."
    ),
    "rejected": "Refund #{id} of KES {amount} rejected by {approver}: nothing was sent.",
    "expired": "Refund #{id} expired: nobody approved it within 24 hours. Ask again if needed.",
    "no_payment": "No payment has the receipt {receipt}.",
    "not_paid": "The payment {receipt} is not a paid payment: there is nothing to refund.",
    "too_old": (
        "The payment {receipt} is older than {days} days: refunds are allowed only "
        "within {days} days."
    ),
    "bad_amount": "The amount must be whole shillings from 1 up to the payment's KES {left}.",
    "too_much": (
        "That is more than can go back: of the payment's KES {paid}, only KES {left} is "
        "not refunded (or being refunded) yet."
    ),
    "no_refund": "There is no refund #{id}.",
    "own_request": (
        "You asked for refund #{id} yourself: another staff user must approve it, so that "
        "no money leaves on one person's word."
    ),
    "not_approver": "Only the staff named in REFUND_APPROVERS may approve refunds.",
    "over_limit": (
        "Refund #{id} would pass today's refund limit of KES {limit} (KES {left} left today). "
        "It waits: approve it tomorrow, or an owner can approve it now."
    ),
    "decided": "Refund #{id} is already {state}: nothing changed.",
    "reference_taken": "The reference is used by another refund.",
    # after sending
    "completed_staff": (
        "Refund #{id} completed: KES {amount} for {order} went back to {phone}{transaction}. "
        "{order}'s balance is now KES {balance}."
    ),
    "completed_reference": " (M-Pesa reference {transaction})",
    "failed_staff": (
        "Refund #{id} of KES {amount} for {order} (asked by {requester}{approver}) failed: {why}"
    ),
    "failed_approver": ", approved by {approver}",
    "unknown_staff": (
        "Refund #{id} of KES {amount}: M-Pesa has not said what became of it. It will not be "
        "sent again; check the M-Pesa org portal for the payment {receipt}."
    ),
    "customer_completed": (
        "KES {amount} for order {order} is on its way back to {phone}, "
        "M-Pesa reference {transaction}."
    ),
    "why_insufficient_float": (
        "the B2C account has too little money. Top it up, then ask for the refund again."
    ),
    "why_already_reversed": (
        "M-Pesa says this payment was reversed already (perhaps in the org portal)."
    ),
    "why_initiator": (
        "M-Pesa refuses the initiator or its security credential (check "
        "MPESA_INITIATOR_NAME and MPESA_SECURITY_CREDENTIAL)."
    ),
    "why_no_b2c": (
        "a part refund (or a refused reversal) needs a B2C shortcode, and "
        "MPESA_B2C_SHORTCODE is not set."
    ),
    "why_no_phone": "M-Pesa gave only a masked number for this payment, so B2C cannot reach it.",
    "why_not_set_up": "no M-Pesa initiator is configured (MPESA_INITIATOR_NAME).",
    "why_refused": "M-Pesa refused it (code {code}: {description}).",
    "why_refused_bare": "M-Pesa refused it.",
    "why_refused_code": "M-Pesa refused it (code {code}).",
    "why_unanswered": "M-Pesa never answered; check the org portal before asking again.",
    "why_timed_out": (
        "M-Pesa dropped the request from its queue without running it, so nothing was sent. "
        "Ask for the refund again."
    ),
    "state_requested": "waiting for approval",
    "state_approved": "approved",
    "state_rejected": "rejected",
    "state_expired": "expired",
    "state_sending": "being sent",
    "state_sent": "sent, waiting for M-Pesa",
    "state_completed": "completed",
    "state_failed": "failed",
    "today_line": "Refunded: {count} refunds, KES {amount}",
    "report_line": "Refunded in the period: KES {amount} ({count} refunds).",
}

_SW: Final[Mapping[str, str]] = {
    "usage": (
        "Matumizi: /refund <risiti> [kiasi] [sababu]\n"
        "Kwa mfano: /refund NLJ7RT61SV 500 alilipa mara mbili\n"
        "Bila kiasi, malipo yote (au kilichobaki) kinarudishwa."
    ),
    "button_approve": "Idhinisha",
    "button_reject": "Kataa",
    "request": (
        "Urejeshaji #{id} umeombwa na {requester}: KES {amount} ya malipo {receipt} "
        "(KES {paid}, oda {order}, {phone}).\n"
        "Sababu: {reason}\n"
        "Salio la oda litakuwa KES {balance}.\n"
        "Mfanyakazi mwingine lazima auidhinishe ndani ya saa 24."
    ),
    "no_reason": "haikutolewa",
    "requester_api": "jukwaa (API)",
    "requester_staff": "mfanyakazi {id}",
    "requested": "Urejeshaji #{id} wa KES {amount} unasubiri idhini ya mfanyakazi mwingine.",
    "same": "Urejeshaji #{id} uliombwa tayari ({state}).",
    "approved": "Urejeshaji #{id} wa KES {amount} umeidhinishwa na {approver}: unatumwa.",
    "approved_over_limit": (
        "Urejeshaji #{id} wa KES {amount} umeidhinishwa na {approver} zaidi ya kikomo cha "
        "leo (idhini ya mmiliki): unatumwa."
    ),
    "rejected": "Urejeshaji #{id} wa KES {amount} umekataliwa na {approver}: hakuna kilichotumwa.",
    "expired": (
        "Urejeshaji #{id} umeisha muda: hakuna aliyeuidhinisha ndani ya saa 24. "
        "Omba tena ikihitajika."
    ),
    "no_payment": "Hakuna malipo yenye risiti {receipt}.",
    "not_paid": "Malipo {receipt} hayakulipwa: hakuna cha kurudisha.",
    "too_old": (
        "Malipo {receipt} ni ya zaidi ya siku {days}: urejeshaji unaruhusiwa "
        "ndani ya siku {days} tu."
    ),
    "bad_amount": "Kiasi lazima kiwe shilingi kamili kuanzia 1 hadi KES {left} ya malipo.",
    "too_much": (
        "Hicho ni zaidi ya kinachoweza kurudishwa: kati ya KES {paid} za malipo, ni KES {left} "
        "tu ambazo bado hazijarudishwa (au kurudishwa)."
    ),
    "no_refund": "Hakuna urejeshaji #{id}.",
    "own_request": (
        "Uliomba urejeshaji #{id} mwenyewe: mfanyakazi mwingine lazima auidhinishe, ili pesa "
        "zisitoke kwa neno la mtu mmoja."
    ),
    "not_approver": "Ni wafanyakazi waliotajwa katika REFUND_APPROVERS tu wanaoweza kuidhinisha.",
    "over_limit": (
        "Urejeshaji #{id} ungepita kikomo cha leo cha KES {limit} (zimebaki KES {left} leo). "
        "Unasubiri: uidhinishe kesho, au mmiliki anaweza kuuidhinisha sasa."
    ),
    "decided": "Urejeshaji #{id} tayari ni {state}: hakuna kilichobadilika.",
    "reference_taken": "Rejea hiyo inatumiwa na urejeshaji mwingine.",
    "completed_staff": (
        "Urejeshaji #{id} umekamilika: KES {amount} za {order} zimerudishwa kwa "
        "{phone}{transaction}. {order} sasa inadaiwa KES {balance}."
    ),
    "completed_reference": " (rejea ya M-Pesa {transaction})",
    "failed_staff": (
        "Urejeshaji #{id} wa KES {amount} kwa {order} (ulioombwa na {requester}{approver}) "
        "umeshindikana: {why}"
    ),
    "failed_approver": ", kuidhinishwa na {approver}",
    "unknown_staff": (
        "Urejeshaji #{id} wa KES {amount}: M-Pesa haijasema kilichotokea. Hautatumwa tena; "
        "kagua malipo {receipt} katika M-Pesa org portal."
    ),
    "customer_completed": (
        "KES {amount} za oda {order} zinarudishwa kwa {phone}, rejea ya M-Pesa {transaction}."
    ),
    "why_insufficient_float": (
        "akaunti ya B2C haina pesa za kutosha. Iongezee pesa, kisha omba urejeshaji tena."
    ),
    "why_already_reversed": (
        "M-Pesa inasema malipo haya yalisharudishwa (labda kupitia org portal)."
    ),
    "why_initiator": (
        "M-Pesa inakataa initiator au security credential yake (kagua "
        "MPESA_INITIATOR_NAME na MPESA_SECURITY_CREDENTIAL)."
    ),
    "why_no_b2c": (
        "urejeshaji wa sehemu (au reversal iliyokataliwa) unahitaji shortcode ya B2C, na "
        "MPESA_B2C_SHORTCODE haijawekwa."
    ),
    "why_no_phone": (
        "M-Pesa ilitoa namba iliyofichwa tu kwa malipo haya, kwa hivyo B2C haiwezi kuifikia."
    ),
    "why_not_set_up": "hakuna initiator wa M-Pesa aliyewekwa (MPESA_INITIATOR_NAME).",
    "why_refused": "M-Pesa imeukataa (msimbo {code}: {description}).",
    "why_refused_bare": "M-Pesa imeukataa.",
    "why_refused_code": "M-Pesa imeukataa (msimbo {code}).",
    "why_unanswered": "M-Pesa haikujibu; kagua org portal kabla ya kuomba tena.",
    "why_timed_out": (
        "M-Pesa iliondoa ombi kwenye foleni yake bila kulitekeleza, kwa hivyo hakuna "
        "kilichotumwa. Omba urejeshaji tena."
    ),
    "state_requested": "unasubiri idhini",
    "state_approved": "umeidhinishwa",
    "state_rejected": "umekataliwa",
    "state_expired": "umeisha muda",
    "state_sending": "unatumwa",
    "state_sent": "umetumwa, unasubiri M-Pesa",
    "state_completed": "umekamilika",
    "state_failed": "umeshindikana",
    "today_line": "Vilivyorudishwa: urejeshaji {count}, KES {amount}",
    "report_line": "Vilivyorudishwa katika kipindi: KES {amount} (urejeshaji {count}).",
}

REFUND_TEXTS: Final[Mapping[Language, Mapping[str, str]]] = {"en": _EN, "sw": _SW}


def rt(language: Language, key: str, **params: object) -> str:
    """The refund text ``key`` in ``language``; integers get thousands separators."""
    return REFUND_TEXTS[language][key].format(**format_numbers(params))


def who(language: Language, actor: str | None) -> str:
    """A requester or approver as staff read it (``telegram:42`` → "staff user 42")."""
    if actor is None:
        return "-"
    kind, _, identifier = actor.partition(":")
    if kind == "api":
        return rt(language, "requester_api")
    return rt(language, "requester_staff", id=identifier or kind)


def shown_phone(phone: str) -> str:
    """A customer's number for staff: masked (``2547****5678``)."""
    return mask_phone(phone)


def customer_phone(phone: str) -> str:
    """The customer's own number as they write it (``0712 345 678``), or as M-Pesa gave it."""
    try:
        return display_phone(phone)
    except PhoneError:
        return phone


def state_word(language: Language, view: RefundView) -> str:
    """The refund's state in words."""
    return rt(language, f"state_{view.refund.state.value}")


def _about(language: Language, key: str, view: RefundView, **extra: object) -> str:
    """The refund text ``key`` about ``view``'s refund: its number, amount and order, and
    ``extra`` (each text takes the ones it shows)."""
    refund = view.refund
    return rt(
        language, key, id=refund.id, amount=refund.amount, order=refund.order_reference, **extra
    )


def press_label(language: Language, action: str) -> str:
    """The label of the staff's ``approve`` or ``reject`` button under a request."""
    return rt(language, f"button_{action}")


def request_text(language: Language, view: RefundView) -> str:
    """The staff chat's message asking for approval (sent with Approve / Reject)."""
    refund = view.refund
    return _about(
        language,
        "request",
        view,
        requester=who(language, refund.requested_by),
        receipt=refund.receipt,
        paid=view.payment.amount,
        phone=shown_phone(view.payment.phone),
        reason=refund.reason or rt(language, "no_reason"),
        balance=view.balance_after,
    )


def why(language: Language, failure: RefundFailure | None, code: str, description: str) -> str:
    """Why a refund failed, in plain words from the result code."""
    key = f"why_{(failure or RefundFailure.REFUSED).value}"
    if key == "why_refused" and not code:
        return rt(language, "why_refused_bare")
    if key == "why_refused" and not description:
        return rt(language, "why_refused_code", code=code)
    return rt(language, key, code=code, description=description)


def outcome_text(
    language: Language,
    outcome: RefundOutcome,
    view: RefundView | None,
    *,
    receipt: str = "",
    refund_id: int | None = None,
    left: int = 0,
    limit: int = 0,
    days: int = 0,
) -> str:
    """The answer to ``/refund``, a press of Approve / Reject, or the API's refusal message."""
    refund = view.refund if view is not None else None
    params: dict[str, object] = {
        "id": refund.id if refund is not None else (refund_id or 0),
        "amount": refund.amount if refund is not None else 0,
        "approver": who(language, refund.approved_by) if refund is not None else "-",
        "state": state_word(language, view) if view is not None else "-",
        "receipt": refund.receipt if refund is not None else receipt,
        "paid": view.payment.amount if view is not None else 0,
        "left": left,
        "limit": limit,
        "days": days,
    }
    key = outcome.value
    if outcome is RefundOutcome.APPROVED and refund is not None and refund.over_limit:
        key = "approved_over_limit"
    return rt(language, key, **params)


def completed_staff_text(language: Language, view: RefundView, *, full: bool = False) -> str:
    """The staff's notice of a completed refund (the whole number when ``full``)."""
    transaction = view.refund.transaction_id
    return _about(
        language,
        "completed_staff",
        view,
        phone=customer_phone(view.payment.phone) if full else shown_phone(view.payment.phone),
        transaction=rt(language, "completed_reference", transaction=transaction)
        if transaction
        else "",
        balance=view.order.balance if view.order is not None else 0,
    )


def completed_customer_text(language: Language, view: RefundView) -> str:
    """The customer's message: the money is on its way back."""
    return _about(
        language,
        "customer_completed",
        view,
        phone=customer_phone(view.payment.phone),
        transaction=view.refund.transaction_id or "-",
    )


def failed_staff_text(language: Language, view: RefundView) -> str:
    """The notice of a failed refund, naming who asked and who approved, and why."""
    refund = view.refund
    return _about(
        language,
        "failed_staff",
        view,
        requester=who(language, refund.requested_by),
        approver=rt(language, "failed_approver", approver=who(language, refund.approved_by))
        if refund.approved_by
        else "",
        why=why(
            language, refund.failure, refund.result_code or "", refund.result_description or ""
        ),
    )


def unknown_staff_text(language: Language, view: RefundView) -> str:
    """M-Pesa never said what became of a sent refund: the staff must look."""
    return _about(language, "unknown_staff", view, receipt=view.refund.receipt)


def number(value: int) -> str:
    """Shillings with thousands separators."""
    return format_number(value)
