"""Form tokens, the address limit, languages and receipt tokens, each on its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.domain.records import Channel, PaymentStatus
from checkout.payments.ports import NewPayment
from checkout.platform.orders import OrderRequest, OrderService
from storage.database import session_factory
from storage.repositories.receipts import SqlReceiptTokens
from storage.unit_of_work import SqlUnitOfWork
from web.security import FORM_LIFETIME, AddressLimiter, FormTokens
from web.texts import accepted_language

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


class Ticker:
    """A clock in seconds that tests move by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_a_form_token_opens_only_its_own_orders_form_and_only_for_a_while() -> None:
    clock = Ticker()
    tokens = FormTokens(b"secret-one", clock=clock)
    token = tokens.issue("WW-1042")
    assert tokens.check("WW-1042", token)
    assert not tokens.check("WW-1043", token)
    assert not FormTokens(b"secret-two", clock=clock).check("WW-1042", token)
    issued, _, signature = token.partition(".")
    assert not tokens.check("WW-1042", f"{int(issued) + 1}.{signature}")
    assert not tokens.check("WW-1042", "")
    assert not tokens.check("WW-1042", "x" * 500)
    clock.now += FORM_LIFETIME + 1
    assert not tokens.check("WW-1042", token)


def test_the_address_limit_counts_a_sliding_minute_per_address() -> None:
    clock = Ticker(0.0)
    limiter = AddressLimiter(2, clock=clock)
    assert limiter.allow("10.0.0.1")
    assert limiter.allow("10.0.0.1")
    assert not limiter.allow("10.0.0.1")
    assert limiter.allow("10.0.0.2")
    clock.now = 60.5
    assert limiter.allow("10.0.0.1")


def test_the_browsers_language_is_read_by_weight() -> None:
    assert accepted_language("sw-KE,sw;q=0.9,en;q=0.8") == "sw"
    assert accepted_language("fr, en;q=0.5, sw;q=0.7") == "sw"
    assert accepted_language("en-GB") == "en"
    assert accepted_language("fr, de") is None
    assert accepted_language("sw;q=0, en;q=0.1") == "en"
    assert accepted_language("sw;q=abc") is None
    assert accepted_language(None) is None


async def test_a_payment_keeps_the_first_receipt_token_it_was_given(
    uow: Callable[[], SqlUnitOfWork], engine: AsyncEngine
) -> None:
    orders = OrderService(uow, clock=lambda: NOW)
    await orders.open(OrderRequest(amount=500, reference="WW-1"))
    async with uow() as unit:
        customer = await unit.customers.get_or_create(Channel.WEB, "WW-1", language="en", now=NOW)
        payment = await unit.payments.create_pending(
            NewPayment("WW-1", customer.id, Channel.WEB, "WW-1", 500, "254712345678", "en"),
            now=NOW,
        )
        await unit.commit()
    assert payment.status is PaymentStatus.PENDING
    tokens = SqlReceiptTokens(session_factory(engine))
    first = await tokens.token_for(payment.id, "a" * 32, now=NOW)
    again = await tokens.token_for(payment.id, "b" * 32, now=NOW)
    assert first == again == "a" * 32
    assert await tokens.payment_for("a" * 32) == payment.id
    assert await tokens.payment_for("b" * 32) is None
