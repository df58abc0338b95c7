"""What the payment services decided, for a presenter to put into words.

A service settles, starts or looks up payments and returns (or queues) one of these; the
presenters in :mod:`checkout.i18n` turn it into the customer's or the staff's message in their
language. The services never choose a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from checkout.domain.records import BodyStatus, Language, Order, Payment, PaymentStatus


class NextStep(StrEnum):
    """What the customer is offered under a settled payment's message."""

    NOTHING = "nothing"  # paid, or being checked: nothing to do
    RETRY = "retry"  # failed, cancelled or expired: "Try again"


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """A payment as it settled and its order after it (None when the order was not needed).

    The settling transaction's hooks (:class:`checkout.payments.unit.SettledOutcomeHook`) add
    what they decided about it: the plan's news, a "Pay later" offer, the hour without "Try
    again", the other way to pay, the receipt's link. The presenter says all of it.
    """

    payment: Payment
    order: Order | None = None
    plan: PlanNews | None = None  # the payment was a plan's: what became of the plan
    pay_later: bool = False  # no balance, and the customer may have a plan for the order
    # The last two tries were cancelled on the phone: no "Try again" until then.
    held_until: datetime | None = None
    other_way: OtherWayOffer | None = None  # the other way to pay, recorded as told
    receipt: ReceiptLink | None = None  # where the paid payment's receipt opens

    @property
    def balance(self) -> int:
        """What is left to pay on the order after this payment; 0 without an order."""
        return self.order.balance if self.order is not None else 0

    @property
    def next_step(self) -> NextStep:
        """A failed payment may be tried again; a paid or mismatched one may not."""
        if self.payment.status in (PaymentStatus.PAID, PaymentStatus.MISMATCHED):
            return NextStep.NOTHING
        return NextStep.RETRY


@dataclass(frozen=True, slots=True)
class ReceiptLink:
    """The receipt of a paid payment: ``url`` opens it (short in an SMS); ``button``: the
    address is one the world can open, so a chat may show it as a URL button too."""

    url: str
    button: bool = False


# --- a plan's news, as its payment settled ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanPaid:
    """A plan's deposit or installments paid: the plan after them (``next_due`` None: the
    plan is completed)."""

    plan_id: int
    language: Language  # the plan's: its messages are in it
    order_reference: str
    paid: int  # all paid on the plan so far
    left: int  # all still owed on it
    deposit: bool  # the deposit, which started the plan
    next_amount: int | None = None
    next_due: datetime | None = None

    @property
    def completed(self) -> bool:
        """Nothing is left to pay on the plan."""
        return self.next_amount is None or self.next_due is None


class PlanFollowUp(StrEnum):
    """What follows a plan's payment that took no money."""

    DEPOSIT_AGAIN = "deposit_again"  # the deposit: pay it again, or drop the plan
    PAY_WHEN_READY = "pay_when_ready"  # an installment the customer pushed: pay when ready
    RETRY_SOON = "soon"  # an automatic try: the next one within the day
    RETRY_TOMORROW = "tomorrow"  # ... the next day
    RETRY_ASK = "ask"  # ... cancelled: the customer is asked, tried again the next day
    GRACE = "grace"  # no try left: it may still be paid until ``until``


@dataclass(frozen=True, slots=True)
class PlanUnpaid:
    """A plan's payment that took no money, and what the plan does next.

    ``hour``: the plan's collection hour (when a retry comes); ``until``: the end of the
    grace period (``GRACE``).
    """

    plan_id: int
    language: Language
    follow_up: PlanFollowUp
    hour: int = 0
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class PlanOverdue:
    """An installment past its retries and its grace period: overdue, ``fee`` charged now."""

    plan_id: int
    language: Language
    order_reference: str
    number: int  # the installment's
    count: int  # the plan's installments
    amount: int  # now owed on it, the fee included
    due_at: datetime
    fee: int = 0  # the late fee added to it now


PlanNews = PlanPaid | PlanUnpaid | PlanOverdue


# --- what the plan desk and the plan changes answer when they do nothing -----------------------


class PlanAnswer(StrEnum):
    """What the desk answers when it neither offers a plan nor pushes for one."""

    OFFER_CHANGED = "offer_changed"  # the option taken no longer matches today's offer
    ALREADY_PAYING = "already_paying"  # a push for this plan or order is on its way
    NOT_FOUND = "not_found"  # no such plan of this customer's (or nothing left to push)
    NOT_DROPPABLE = "not_droppable"  # a started plan cannot be dropped


class ChangeAnswer(StrEnum):
    """Why a change the customer asked for was not made."""

    MOVE_USED = "move_used"  # the plan's one move was used
    NO_UPCOMING = "move_none"  # nothing upcoming to move
    ROLL_USED = "roll_used"  # the plan's one "Add to next payment" was used
    NO_MISSED = "roll_none"  # nothing missed, or nothing after it to add it to
    TOO_LARGE = "roll_too_large"  # the two together are more than one M-Pesa payment


class Refusal(StrEnum):
    """Why a payment was not started."""

    ORDER_NOT_FOUND = "order_not_found"  # a listed order the business no longer has
    ORDER_PAID = "order_paid"  # nothing left to pay
    ORDER_REFUNDED = "order_refunded"  # everything paid went back: the order is closed
    ORDER_CANCELLED = "order_cancelled"  # the business cancelled it: the order is closed
    ABOVE_BALANCE = "above_balance"  # more than is left to pay
    ALREADY_PAYING = "already_paying"  # a prompt for this order and phone is still open


