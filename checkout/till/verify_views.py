"""The data of the staff's "Credit to order …" buttons, and where Lipa has a code already.

The words of "I already paid" and /verify are :mod:`checkout.i18n.till.verify`'s.
"""

from __future__ import annotations

from typing import Final

from checkout.domain.records import Payment
from checkout.i18n.till.verify import staff_reason as staff_reason
from checkout.till.records import LedgerEntry

# A staff "Credit to order …" button carries the command it stands for (staff buttons run
# their command as if typed by the presser): ``/verify credit <request id> <order>``.
CREDIT_COMMAND: Final = "/verify credit "


def credit_data(request_id: int, order_reference: str) -> str:
    """The data of the button crediting the code of request ``request_id`` to an order."""
    return f"{CREDIT_COMMAND}{request_id} {order_reference}"


def parse_credit_argument(argument: str) -> tuple[int, str] | None:
    """``(request id, order)`` from ``credit <request id> <order>`` (/verify's argument)."""
    words = argument.split()
    if len(words) != 3 or words[0].lower() != "credit" or not words[1].isdigit():
        return None
    return int(words[1]), words[2]


def parse_credit_data(data: str) -> tuple[int, str] | None:
    """``(request id, order)`` from a "Credit to order …" button's data, or None."""
    if not data.startswith(CREDIT_COMMAND):
        return None
    return parse_credit_argument(data.removeprefix("/verify "))


def known_where(known: LedgerEntry | Payment | None) -> str | None:
    """Where Lipa has a code already, in a few words (None: nowhere)."""
    if known is None:
        return None
    if isinstance(known, Payment):
        return f"STK payment {known.id}, order {known.order_reference} ({known.status.value})"
    order = f", order {known.order_reference}" if known.order_reference else ""
    return f"{known.source.value} {known.state.value}{order}"
