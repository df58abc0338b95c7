"""The words about payments: what the payment services decided, told to customers and staff.

:mod:`checkout.payments.settling.settle` and :mod:`checkout.payments.start` decide what happened (a
:class:`~checkout.domain.outcomes.PaymentOutcome`, a refusal, a failed push, the payments of
a chat); the functions here write the sentences and buttons, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from checkout.domain.callbacks import RECEIPT
from checkout.domain.money import format_number
from checkout.domain.outcomes import (
    BodyKept,
    NextStep,
    PaymentOutcome,
    PaymentRefused,
    PushNotSent,
    PushProblem,
    PushStarted,
    Refusal,
)
from checkout.domain.phones import display_phone, mask_phone
from checkout.domain.records import (
    Channel,
    Language,
    Order,
    Payment,
    PaymentStatus,
    StaffChat,
)
from checkout.domain.replies import Button, Reply
from checkout.domain.time import NAIROBI
from checkout.i18n import staff_notices, texts
from checkout.i18n.buttons import already_paid_button, retry_button
from checkout.i18n.catalogue.outcomes import outcome_key
from checkout.i18n.contact import BusinessContact
from checkout.i18n.payments.order_closed import order_cancelled
from checkout.i18n.payments.ways_out import cancel_hold_text, offer_text
from checkout.i18n.plans.settled import pay_later_row, plan_news_reply
from checkout.i18n.times import clock_time
from checkout.i18n.web_plans import receipt_button_label, sms_receipt_text

# The customer's text for each way a push can fail.
PROBLEM_TEXT: Final = {
    PushProblem.REFUSED: "push_refused",
    PushProblem.SUBSCRIBER_LOCKED: "push_subscriber_locked",
    PushProblem.BUSY: "push_busy",
    PushProblem.UNAVAILABLE: "push_unavailable",
    PushProblem.OUTCOME_UNKNOWN: "push_outcome_unknown",
    PushProblem.INVALID: "push_refused",
    PushProblem.MISCONFIGURED: "push_unavailable",
}

# Payments whose money may have reached the business another way: "I already paid" is offered.
UNCONFIRMED: Final = frozenset(
    {PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.EXPIRED, PaymentStatus.CANCELLED}
)

# The line break the SMS sender may split an SMS at (before a USSD customer's receipt link).
SMS_PARAGRAPH: Final = "\n"

# --- the customer: a payment settled ---------------------------------------------------------


def customer_reply(outcome: PaymentOutcome, *, contact: BusinessContact) -> Reply:
    """The message telling a customer how their payment ended, with a way forward
    (``contact``: how one that M-Pesa never confirmed tells them to reach the business).

    Then what the settlement's hooks added, in this order: the plan's news (its own message
    for a payment it received or an installment now overdue, else what follows under this
    one), "Pay later", the receipt's link (and its button in Telegram), the hour without
    "Try again" (no buttons then) and the other way to pay.
    """
    payment = outcome.payment
    reply = _outcome_reply(outcome, contact)
    if outcome.plan is not None:
        reply = plan_news_reply(
            reply,
            outcome.plan,
            amount=payment.amount,
            receipt_number=payment.receipt_number,
            contact=contact,
        )
    if outcome.pay_later:
        reply = replace(reply, buttons=(*reply.buttons, pay_later_row(payment.language)))
    if outcome.receipt is not None:
        reply = _with_receipt(reply, payment, outcome.receipt.url, button=outcome.receipt.button)
    if outcome.held_until is not None:
        held = cancel_hold_text(payment.language, payment.order_reference, outcome.held_until)
        reply = replace(reply, text=f"{reply.text}\n\n{held}", buttons=())
    if outcome.other_way is not None:
        reply = replace(reply, text=f"{reply.text}\n\n{offer_text(payment, outcome.other_way)}")
    return reply


def _with_receipt(reply: Reply, payment: Payment, url: str, *, button: bool) -> Reply:
    """``reply`` with the receipt's ``url``: its short line in an SMS, a sentence elsewhere,
    and a "Receipt (PDF)" URL button under the rest in Telegram when ``button``."""
    language = payment.language
    if payment.channel is Channel.USSD:
        return replace(reply, text=f"{reply.text}{SMS_PARAGRAPH}{sms_receipt_text(language, url)}")
    reply = replace(reply, text=f"{reply.text}\n{texts.t(language, 'receipt_link', link=url)}")
    if payment.channel is Channel.TELEGRAM and button:
        shown = Button(receipt_button_label(language), RECEIPT, url=url)
        reply = replace(reply, buttons=(*reply.buttons, (shown,)))
    return reply


def _outcome_reply(outcome: PaymentOutcome, contact: BusinessContact) -> Reply:
    """How the payment itself ended, with "Try again" and "I already paid" when it failed."""
    payment = outcome.payment
    language = payment.language
    amount = format_number(payment.amount)
    if payment.status is PaymentStatus.PAID:
        # One set of params serves both texts: the paid-in-full one shows no balance.
        text = texts.t(
            language,
            "outcome_paid" if outcome.balance > 0 else "outcome_paid_in_full",
            amount=amount,
            order=payment.order_reference,
            receipt=texts.receipt(language, payment.receipt_number),
            balance=format_number(outcome.balance),
        )
        return Reply(text)
    if payment.status is PaymentStatus.MISMATCHED:
        return Reply(texts.t(language, "outcome_mismatched", order=payment.order_reference))
    if payment.status is PaymentStatus.EXPIRED:
        key = "outcome_expired"
    else:
        key = outcome_key(payment.result_code if payment.result_code is not None else -1)
    text = contact.t(
        language,
        key,
        amount=amount,
        order=payment.order_reference,
        phone=display_phone(payment.phone),
    )
    # The money may have gone another way (the paybill itself): its code can be checked.
    paid = (already_paid_button(language, payment.order_reference),)
    if outcome.next_step is NextStep.RETRY:
        return Reply(text, buttons=((retry_button(language),), paid))
    return Reply(text, buttons=(paid,))


def receipt_reply(payment: Payment) -> Reply:
    """The receipt of a payment settled by query, brought later by its callback."""
    text = texts.t(
        payment.language,
        "receipt_known",
        receipt=payment.receipt_number or "",
        amount=format_number(payment.amount),
        order=payment.order_reference,
    )
    return Reply(text)


# --- the customer: starting a payment, and asking about payments ------------------------------


def refusal_reply(language: Language, refusal: PaymentRefused) -> Reply:
    """Why no push was sent: the order is gone or paid, the amount too high, or one is open."""
    if refusal.reason is Refusal.ORDER_PAID:
        return Reply(texts.t(language, "order_paid", order=refusal.order))
    if refusal.reason is Refusal.ORDER_REFUNDED:
        return Reply(texts.t(language, "order_refunded", order=refusal.order))
    if refusal.reason is Refusal.ORDER_CANCELLED:
        return Reply(order_cancelled(language, refusal.order))
    if refusal.reason is Refusal.ABOVE_BALANCE:
        balance = format_number(refusal.balance)
        return Reply(texts.t(language, "amount_above_balance", balance=balance))
    key = "already_paying" if refusal.reason is Refusal.ALREADY_PAYING else "order_not_found"
    return Reply(texts.t(language, key))


def push_sent_reply(payment: Payment) -> Reply:
    """The prompt is on the customer's phone: enter the PIN."""
    text = push_sent_text(payment.language, payment, phone=display_phone(payment.phone))
    # A prompt that never shows (old SIMs, eSIMs) is often paid to the paybill instead.
    return Reply(text, buttons=((already_paid_button(payment.language, payment.order_reference),),))


