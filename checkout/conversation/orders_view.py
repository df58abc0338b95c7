"""What a chat says of its open orders (``/orders``) and of a "Not mine" press.

:class:`checkout.conversation.open_orders.OpenOrders` decides (which orders are open, payable,
declinable; whether a "Not mine" was recorded); this module puts that into the customer's
words, with a "Pay" and a "Not mine" button for each order that may have them.
"""

from __future__ import annotations

from checkout.conversation.open_orders import OpenOrder, OrderDeclined, OrdersListed, OrdersOutcome
from checkout.conversation.steps.orders import NOT_MINE_ACTION, PAY_ACTION, orders_data
from checkout.domain.money import format_number
from checkout.domain.records import Language
from checkout.domain.replies import Button, Reply
from checkout.i18n.payments.ways_out import held_time, w


def orders_replies(language: Language, outcome: OrdersOutcome, *, business: str) -> list[Reply]:
    """The reply to ``/orders`` or to a "Not mine" press; ``business`` is named in the latter."""
    if isinstance(outcome, OrderDeclined):
        return [declined_reply(language, outcome, business=business)]
    return [orders_reply(language, outcome)]


def orders_reply(language: Language, listed: OrdersListed) -> Reply:
    """The open orders with "Pay" and "Not mine", or that there are none."""
    if not listed.orders:
        return Reply(w(language, "orders_none"))
    lines = [w(language, "orders_header")]
    rows: list[tuple[Button, ...]] = []
    for item in listed.orders:
        lines.append(_line(language, item))
        row = []
        reference = item.order.reference
        if item.payable:
            label = w(language, "button_orders_pay", order=reference)
            row.append(Button(label, orders_data(PAY_ACTION, reference)))
        if item.declinable:
            label = w(language, "button_orders_not_mine", order=reference)
            row.append(Button(label, orders_data(NOT_MINE_ACTION, reference)))
        if row:
            rows.append(tuple(row))
    return Reply("\n".join(lines), buttons=tuple(rows))


def declined_reply(language: Language, declined: OrderDeclined, *, business: str) -> Reply:
    """ "Not mine" recorded (the business will look into it), or why it cannot be."""
    key = "orders_declined" if declined.accepted else "orders_decline_refused"
    return Reply(w(language, key, order=declined.reference, business=business))


def _line(language: Language, item: OpenOrder) -> str:
    order = item.order
    if item.held_until is not None:
        state = w(language, "orders_state_held", time=held_time(language, item.held_until))
    elif item.on_plan:
        state = w(language, "orders_state_plan")
    elif order.amount_paid > 0:
        state = w(language, "orders_state_part", paid=format_number(order.amount_paid))
    else:
        state = w(language, "orders_state_unpaid")
    line = w(
        language,
        "orders_line",
        order=order.reference,
        balance=format_number(order.balance),
        state=state,
    )
    if order.description:
        line += w(language, "orders_description", description=order.description)
    return line
