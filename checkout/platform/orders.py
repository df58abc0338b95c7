"""Creating orders for staff and the business's platform, and reading what was paid on them.

Creating is idempotent on the caller's reference: the same request twice makes one order and
gets the same answer; the same reference with different terms is a conflict, never a silent
change of what a customer owes. References Lipa generates are random and checked for
uniqueness by the database itself.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from checkout.domain.money import MAX_AMOUNT, MIN_AMOUNT, AmountError, check_amount
from checkout.domain.phones import PhoneError, normalise_phone
from checkout.domain.records import Order, Payment
from checkout.domain.references import parse_order_reference
from checkout.domain.summaries import PaymentCursor, PaymentPage
from checkout.domain.time import Clock
from checkout.platform.desk import OrderChange, OrderDesk
from checkout.platform.events import EventPublisher
from checkout.platform.ports import PlatformUnitOfWorkFactory

MAX_DESCRIPTION: Final = 200  # the orders.description column
MAX_PAGE: Final = 500
# No 0/O or 1/I: generated references are read aloud and typed on phones.
_REFERENCE_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_GENERATE_ATTEMPTS: Final = 5


class OrderInputError(ValueError):
    """A field of an order request broke a rule; ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class OrderConflict(Exception):
    """The reference belongs to an order with other terms; ``field`` names the first difference."""

    def __init__(self, field: str, message: str, existing: Order) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.existing = existing


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A checked request for an order: every value already follows the checkout's rules."""

    amount: int
    reference: str | None = None
    customer_phone: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class OpenedOrder:
    """The order a request names, and whether this request created it."""

    order: Order
    created: bool


@dataclass(frozen=True, slots=True)
class OrderState:
    """An order and every payment made against it, oldest first."""

    order: Order
    payments: tuple[Payment, ...]


def generate_reference() -> str:
    """A fresh reference like ``K7M2-Q9XD``: 40 random bits, easy to read out and type."""
    characters = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{characters[:4]}-{characters[4:]}"


def order_request(
    *,
    amount: object,
    reference: object = None,
    customer_phone: object = None,
    description: object = None,
) -> OrderRequest:
    """Check raw values (from JSON or a staff command); raises :class:`OrderInputError`."""
    return OrderRequest(
        amount=_amount(amount),
        reference=_reference(reference),
        customer_phone=_phone(customer_phone),
        description=_description(description),
    )


def order_change(fields: dict[str, object]) -> OrderChange:
    """Check a change of terms (``amount`` and/or ``description``, by the creation rules);
    raises :class:`OrderInputError`. A null description clears it; a null amount is refused."""
    if not fields.keys() & {"amount", "description"}:
        raise OrderInputError("amount", "give amount or description (or both) to change")
    amount = _amount(fields["amount"]) if "amount" in fields else None
    given = "description" in fields
    return OrderChange(
        amount=amount,
        description=_description(fields["description"]) if given else None,
        description_given=given,
    )


def _amount(value: object) -> int:
    rule = f"must be a whole number of shillings from {MIN_AMOUNT} to {MAX_AMOUNT:,}"
    # bool is an int subclass; true must not become one shilling.
    if not isinstance(value, int) or isinstance(value, bool):
        raise OrderInputError("amount", rule)
    try:
        return check_amount(value)
    except AmountError:
        raise OrderInputError("amount", rule) from None


def _reference(value: object) -> str | None:
    if value is None:
        return None
    reference = parse_order_reference(value) if isinstance(value, str) else None
    if reference is None:
        raise OrderInputError(
            "reference", "must be 1 to 12 letters, digits or hyphens (it is shown on M-Pesa)"
        )
    return reference