def push_sent_text(language: Language, payment: Payment, *, phone: str) -> str:
    """Check your phone and enter the PIN: the pending ``payment``'s amount and order, in
    ``language`` (``phone``: its number as this reader is shown it, for a wording naming it)."""
    return texts.t(
        language,
        "push_sent",
        amount=format_number(payment.amount),
        order=payment.order_reference,
        phone=phone,
    )


def push_queued_reply(language: Language) -> Reply:
    """USSD: the prompt follows once the session has ended."""
    return Reply(texts.t(language, "ussd_push_queued"))


def push_failed_text(language: Language, problem: PushProblem) -> str:
    """Why the prompt did not reach the phone, as the customer reads it."""
    return texts.t(language, PROBLEM_TEXT[problem])


def push_failed_reply(
    language: Language,
    problem: PushProblem,
    *,
    retry: tuple[tuple[Button, ...], ...] | None = None,
) -> Reply:
    """A failed push with ``retry`` ("Try again" by default), unless it may still arrive."""
    text = push_failed_text(language, problem)
    if problem is PushProblem.OUTCOME_UNKNOWN:
        return Reply(text)
    return Reply(text, buttons=retry if retry is not None else ((retry_button(language),),))


def start_replies(
    language: Language, outcome: PushStarted | PushNotSent | PaymentRefused
) -> list[Reply]:
    """What a chat says when asked for a push: look at your phone (or wait for the prompt
    after the USSD session), why the prompt did not come (and where else to pay, when that
    was due), or why no push was sent."""
    if isinstance(outcome, PaymentRefused):
        return [refusal_reply(language, outcome)]
    if isinstance(outcome, PushStarted):
        if outcome.queued:
            return [push_queued_reply(language)]
        return [push_sent_reply(outcome.payment)]
    payment = outcome.payment
    replies = [push_failed_reply(payment.language, outcome.problem)]
    if outcome.offer is not None:
        replies.append(Reply(offer_text(payment, outcome.offer)))
    return replies


def status_reply(language: Language, payment: Payment | None) -> Reply:
    """``/status``: where the latest payment stands, or that there is none."""
    if payment is None:
        return Reply(texts.t(language, "status_none"))
    if payment.status in UNCONFIRMED:
        button = already_paid_button(language, payment.order_reference)
        return Reply(status_text(language, payment), buttons=((button,),))
    return Reply(status_text(language, payment))


