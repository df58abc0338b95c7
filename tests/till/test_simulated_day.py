"""A simulated day of 500 M-Pesa transactions: afterwards every one is matched or queued, and
every paid payment has its receipt (issue 14, "Done when").

The real service runs against the Daraja simulator over real sockets: 300 STK payments, 30 %
of whose callbacks are lost (the reconciler's STK Push Query settles those, without a receipt),
and 200 payments to the paybill with the right account number, a wrong one or none, a fifth of
whose confirmations are lost. Then one statement check (Pull Transactions) runs.
"""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from checkout.conversation.model import StartPayment
from checkout.domain.records import Channel, PaymentMethod, PaymentStatus
from checkout.till.credit import CreditOutcome
from checkout.till.records import LedgerState
from daraja.simulator.settings import SimulatorSettings
from lipa.demo import free_port
from lipa.service import Service
from lipa.settings import Settings
from lipa.statement import statement_check
from storage.models import MpesaTransactionRow, PaymentRow
from tests.e2e.conftest import StartService
from webhook.till import c2b_confirm_path, c2b_validate_path, pull_path

STK_COUNT = 300
RIGHT, WRONG, MISSING_FITTING, MISSING_ALONE = 100, 50, 25, 25


def settings_for(database_url: str) -> Settings:
    port = free_port()
    values: dict[str, Any] = {
        "database_url": database_url,
        "mpesa_environment": "simulator",
        "mpesa_callback_secret": "callback-secret-for-tests",
        "host": "127.0.0.1",
        "port": port,
        "public_base_url": f"http://127.0.0.1:{port}",
        "reconcile_after_seconds": 0.3,
        "payment_expiry_seconds": 3600,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def phone(number: int) -> str:
    return f"25471{number:07d}"


async def wait_until(check: Any, seconds: float = 90.0) -> None:
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - the database has no event to wait on
            await asyncio.sleep(0.1)


async def test_a_day_of_500_transactions_leaves_each_matched_or_queued_with_receipts(
    start_service: StartService, database_url: str
) -> None:
    rng = random.Random(14)
    simulator = SimulatorSettings(callback_delay=3600, seed=14)
    service: Service = await start_service(settings_for(database_url), simulator=simulator)
    lipa = service.lipa
    assert lipa is not None
    assert lipa.simulator is not None
    daraja = lipa.simulator.daraja
    base = lipa.settings.public_base_url
    secret = lipa.callback_secret
    await lipa.daraja.register_c2b_urls(
        confirmation_url=base + c2b_confirm_path(secret),
        validation_url=base + c2b_validate_path(secret),
    )
    daraja.c2b.callback_delay = 0.0

    # --- 300 STK payments, 30 % of their callbacks lost
    lost = 0
    for i in range(STK_COUNT):
        reference, amount, number = f"ST-{i}", 100 + 7 * i, phone(i)
        async with lipa.units() as unit:
            await unit.orders.create(reference, amount, known=True)
            customer = await unit.customers.get_or_create(
                Channel.WEB, reference, language="en", now=lipa.till.clock()
            )
            await unit.commit()
        await lipa.payments.start(
            customer, "en", StartPayment(reference, amount, number, order_known=True)
        )
        daraja.callback_copies = 0 if rng.random() < 0.3 else 1
        lost += daraja.callback_copies == 0
        await daraja.settle_phone(number, 0)
    assert 60 < lost < 120

    # --- 200 payments to the paybill: right, wrong and missing account numbers
    expected_credit: dict[str, int] = {}
    confirmed = 0
    payers = iter(range(1000, 2000))
    for j in range(RIGHT + WRONG + MISSING_FITTING + MISSING_ALONE):
        number = phone(next(payers))
        amount = 5000 + 13 * j
        if j < RIGHT:
            reference = f"CB-{j}"
            account = rng.choice([reference, reference.lower(), f" {reference} "])
            await _order(lipa, reference, amount, None)
            expected_credit[reference] = amount
        elif j < RIGHT + WRONG + MISSING_FITTING:
            reference = f"CW-{j}"
            account = f"SHOES {j}" if j < RIGHT + WRONG else ""
            await _order(lipa, reference, amount, number)
            expected_credit[reference] = amount
        else:
            account = ""
        daraja.c2b.callback_copies = 0 if rng.random() < 0.2 else 1
        confirmed += daraja.c2b.callback_copies
        await daraja.c2b.pay(phone=number, amount=amount, account=account)

    # --- the reconciler settles the lost callbacks; confirmations arrive
    async def settled() -> bool:
        async with lipa.units() as unit:
            pending = await unit.session.scalar(
                select(func.count()).where(PaymentRow.status == PaymentStatus.PENDING.value)
            )
        return pending == 0

    await wait_until(settled)
    assert 20 < 200 - confirmed < 60

    async def confirmations_in() -> bool:
        async with lipa.units() as unit:
            count = await unit.session.scalar(select(func.count(MpesaTransactionRow.id)))
        return count == confirmed

    await wait_until(confirmations_in)
    async with lipa.units() as unit:
        receiptless = await unit.session.scalar(
            select(func.count()).where(
                PaymentRow.status == PaymentStatus.PAID.value, PaymentRow.receipt_number.is_(None)
            )
        )
    assert receiptless == lost  # the query settled them: no receipt yet

    # --- the statement check
    await lipa.daraja.register_pull(
        nominated_number="0712345678", callback_url=base + pull_path(secret)
    )
    check = statement_check(lipa)
    now = lipa.till.clock()
    report = await check.run_once(now - timedelta(hours=1), now + timedelta(minutes=1))
    assert len(report.results) == STK_COUNT + len(expected_credit) + MISSING_ALONE
    assert CreditOutcome.WAITING not in report.counts

    # Every transaction of the shortcode is in Lipa's books: matched, credited or queued.
    statement = {transaction.transaction_id: transaction for transaction in daraja.ledger.all()}
    assert len(statement) == 500
    async with lipa.units() as unit:
        entries = {code: await unit.till.get(code) for code in statement}
        payments = (await unit.session.execute(select(PaymentRow.__table__))).all()
        orders = {reference: await unit.orders.get(reference) for reference in expected_credit}
        queue = await unit.till.unmatched(limit=100)
    assert all(entry is not None for entry in entries.values())
    states = {entry.state for entry in entries.values() if entry is not None}
    assert states <= {LedgerState.MATCHED, LedgerState.CREDITED, LedgerState.UNMATCHED}

    # Every paid payment has a receipt, and it is the one M-Pesa gave that phone and amount.
    paid = [p for p in payments if p.status == PaymentStatus.PAID.value]
    assert len(paid) == STK_COUNT + len(expected_credit)
    for payment in paid:
        assert payment.receipt_number is not None
        moved = statement[payment.receipt_number]
        assert moved.amount == payment.amount
        if payment.method == PaymentMethod.STK.value:
            assert moved.phone == payment.phone

    # Each C2B payment credited its order once, however it came (confirmation or statement).
    for reference, amount in expected_credit.items():
        order = orders[reference]
        assert order is not None
        assert order.amount_paid == amount, reference
    # Only the payments with no account and no fitting order wait for the staff.
    assert len(queue) == MISSING_ALONE

    # A second pass finds nothing new.
    again = await check.run_once(now - timedelta(hours=1), now + timedelta(minutes=1))
    assert set(again.counts) == {CreditOutcome.DUPLICATE}


async def _order(lipa: Any, reference: str, amount: int, customer_phone: str | None) -> None:
    async with lipa.units() as unit:
        await unit.order_book.create_if_absent(
            reference,
            amount,
            description=None,
            customer_phone=customer_phone,
            now=lipa.till.clock(),
        )
        await unit.commit()
