"""Pay later from the web page: the chat's plan desk, for the customer the typed phone names.

No second path: the offer, who may have it, the stored plan and its deposit's push are all
:class:`checkout.bnpl.desk.PlanDesk`'s, exactly as a chat's "Pay later", and the deposit is
then followed on the order's status page like any payment. The page's customer is the web
channel's "chat" of the order (keyed by its reference), known to the plan rules by that record
and by the M-Pesa number typed on the page.

The desk answers with what happened (:mod:`checkout.bnpl.news`); the page says it in the
chat's words (:func:`checkout.bnpl.views.news.plan_replies`, one paragraph each) and takes
the offer's options from the offer itself. Each option carries the chat's own callback data
(``plan:<count>:<balance>:<day>:<order>:<phone>``), posted back by the page and read with
:func:`checkout.bnpl.rules.parse_plan_argument`, so a choice on another day or for a changed
balance is refused as in the chat.

An order with an open plan is paid from its page with the plan's own buttons ("Pay the next
installment now", "Pay everything left now", "Pay the deposit"), carried out by
:meth:`checkout.bnpl.desk.PlanDesk.act` exactly as the chat's: the same pusher, one push per
plan at a time. The desk acts only for a plan's own customer; the page acts for the customer
record of the order's open plan (whichever channel took it), and only on that plan, so a
press never reaches a plan of another order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checkout.bnpl.desk import PlanDesk
from checkout.bnpl.news import PlanNews, PlanOffered, PlansListed
from checkout.bnpl.ports import with_plans
from checkout.bnpl.records import Plan
from checkout.bnpl.rules import (
    PLAN_PREFIX,
    Action,
    PlanChoice,
    PlanRules,
    choice_data,
    parse_plan_argument,
)
from checkout.bnpl.views.news import plan_replies
from checkout.conversation.model import AcceptPlan, ActOnPlan, OfferPlan
from checkout.domain.records import Channel, Customer, Language, Order
from checkout.domain.time import Clock
from checkout.payments.unit import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class PlanOption:
    """One option of the offer as the page shows it: its count and the chat's callback data."""

    count: int
    data: str


@dataclass(frozen=True, slots=True)
class PlanPage:
    """What the plan page shows: the desk's words in paragraphs, and the options to choose."""

    paragraphs: tuple[str, ...]
    options: tuple[PlanOption, ...]


def plan_page(
    language: Language, news: Sequence[PlanNews], reference: str, *, rules: PlanRules
) -> PlanPage:
    """The desk's news as a page: every paragraph of what the chat would say, and the options
    of an offer for this order only."""
    paragraphs: list[str] = []
    for reply in plan_replies(language, news, rules=rules):
        paragraphs += [part for part in reply.text.split("\n\n") if part.strip()]
    options = tuple(
        PlanOption(option.count, choice_data(option, item.order, item.phone))
        for item in news
        if isinstance(item, PlanOffered) and item.order == reference
        for option in item.options
    )
    return PlanPage(tuple(paragraphs), options)


def choice_of(data: str, reference: str) -> PlanChoice | None:
    """The plan option a posted ``choice`` names, if it is one for this order."""
    if not data.startswith(PLAN_PREFIX):
        return None
    choice = parse_plan_argument(data.removeprefix(PLAN_PREFIX))
    if not isinstance(choice, PlanChoice) or choice.order != reference:
        return None
    return choice


class WebPlans:
    """The web page's Pay later, through the chat's plan desk."""

    def __init__(self, units: UnitOfWorkFactory, desk: PlanDesk, *, clock: Clock) -> None:
        self._units = units
        self._desk = desk
        self._clock = clock

    def shown(self, order: Order, plan: Plan | None) -> bool:
        """Whether the page shows "Pay later" before a phone is typed (``plan``: the order's
        open plan).

        The customer is not known yet: only what holds for every customer is asked (plans are
        on, the order is big enough, it has no plan being paid). Who may have the plan is
        asked of the typed phone when "Pay later" is pressed, with the chat's reason if not.
        """
        if not order.known:
            return False
        has_plan = plan is not None and plan.status.is_owing
        refusal = self._desk.eligibility.order_refusal(
            order.balance, self._clock(), order_has_plan=has_plan
        )
        return refusal is None

    async def offer(self, order: Order, phone: str, language: Language) -> PlanPage:
        """The chat's offer for the order with prompts to ``phone``, or why there is none."""
        customer = await self._customer(order, language)
        effect = OfferPlan(order.reference, True, None, phone)
        return self._page(language, await self._desk.offer(customer, effect), order.reference)

    async def accept(self, order: Order, choice: PlanChoice, language: Language) -> PlanPage:
        """Take the option: store the plan and push its deposit (or say why not, as the chat)."""
        customer = await self._customer(order, language)
        effect = AcceptPlan(
            order_reference=order.reference,
            order_known=True,
            amount=None,
            phone=choice.phone,
            count=choice.count,
            balance=choice.balance,
            offered_on=choice.day,
        )
        news = await self._desk.accept(customer, language, effect)
        return self._page(language, news, order.reference)

    async def act(
        self, order: Order, plan_id: str, action: str, language: Language
    ) -> PlanPage | None:
        """Press a plan button of the order's page: the next installment, everything left, or
        the deposit, through the plan desk; what the desk says (nothing: the order's page says
        it); None if ``plan_id`` is not the order's open plan or ``action`` not one its state
        offers (nothing is done).

        The desk acts for the plan's own customer record: a plan taken in a chat is paid from
        the page as from its chat, its prompt going to the plan's phone.
        """
        async with self._units() as unit:
            plan = await with_plans(unit).plans.open_for_order(order.reference)
        if plan is None or str(plan.id) != plan_id or action not in _offered(plan):
            return None
        news = await self._desk.act(plan.customer, language, ActOnPlan(action, plan.id))
        if news and isinstance(news[0], PlansListed) and not news[0].last_only:
            # The plan changed under the press (paid off, or its deposit paid): the desk
            # listed the customer's plans, which may be of other orders. Not for this page.
            return PlanPage((), ())
        return self._page(language, news, order.reference)

    def _page(self, language: Language, news: Sequence[PlanNews], reference: str) -> PlanPage:
        return plan_page(language, news, reference, rules=self._desk.rules)

    async def _customer(self, order: Order, language: Language) -> Customer:
        async with self._units() as unit:
            customer = await unit.customers.get_or_create(
                Channel.WEB, order.reference, language=language, now=self._clock()
            )
            await unit.commit()
        return customer


def _offered(plan: Plan) -> frozenset[str]:
    """The actions the page offers for ``plan``: the deposit until it is paid, then the next
    installment or everything left."""
    if plan.status.is_owing:
        return frozenset({Action.NEXT.value, Action.ALL.value})
    return frozenset({Action.DEPOSIT.value})