@dataclass(frozen=True, slots=True)
class PaymentRefused:
    """A payment refused before any push: ``order`` and ``balance`` say which and how much."""

    reason: Refusal
    order: str = ""
    balance: int = 0


class PushProblem(StrEnum):
    """Why an STK push did not go through, in terms the checkout can act on."""

    REFUSED = "refused"  # Daraja answered with an error: nothing was sent to the phone
    SUBSCRIBER_LOCKED = "subscriber_locked"  # another transaction is in process for the phone
    BUSY = "busy"  # Daraja is overloaded (spike arrest, quota): try again shortly
    UNAVAILABLE = "unavailable"  # Daraja could not be reached: nothing was sent
    OUTCOME_UNKNOWN = "outcome_unknown"  # timed out: the push may or may not have gone out
    INVALID = "invalid"  # our own request was invalid (phone, amount, reference)
    # Daraja refused our shortcode/passkey (or consumer key): no push can succeed until the
    # operator fixes the configuration; the staff are told.
    MISCONFIGURED = "misconfigured"


class RefusalReason(StrEnum):
    """Which push limit held a push back (see :mod:`checkout.payments.limits`)."""

    PHONE_LIMIT = "phone_limit"  # too many pushes to this number lately
    SENDER_LIMIT = "sender_limit"  # this person asked for too many pushes lately
    PHONE_PAUSED = "phone_paused"  # the number's last prompts were all cancelled
    # The order's last two prompts were cancelled: none for it for an hour, from any number.
    ORDER_PAUSED = "order_paused"


@dataclass(frozen=True, slots=True)
class PayTo:
    """Where a customer can pay from their phone's M-Pesa menu: a paybill or a till number."""

    number: str
    till: bool = False


@dataclass(frozen=True, slots=True)
class OtherWayOffer:
    """The other way to pay an order: ``amount`` (its balance) to ``pay_to``."""

    order_reference: str
    amount: int
    pay_to: PayTo


@dataclass(frozen=True, slots=True)
class PushRefused:
    """A push a limit held back ``at``; asking again after ``retry_at`` can pass.

    A push held back for its order (``ORDER_PAUSED``) names the order and, where the business
    has a paybill or till, the other way to pay it meanwhile.
    """

    reason: RefusalReason
    retry_at: datetime
    at: datetime
    order_reference: str | None = None
    offer: OtherWayOffer | None = None


@dataclass(frozen=True, slots=True)
class PushStarted:
    """A pending payment stored and its prompt sent to the phone.

    ``queued``: stored with a request to push it once the USSD session has ended (the
    session's answer cannot wait for Daraja), not sent yet.
    """

    payment: Payment
    queued: bool = False


@dataclass(frozen=True, slots=True)
class PushNotSent:
    """A stored payment whose push Daraja did not take (or whose answer never came).

    ``offer``: the other way to pay the order, when one was due after this failure (and was
    recorded as told); a push whose outcome is unknown keeps its payment pending.
    """

    payment: Payment
    problem: PushProblem
    offer: OtherWayOffer | None = None


@dataclass(frozen=True, slots=True)
class SenderOverLimit:
    """A sender (``telegram:<id>``, ``ussd:<phone>``) ran into the per-sender limit, asking
    for a push to ``phone``: more than ``count`` in ``minutes``. The staff are told once."""

    sender: str
    phone: str
    count: int
    minutes: int


@dataclass(frozen=True, slots=True)
class NotMine:
    """A customer (``customer_id``, asking as ``sender``) declined order ``order_reference``,
    ``balance`` still to pay, as "Not mine": the staff are told to check whose it is."""

    order_reference: str
    balance: int
    sender: str
    customer_id: int


# --- the staff's alerts about callbacks and late answers ---------------------------------------


@dataclass(frozen=True, slots=True)
class PaidTwice:
    """A late success of ``payment`` (a push given up on, or failed) recorded as paid though
    its order was paid already: the order is overpaid by ``over``; ``receipt`` refunds it."""

    payment: Payment
    receipt: str
    over: int


@dataclass(frozen=True, slots=True)
class BodyKept:
    """A callback body that was refused or failed, kept as ``body_id`` to be replayed."""

    body_id: int
    status: BodyStatus
    reason: str


# What asking for a push came to: sent (or queued), not sent, refused for the order or the
# amount, or held back by a push limit.
StartOutcome = PushStarted | PushNotSent | PaymentRefused | PushRefused


class VerifyOutcome(StrEnum):
    """What Lipa made of an "I already paid" code (or of a staff user's /verify)."""

    CHECKING = "checking"  # asked M-Pesa; the answer follows
    ALREADY_CHECKING = "already_checking"  # a check of this code is under way
    CREDITED = "credited"  # the order was credited with it
    ALREADY_USED = "already_used"  # the code was counted before (a payment or a credit)
    COUNTED = "counted"  # it is the money of the customer's own prompt, counted as that payment
    OTHER_SHORTCODE = "other_shortcode"  # the money went to another business
    TOO_SMALL = "too_small"  # less than the order's balance
    NOT_FOUND = "not_found"  # M-Pesa does not know the code (for this business)
    NOT_COMPLETED = "not_completed"  # M-Pesa knows it, but the money did not move
    ORDER_PAID = "order_paid"  # nothing is left to pay on the order
    NO_SUCH_ORDER = "no_such_order"
    UNAVAILABLE = "unavailable"  # M-Pesa could not be asked, or never answered
    TOO_MANY = "too_many"  # the chat had many codes checked in the last hour: wait
    REPORTED = "reported"  # staff: what M-Pesa says was shown
