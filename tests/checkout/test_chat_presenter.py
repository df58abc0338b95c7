"""The chat presenter: what an event led to in, the customer's replies out (no database).

The conversation service returns an :class:`EventOutcome`; these check that the presenter
says the flow's prompts first, then each effect in order, in English and Swahili, and leaves a
push held back by a limit to the channel.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checkout.bnpl.news import PlanAnswered
from checkout.conversation.model import Button, Reply, Step
from checkout.conversation.open_orders import OpenOrder, OrderDeclined, OrdersListed
from checkout.conversation.outcomes import (
    CodeChecked,
    EffectOutcome,
    EventOutcome,
    HistoryFound,
    OrderPaidFound,
    PlanDeskNews,
    StatusFound,
    VerifyOff,
)
from checkout.conversation.presenter import ChatPresenter
from checkout.domain.outcomes import (
    PaymentRefused,
    PlanAnswer,
    PushRefused,
    PushStarted,
    Refusal,
    RefusalReason,
    VerifyOutcome,
)
from checkout.domain.records import (
    Channel,
    Language,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    TransactionFacts,
)
from checkout.i18n.contact import BusinessContact
from checkout.till.verify.status import Verified

AT = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)  # 12:30 in Nairobi
CODE = "SLK4H7QX2P"
ORDER = Order("WW-1042", 3000, 1500, OrderStatus.PARTLY_PAID)
PRESENTER = ChatPresenter(contact=BusinessContact("0712 345 678"), business_name="Wildwash")


def payment(language: Language = "en", status: PaymentStatus = PaymentStatus.PENDING) -> Payment:
    """KES 1,500 for WW-1042 asked at 12:30 (paid: with receipt SLK4H7QX2P)."""
    receipt = CODE if status is PaymentStatus.PAID else None
    return Payment(
        "WW-1042",
        7,
        Channel.TELEGRAM,
        "42",
        1500,
        "254712345678",
        id=1,
        status=status,
        created_at=AT,
        receipt_number=receipt,
        settled_at=AT if receipt else None,
        language=language,
    )


def said(language: Language, *effects: EffectOutcome) -> list[str]:
    """The texts of the replies to ``effects`` in ``language``."""
    outcome = EventOutcome(language=language, effects=effects)
    return [reply.text for reply in PRESENTER.replies(outcome)]


def test_the_prompts_come_first_then_the_effects_in_order_and_a_refused_push_is_left_out() -> None:
    prompt = Reply("Pay KES 1,500 for order WW-1042?")
    outcome = EventOutcome(
        prompts=(prompt,),
        step=Step.IDLE,
        language="en",
        refused=PushRefused(RefusalReason.PHONE_LIMIT, AT, AT),
        effects=(StatusFound(None), HistoryFound(())),
    )
    assert PRESENTER.replies(outcome) == [
        prompt,
        Reply("You have no payments yet."),
        Reply("You have no payments yet."),
    ]


def test_a_push_sent_asks_for_the_pin_with_the_already_paid_button() -> None:
    replies = PRESENTER.replies(EventOutcome(effects=(PushStarted(payment()),)))
    assert replies == [
        Reply(
            "Check your phone and enter your M-Pesa PIN to pay KES 1,500 for order WW-1042.",
            buttons=((Button("I already paid", "paid:WW-1042"),),),
        )
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "You will get an M-Pesa prompt. Enter your PIN to pay."),
        ("sw", "Utapokea ombi la M-Pesa. Weka PIN yako ili kulipa."),
    ],
)
def test_a_queued_push_says_the_prompt_is_coming(language: Language, expected: str) -> None:
    assert said(language, PushStarted(payment(language), queued=True)) == [expected]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Order WW-1042 is already fully paid. Thank you!"),
        ("sw", "Oda WW-1042 imeshalipwa yote. Asante!"),
    ],
)
def test_a_refused_payment_says_why(language: Language, expected: str) -> None:
    assert said(language, PaymentRefused(Refusal.ORDER_PAID, "WW-1042")) == [expected]


@pytest.mark.parametrize(
    ("language", "none", "paid"),
    [
        (
            "en",
            "You have no payments yet.",
            "Your last payment, KES 1,500 for order WW-1042, was received. "
            "M-Pesa receipt SLK4H7QX2P.",
        ),
        (
            "sw",
            "Bado huna malipo yoyote.",
            "Malipo yako ya mwisho, KES 1,500 kwa oda WW-1042, yamepokelewa. "
            "Risiti ya M-Pesa SLK4H7QX2P.",
        ),
    ],
)
def test_status_says_the_latest_payment_or_that_there_is_none(
    language: Language, none: str, paid: str
) -> None:
    latest = payment(language, PaymentStatus.PAID)
    assert said(language, StatusFound(None), StatusFound(latest)) == [none, paid]


def test_a_pending_status_offers_already_paid_in_the_chats_language() -> None:
    replies = PRESENTER.replies(EventOutcome(language="sw", effects=(StatusFound(payment("sw")),)))
    assert replies == [
        Reply(
            "Malipo yako ya mwisho, KES 1,500 kwa oda WW-1042, bado yanasubiri M-Pesa.",
            buttons=((Button("Nimeshalipa", "paid:WW-1042"),),),
        )
    ]


def test_history_and_a_paid_order_name_the_receipt() -> None:
    paid = payment(status=PaymentStatus.PAID)
    assert said("en", HistoryFound((paid,)), OrderPaidFound("WW-1042", paid)) == [
        "Your last payments:\n05/12 12:30: KES 1,500, order WW-1042, receipt SLK4H7QX2P",
        "Order WW-1042 is already fully paid. Your last payment: KES 1,500, "
        "M-Pesa receipt SLK4H7QX2P. Thank you!",
    ]


@pytest.mark.parametrize(
    ("language", "checking", "no_order"),
    [
        (
            "en",
            "Thank you. We are asking M-Pesa about SLK4H7QX2P and will tell you here in a minute.",
            "We cannot find order WW-1042, so SLK4H7QX2P was not counted.",
        ),
        (
            "sw",
            "Asante. Tunauliza M-Pesa kuhusu SLK4H7QX2P na tutakujulisha hapa baada ya dakika "
            "moja.",
            "Hatuipati oda WW-1042, hivyo SLK4H7QX2P haukuhesabiwa.",
        ),
    ],
)
def test_a_code_checked_says_what_lipa_made_of_it(
    language: Language, checking: str, no_order: str
) -> None:
    asked = CodeChecked("WW-1042", Verified(VerifyOutcome.CHECKING, CODE, 3, order=ORDER))
    unknown = CodeChecked("WW-1042", Verified(VerifyOutcome.NO_SUCH_ORDER, CODE))
    assert said(language, asked, unknown) == [checking, no_order]


def test_a_code_too_small_names_m_pesa_s_amount_and_the_balance() -> None:
    facts = TransactionFacts(True, CODE, 400, "Completed")
    small = CodeChecked("WW-1042", Verified(VerifyOutcome.TOO_SMALL, CODE, 3, facts, ORDER))
    assert said("en", small) == [
        "The M-Pesa payment SLK4H7QX2P was KES 400, less than the KES 1,500 left on order "
        "WW-1042, so it was not counted: please contact us on 0712 345 678."
    ]


def test_a_code_given_up_on_at_once_says_nothing_its_request_told_the_customer() -> None:
    gave_up = Verified(VerifyOutcome.UNAVAILABLE, CODE, 3, order=ORDER)
    assert said("en", CodeChecked("WW-1042", gave_up)) == []


@pytest.mark.parametrize(
    ("language", "too_many", "off"),
    [
        (
            "en",
            "You have had several codes checked in the last hour. Please wait an hour, or "
            "contact us on 0712 345 678 with the code SLK4H7QX2P.",
            "We cannot check M-Pesa codes here yet. Please contact us on 0712 345 678 with the "
            "code SLK4H7QX2P.",
        ),
        (
            "sw",
            "Umeangaliwa misimbo kadhaa katika saa moja iliyopita. Tafadhali subiri saa moja, au "
            "wasiliana nasi kwa 0712 345 678 na msimbo SLK4H7QX2P.",
            "Hatuwezi kuangalia misimbo ya M-Pesa hapa bado. Tafadhali wasiliana nasi kwa "
            "0712 345 678 na msimbo SLK4H7QX2P.",
        ),
    ],
)
def test_the_verify_answers_name_the_business_contact(
    language: Language, too_many: str, off: str
) -> None:
    held = CodeChecked("WW-1042", Verified(VerifyOutcome.TOO_MANY, CODE, order=ORDER))
    assert said(language, held, VerifyOff(CODE)) == [too_many, off]


def test_without_a_contact_verify_off_says_contact_us() -> None:
    outcome = EventOutcome(effects=(VerifyOff(CODE),))
    assert [reply.text for reply in ChatPresenter().replies(outcome)] == [
        "We cannot check M-Pesa codes here yet. Please contact us with the code SLK4H7QX2P."
    ]


@pytest.mark.parametrize(
    ("language", "header", "pay"),
    [
        ("en", "Your open orders:\nWW-1042: KES 1,500 to pay (KES 1,500 paid)", "Pay WW-1042"),
        (
            "sw",
            "Oda zako zilizo wazi:\nWW-1042: KES 1,500 za kulipa (KES 1,500 zimelipwa)",
            "Lipa WW-1042",
        ),
    ],
)
def test_the_open_orders_are_listed_with_pay(language: Language, header: str, pay: str) -> None:
    listed = OrdersListed((OpenOrder(ORDER, on_plan=False, held_until=None),))
    replies = PRESENTER.replies(EventOutcome(language=language, effects=(listed,)))
    assert replies == [Reply(header, buttons=((Button(pay, "orders:pay:WW-1042"),),))]


@pytest.mark.parametrize(
    ("language", "none", "declined"),
    [
        (
            "en",
            "You have no open orders.",
            "Thank you. We have told Wildwash that order WW-1042 is not yours; it will not be "
            "shown to you again.",
        ),
        (
            "sw",
            "Huna oda zilizo wazi.",
            "Asante. Tumeiambia Wildwash kwamba oda WW-1042 si yako; hutaonyeshwa tena.",
        ),
    ],
)
def test_no_open_orders_and_not_mine_name_the_business(
    language: Language, none: str, declined: str
) -> None:
    assert said(language, OrdersListed(()), OrderDeclined("WW-1042", accepted=True)) == [
        none,
        declined,
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "We could not find this plan. See /plans for your plans."),
        ("sw", "Hatukupata mpango huu. Angalia /plans kuona mipango yako."),
    ],
)
def test_the_plan_desks_news_is_said_as_the_plans_say_it(language: Language, expected: str) -> None:
    news = PlanDeskNews((PlanAnswered(PlanAnswer.NOT_FOUND),))
    assert said(language, news) == [expected]
