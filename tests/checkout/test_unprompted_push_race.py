"""Two pushes for one order and phone started at once with nobody behind them (the plan
collector's, which no push limit holds): one payment, the other refused as already paying,
on SQLite and PostgreSQL.

On PostgreSQL the order's row lock makes the two take turns. On SQLite the driver begins a
transaction only at its first write, so the order holds its turn with a write first: the
"already paying" check must not read rows the other push changes before its own insert.
"""

from __future__ import annotations

import asyncio

from checkout.domain.outcomes import PaymentRefused, PushStarted, Refusal
from checkout.domain.records import Channel
from checkout.payments.requests import StartPayment
from checkout.payments.settling.settle import SettlementService
from checkout.payments.start import PaymentService
from lipa_testing.clocks import SettableClock
from lipa_testing.gateway import FakeGateway
from storage.unit_of_work import SqlUnits


async def test_two_unprompted_pushes_at_once_make_one_payment(uow: SqlUnits) -> None:
    clock = SettableClock()
    payments = PaymentService(uow, FakeGateway(), SettlementService(uow, clock=clock), clock=clock)
    references = [f"RACE-{n}" for n in range(5)]
    async with uow() as unit:
        for reference in references:
            await unit.orders.create(reference, 3000, known=True)
        customer = await unit.customers.get_or_create(
            Channel.TELEGRAM, "42", language="en", now=clock()
        )
        await unit.commit()

    for reference in references:  # several tries: the race needs the two to interleave
        request = StartPayment(reference, 1000, "254712345678", order_known=True)
        results = await asyncio.gather(
            payments.queue(customer, "en", request), payments.queue(customer, "en", request)
        )
        started = [r for r in results if isinstance(r, PushStarted)]
        refused = [r.reason for r in results if isinstance(r, PaymentRefused)]
        assert len(started) == 1, results
        assert refused == [Refusal.ALREADY_PAYING]
        async with uow() as unit:
            pending = await unit.payments.pending_for_order(reference)
        assert [p.id for p in pending] == [started[0].payment.id]
