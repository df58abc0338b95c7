"""What the conversation asks of payments: a push for an order (the flow's effect that
:mod:`checkout.payments.start` carries out).

It lives in this area, below the conversation, so the service never imports the flow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StartPayment:
    """Send an STK push for ``amount`` shillings against ``order_reference`` from ``phone``.

    ``phone`` is already normalised to ``2547XXXXXXXX``/``2541XXXXXXXX``. ``order_known`` is
    false for a reference the business did not know (allowed by ``ACCEPT_UNKNOWN_ORDERS``);
    the service then creates the order with the amount as its balance.
    """

    order_reference: str
    amount: int
    phone: str
    order_known: bool