def _phone(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise OrderInputError("customer_phone", "must be a string")
    try:
        return normalise_phone(value)
    except PhoneError as error:
        reason = {
            "not_kenyan": "must be a Kenyan number",
            "not_mobile": "must be a mobile number, not a landline",
        }.get(error.reason.value, "is not a valid Kenyan mobile number")
        raise OrderInputError("customer_phone", reason) from None


def _description(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise OrderInputError("description", "must be a string")
    text = " ".join(value.split())  # one line: it is shown in chats and CSV files
    # NUL cannot be stored by PostgreSQL and a lone surrogate is not text at all; other
    # control characters would garble chats and CSV files.
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in text):
        raise OrderInputError(
            "description", "must be plain text, without control characters or lone surrogates"
        )
    if len(text) > MAX_DESCRIPTION:
        raise OrderInputError("description", f"must be at most {MAX_DESCRIPTION} characters")
    return text or None


def difference(order: Order, request: OrderRequest) -> str | None:
    """The first field in which an existing order differs from a request, or None."""
    if not order.known:
        return "reference"
    if order.amount_due != request.amount:
        return "amount"
    if order.customer_phone != request.customer_phone:
        return "customer_phone"
    if order.description != request.description:
        return "description"
    return None


class OrderService:
    """Opens orders and reports their state and the payments settled on them; its ``desk``
    lists, changes and cancels them and reads their plans."""

    def __init__(
        self,
        units: PlatformUnitOfWorkFactory,
        *,
        clock: Clock,
        new_reference: Callable[[], str] = generate_reference,
        events: EventPublisher | None = None,
    ) -> None:
        """``events``: where ``order.updated`` and ``order.cancelled`` go (None: nowhere)."""
        self._units = units
        self._clock = clock
        self._new_reference = new_reference
        self.desk = OrderDesk(units, clock=clock, events=events)

    async def open(self, request: OrderRequest) -> OpenedOrder:
        """Create the order, or return it unchanged for a repeated request.

        Raises :class:`OrderConflict` when the reference is taken by an order with other terms.
        """
        if request.reference is None:
            return await self._open_generated(request)
        async with self._units() as unit:
            existing = await unit.orders.get(request.reference)
            created = None
            if existing is None:
                created = await unit.order_book.create_if_absent(
                    request.reference,
                    request.amount,
                    description=request.description,
                    customer_phone=request.customer_phone,
                    now=self._clock(),
                )
                # None: another request created it a moment ago; compare with that one.
                existing = created or await unit.orders.get(request.reference)
            await unit.commit()
        if existing is None:  # taken by another request, yet gone: orders are never deleted
            raise LookupError(f"order {request.reference} vanished")
        if created is not None:
            return OpenedOrder(created, created=True)
        field = difference(existing, request)
        if field is not None:
            raise OrderConflict(
                field,
                f"order {existing.reference} exists with a different {field}",
                existing,
            )
        return OpenedOrder(existing, created=False)

    async def _open_generated(self, request: OrderRequest) -> OpenedOrder:
        for _attempt in range(_GENERATE_ATTEMPTS):
            reference = self._new_reference()
            async with self._units() as unit:
                created = await unit.order_book.create_if_absent(
                    reference,
                    request.amount,
                    description=request.description,
                    customer_phone=request.customer_phone,
                    now=self._clock(),
                )
                await unit.commit()
            if created is not None:
                return OpenedOrder(created, created=True)
        # 40 random bits make this a sign of a broken generator, not of bad luck.
        raise RuntimeError(f"no free reference after {_GENERATE_ATTEMPTS} attempts")

    async def state(self, reference: str) -> OrderState | None:
        """The order with this reference and its payments, or None."""
        async with self._units() as unit:
            order = await unit.orders.get(reference)
            if order is None:
                return None
            payments = await unit.order_book.payments_for_order(reference)
        return OrderState(order, tuple(payments))

    async def settled_payments(
        self, *, since: datetime, after: PaymentCursor | None = None, limit: int = 100
    ) -> PaymentPage:
        """Payments settled at or after ``since``, in settle order, one page at a time."""
        if not 1 <= limit <= MAX_PAGE:
            raise OrderInputError("limit", f"must be from 1 to {MAX_PAGE}")
        async with self._units() as unit:
            return await unit.order_book.settled_page(since=since, after=after, limit=limit)
