"""``/orders`` and the buttons under it: "Pay <order>" and "Not mine: <order>".

The list itself is the service's (:mod:`checkout.conversation.open_orders` knows whose orders
are whose); the flow asks for it with :class:`ShowOrders`. "Pay" opens the order as
``/pay <order>`` does; "Not mine" asks the service to record the refusal and tell the staff.
Both buttons work from any step, like a plan's.
"""

from __future__ import annotations

from typing import Final

from checkout.conversation.model import DeclineOrder, ShowOrders, Turn
from checkout.conversation.steps.call import Call, menu
from checkout.conversation.steps.paying import pay
from checkout.domain.references import parse_order_reference

ORDERS_PREFIX: Final = "orders:"
PAY_ACTION: Final = "pay"
NOT_MINE_ACTION: Final = "no"


def orders_data(action: str, reference: str) -> str:
    """A button's callback data: ``orders:pay:WW-1042`` (at most 24 bytes)."""
    return f"{ORDERS_PREFIX}{action}:{reference}"


async def orders(call: Call, _: str) -> Turn:
    """``/orders``: the customer's open orders, from the service."""
    return call.stay(effects=(ShowOrders(),))


async def order_button(call: Call, argument: str) -> Turn:
    """``pay:<order>`` opens the order; ``no:<order>`` declines it; anything else: the menu."""
    action, _, raw = argument.partition(":")
    reference = parse_order_reference(raw)
    if reference is None:
        return menu(call)
    if action == PAY_ACTION:
        return await pay(call, reference)
    if action == NOT_MINE_ACTION:
        return call.stay(effects=(DeclineOrder(reference),))
    return menu(call)
