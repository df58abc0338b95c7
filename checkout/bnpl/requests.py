"""What the conversation asks of the plans: an offer, taking it, the list, an act on one plan
(the flow's effects that :mod:`checkout.bnpl.desk` carries out).

They live in this area, below the conversation, so the desk never imports the flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class OfferPlan:
    """Offer a Buy-Now-Pay-Later plan for the order, its prompts going to ``phone``.

    ``amount`` is what the customer typed for an order the business did not know (it becomes
    the order's balance); a known order's balance is read when the offer is made.
    """

    order_reference: str
    order_known: bool
    amount: int | None
    phone: str


@dataclass(frozen=True, slots=True)
class AcceptPlan:
    """Take the offered plan of ``count`` installments and send its deposit's push.

    ``balance`` and ``offered_on`` are what the offer was made for: if either has changed,
    the customer is shown the new offer instead.
    """

    order_reference: str
    order_known: bool
    amount: int | None
    phone: str
    count: int
    balance: int
    offered_on: date


@dataclass(frozen=True, slots=True)
class ShowPlans:
    """Show the customer's plans with what is paid, what is left and the next date."""


@dataclass(frozen=True, slots=True)
class ActOnPlan:
    """Act on one of the customer's plans: ``action`` is a :class:`checkout.bnpl.rules.Action`
    value."""

    action: str
    plan_id: int
    days: int = 0  # "move by days" (``moveto``)


PlanEffect = OfferPlan | AcceptPlan | ShowPlans | ActOnPlan