def history_reply(language: Language, payments: Sequence[Payment]) -> Reply:
    """``/history``: the last payments, newest first, with receipt numbers."""
    if not payments:
        return Reply(texts.t(language, "history_empty"))
    lines = [texts.t(language, "history_header")]
    lines += [history_line(language, payment) for payment in payments]
    return Reply("\n".join(lines))


def order_paid_reply(language: Language, reference: str, last_paid: Payment | None) -> Reply:
    """The order is paid in full, with its last payment's amount and receipt if known."""
    if last_paid is None:
        return Reply(texts.t(language, "order_paid", order=reference))
    text = texts.t(
        language,
        "order_paid_receipt",
        order=reference,
        amount=format_number(last_paid.amount),
        receipt=texts.receipt(language, last_paid.receipt_number),
    )
    return Reply(text)


def status_text(language: Language, payment: Payment) -> str:
    """One sentence on where a payment stands."""
    key = {
        PaymentStatus.PENDING: "status_pending",
        PaymentStatus.PAID: "status_paid",
    }.get(payment.status, "status_failed")
    return texts.t(
        language,
        key,
        amount=format_number(payment.amount),
        order=payment.order_reference,
        receipt=texts.receipt(language, payment.receipt_number),
        status=texts.t(language, f"payment_status_{payment.status.value}"),
    )


def history_line(language: Language, payment: Payment) -> str:
    """One payment in the history list."""
    local = payment.created_at.astimezone(NAIROBI)
    when = f"{local:%d/%m} {clock_time(language, local.time())}"
    key = "history_line_paid" if payment.status is PaymentStatus.PAID else "history_line"
    return texts.t(
        language,
        key,
        date=when,
        order=payment.order_reference,
        amount=format_number(payment.amount),
        status=texts.t(language, f"payment_status_{payment.status.value}"),
        receipt=texts.receipt(language, payment.receipt_number),
    )


# --- the staff ----------------------------------------------------------------------------------


def staff_line(payment: Payment) -> str:
    """A settled payment in one short line, for digests (``PAID KES 1,500 WW-1042 …``)."""
    parts = [
        payment.status.value.upper(),
        f"KES {format_number(payment.amount)}",
        payment.order_reference,
        mask_phone(payment.phone),
        payment.receipt_number or f"code {payment.result_code_text or payment.result_code}",
        texts.channel_name(payment.channel),
    ]
    return " ".join(parts)


def staff_text(
    staff: StaffChat,
    payment: Payment,
    order: Order | None,
    reported: int | None,
    *,
    name: str | None = None,
) -> str:
    """The staff notice of a settled payment, in sentences (see :mod:`staff_notices`)."""
    return staff_notices.settled(
        staff, payment, order, reported, name=name, channel=_other_channel(payment.channel)
    )


def _other_channel(channel: Channel) -> str | None:
    """The channel's name when it is worth saying (not the usual Telegram chat)."""
    return None if channel is Channel.TELEGRAM else texts.channel_name(channel)


def receipt_came_text(staff: StaffChat, payment: Payment, *, name: str | None = None) -> str:
    """The receipt of a payment the query settled, come with its late callback."""
    return staff_notices.receipt_came(staff, payment, name=name)


def setup_refused_text(language: Language, payment: Payment) -> str:
    """Daraja refused the shortcode's setup (a code in words): say where to look."""
    return staff_notices.setup_refused(language, payment)


def forged_text(staff: StaffChat, payment: Payment, code: int | None) -> str:
    """A success callback that Daraja's own query contradicts (result ``code``)."""
    return staff_notices.forged(staff, payment, code)


def conflict_text(
    staff: StaffChat, settled: Payment, reported: PaymentStatus, receipt: str | None
) -> str:
    """A later answer that contradicts how a payment already settled."""
    return staff_notices.conflict(staff, settled, reported, receipt)


def unmatched_text(
    language: Language, request: str, amount: int | None, receipt: str | None
) -> str:
    """A success nobody can match to a payment."""
    return staff_notices.unmatched(language, request, amount, receipt)


def misconfigured_text(language: Language, code: str | None) -> str:
    """Daraja refuses our shortcode and passkey."""
    return staff_notices.misconfigured(language, code)


def callback_kept_text(language: Language, kept: BodyKept) -> str:
    """The staff's alert about a callback body kept unsettled, with the command to replay it."""
    return texts.t(
        language,
        "staff_callback_kept",
        id=str(kept.body_id),
        status=kept.status.value,
        reason=kept.reason,
    )


def callback_kept_line(kept: BodyKept) -> str:
    """The alert's line in a digest (a burst of bad bodies goes out as one message)."""
    return (
        f"CALLBACK {kept.body_id} {kept.status.value.upper()}: lipa callbacks replay {kept.body_id}"
    )


def pay_link_sms(language: Language, reference: str, balance: int, link: str) -> str:
    """The SMS a staff user's ``/sendlink`` texts a customer: the order, what is left on it,
    and its web link to pay."""
    return texts.t(language, "web_link_sms", order=reference, balance=balance, link=link)
