"""An order a customer left half paid: what a new USSD session may offer to carry on with.

Africa's Talking ends a session after about 180 s; a caller who paused to find money or a
code loses the screen, not the conversation, which stays stored at its step with what they
had entered. :func:`unfinished` tells whether that conversation is worth offering again: it
is at a step that asks about an order (amount, phone, confirmation, plan offer), it has not
been idle past the flow's timeout (the flow would start over anyway), and its order is not
paid in full meanwhile. A conversation whose push was sent (PAYING) is finished business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from checkout.conversation.model import ConversationState, Step
from checkout.conversation.steps.call import Draft
from checkout.domain.records import Language, Order

# The steps a dropped session can be continued at: each asks about an order already chosen.
RESUMABLE_STEPS: Final = frozenset({Step.AMOUNT, Step.PHONE, Step.CONFIRM, Step.PLAN})


@dataclass(frozen=True, slots=True)
class Unfinished:
    """A conversation left at ``step`` while paying ``order_reference``.

    ``amount`` is what the customer chose to pay, else the order's balance, else None (an
    order the business did not list, before an amount was typed).
    """

    order_reference: str
    amount: int | None
    step: Step
    language: Language
    updated_at: datetime


def unfinished(
    state: ConversationState, order: Order | None, *, now: datetime, idle_timeout: timedelta
) -> Unfinished | None:
    """The order in progress in ``state`` if it can be carried on with, else None.

    ``order`` is the stored order of the state's reference (None if there is none).
    """
    if state.step not in RESUMABLE_STEPS or state.updated_at is None:
        return None
    if now - state.updated_at > idle_timeout:
        return None
    draft = Draft.read(state.data)
    if draft.order_reference is None:
        return None
    if order is not None and (order.is_fully_paid or (order.known and order.balance <= 0)):
        return None
    amount = draft.amount
    if amount is None and order is not None and order.known:
        amount = order.balance
    return Unfinished(
        order_reference=draft.order_reference,
        amount=amount,
        step=state.step,
        language=state.language,
        updated_at=state.updated_at,
    )
