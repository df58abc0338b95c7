"""A year of a large business's payments, written by the database itself.

Orders are spread over the last 365 days between 06:00 and 21:00 Nairobi time, 40 % of
weekend orders moved two days back (weekdays are busier), none later than an hour and a bit
before now; a third as many orders as payments, 70 % of them paid, 5 % partly paid. Each
payment belongs to a random order and follows it within 30 minutes; ids grow with time, as
they do in a live database. Payments: 72 % paid, 9 % failed, 12 % cancelled, 7 % expired;
55 % Telegram, 30 % USSD, 10 % WhatsApp, 5 % the web page; 30 % in Swahili; 5 % paid to the
till; a customer (phone) for every five payments. Beside them: Buy-Now-Pay-Later plans with
their installments (one per 500 payments) and completed refunds (one per 250 payments).

Times are written exactly as the application writes them: on SQLite the text
``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC (SQLAlchemy's format, compared as text by every
query), on PostgreSQL ``timestamptz``.

The random draws of a row are made once (a MATERIALIZED table on SQLite, a subquery that
PostgreSQL keeps because of its volatile ``random()``): SQLite evaluates an inlined
``random()`` again wherever the column is used, which gave a row a status from one draw and
a receipt from another, and orders from a single day.

For the load the tables' secondary indexes are dropped and made again afterwards (a sort
each, instead of a million random B-tree inserts per index); on SQLite the load runs with
``synchronous=OFF`` and a large page cache, on PostgreSQL without the foreign-key triggers
(``session_replication_role = replica``; every reference is made valid by construction).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import create_engine
from storage.models import CustomerRow, InstallmentRow, PlanRow, RefundRow

LOADED_TABLES = ("orders", "payments")
PAYMENTS_PER_CUSTOMER = 5
PAYMENTS_PER_PLAN = 500
PAYMENTS_PER_REFUND = 250
INSTALLMENTS = 4  # the deposit (number 0) and three monthly payments

_ORDER_STATUS = (
    "CASE WHEN x < 70 THEN 'paid' WHEN x < 75 THEN 'partly_paid' ELSE 'open' END",
    "CASE WHEN x < 70 THEN due WHEN x < 75 THEN due / 2 ELSE 0 END",
)
_STATUS = (
    "CASE WHEN outcome < 72 THEN 'paid' WHEN outcome < 81 THEN 'failed' "
    "WHEN outcome < 93 THEN 'cancelled' ELSE 'expired' END"
)
_RESULT_CODE = (
    "CASE WHEN outcome < 72 THEN 0 WHEN outcome < 81 THEN 1 WHEN outcome < 93 THEN 1032 END"
)
_CHANNEL = (
    "CASE WHEN channel < 55 THEN 'telegram' WHEN channel < 85 THEN 'ussd' "
    "WHEN channel < 95 THEN 'whatsapp' ELSE 'web' END"
)
_PAYMENT_COLUMNS = """
INSERT INTO payments (id, order_id, channel, chat_key, language, amount, phone, status,
                      checkout_request_id, merchant_request_id, result_code,
                      result_description, receipt_number, created_at, requested_at,
                      settled_at, updated_at, check_attempts, method)"""

SQLITE_ORDERS = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :orders),
drawn AS MATERIALIZED (
    SELECT abs(random()) % 365 AS day, abs(random()) % 10 AS move,
           abs(random()) % 54000 AS second, 100 + abs(random()) % 19900 AS due,
           abs(random()) % 100 AS x
    FROM n),
moved AS (
    SELECT CASE WHEN move < 4 AND strftime('%w', 'now', '-' || day || ' days') IN ('0', '6')
                THEN day + 2 ELSE day END AS day, second, due, x
    FROM drawn),
placed AS (
    SELECT julianday('now', 'start of day') - day + (10800 + second) / 86400.0 AS t, due, x
    FROM moved),
capped AS (
    SELECT CASE WHEN t > julianday('now') - 0.05 THEN t - 1 ELSE t END AS t, due, x
    FROM placed),
numbered AS (
    SELECT row_number() OVER (ORDER BY t) AS i,
           strftime('%Y-%m-%d %H:%M:%S', t) || '.000000' AS at, due, x
    FROM capped)
INSERT INTO orders (id, reference, amount_due, amount_paid, status, known, created_at,
                    updated_at)
SELECT i, 'Y' || printf('%07d', i), due, {_ORDER_STATUS[1]}, {_ORDER_STATUS[0]}, 1, at, at
FROM numbered
"""  # noqa: S608 - the CASE expressions are constants of this module

SQLITE_PAYMENTS = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :payments),
drawn AS MATERIALIZED (
    SELECT 1 + abs(random()) % :orders AS order_id, abs(random()) % 100 AS outcome,
           abs(random()) % 100 AS channel, abs(random()) % 10 AS lang,
           abs(random()) % :customers AS customer, abs(random()) % 1800 AS later,
           10 + abs(random()) % 15000 AS amount, abs(random()) % 20 AS till
    FROM n),
timed AS (
    SELECT drawn.*, julianday(o.created_at) + later / 86400.0 AS t
    FROM drawn JOIN orders AS o ON o.id = drawn.order_id),
numbered AS (
    SELECT row_number() OVER (ORDER BY t) AS i, *,
           '2547' || printf('%08d', (customer * 7919) % 100000000) AS phone,
           strftime('%Y-%m-%d %H:%M:%S', t) || '.000000' AS created,
           strftime('%Y-%m-%d %H:%M:%S', t + 40 / 86400.0) || '.000000' AS settled
    FROM timed)
{_PAYMENT_COLUMNS}
SELECT i, order_id, {_CHANNEL},
       CASE WHEN channel >= 55 AND channel < 95 THEN phone ELSE 'chat' || customer END,
       CASE WHEN lang < 3 THEN 'sw' ELSE 'en' END, amount, phone, {_STATUS},
       'ws_CO_year_' || i, 'm-year-' || i, {_RESULT_CODE}, {_STATUS},
       CASE WHEN outcome < 72 THEN 'Y' || printf('%09d', i) END,
       created, created, settled, settled, 0, CASE WHEN till = 0 THEN 'till' ELSE 'stk' END
FROM numbered
"""  # noqa: S608 - the CASE expressions are constants of this module

_UTC_MIDNIGHT = "(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
POSTGRES_ORDERS = f"""
INSERT INTO orders (id, reference, amount_due, amount_paid, status, known, created_at,
                    updated_at)
SELECT i, 'Y' || lpad(i::text, 7, '0'), due, {_ORDER_STATUS[1]}, {_ORDER_STATUS[0]}, true,
       t, t
FROM (SELECT row_number() OVER (ORDER BY t) AS i, t, due, x
      FROM (SELECT CASE WHEN t > now() - interval '72 minutes' THEN t - interval '1 day'
                        ELSE t END AS t, due, x
            FROM (SELECT CASE WHEN extract(isodow FROM d AT TIME ZONE 'UTC') > 5
                                   AND move < 0.4
                              THEN d - interval '2 days' ELSE d END AS t, due, x
                  FROM (SELECT {_UTC_MIDNIGHT} - floor(random() * 365) * interval '1 day'
                               + interval '3 hours'
                               + floor(random() * 54000) * interval '1 second' AS d,
                               random() AS move, 100 + floor(random() * 19900)::int AS due,
                               floor(random() * 100)::int AS x
                        FROM generate_series(1, :orders)) AS drawn) AS moved) AS capped
     ) AS numbered
"""  # noqa: S608 - the CASE expressions are constants of this module

POSTGRES_PAYMENTS = f"""
{_PAYMENT_COLUMNS}
SELECT i, order_id, {_CHANNEL},
       CASE WHEN channel >= 55 AND channel < 95 THEN phone ELSE 'chat' || customer END,
       CASE WHEN lang < 3 THEN 'sw' ELSE 'en' END, amount, phone, {_STATUS},
       'ws_CO_year_' || i, 'm-year-' || i, {_RESULT_CODE}, {_STATUS},
       CASE WHEN outcome < 72 THEN 'Y' || lpad(i::text, 9, '0') END,
       t, t, t + interval '40 seconds', t + interval '40 seconds', 0,
       CASE WHEN till = 0 THEN 'till' ELSE 'stk' END
FROM (SELECT row_number() OVER (ORDER BY t) AS i, *,
             '2547' || lpad(((customer::bigint * 7919) % 100000000)::text, 8, '0') AS phone
      FROM (SELECT drawn.*, o.created_at + later * interval '1 second' AS t
            FROM (SELECT 1 + floor(random() * :orders)::int AS order_id,
                         floor(random() * 100)::int AS outcome,
                         floor(random() * 100)::int AS channel,
                         floor(random() * 10)::int AS lang,
                         floor(random() * :customers)::int AS customer,
                         floor(random() * 1800)::int AS later,
                         10 + floor(random() * 15000)::int AS amount,
                         floor(random() * 20)::int AS till
                  FROM generate_series(1, :payments)) AS drawn
            JOIN orders AS o ON o.id = drawn.order_id) AS timed) AS numbered
"""  # noqa: S608 - the CASE expressions are constants of this module

# For the load only: no waiting for the disk, a 256 MiB page cache; no foreign-key triggers.
SQLITE_LOAD = (
    "PRAGMA synchronous = OFF",
    "PRAGMA cache_size = -262144",
    "PRAGMA temp_store = MEMORY",
)
POSTGRES_LOAD = ("SET session_replication_role = replica", "SET maintenance_work_mem = '256MB'")
SQLITE_INDEXES = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
    "AND tbl_name IN ('orders', 'payments')"
)
# Indexes that back no constraint (the primary keys and unique constraints stay).
POSTGRES_INDEXES = (
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('orders', 'payments') "
    "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
)
SEQUENCE_RESETS = tuple(
    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"  # noqa: S608
    for table in ("orders", "payments", "customers", "plans", "installments", "refunds")
)
FOUND = (
    "SELECT receipt_number, phone FROM payments WHERE receipt_number IS NOT NULL "
    "ORDER BY id DESC LIMIT 1"
)


async def fill(url: str, count: int) -> tuple[str, str]:
    """Write the year of ``count`` payments; a receipt number and a phone that exist in it.

    Prints how long each step took."""
    orders = max(count // 3, 1)
    customers = max(count // PAYMENTS_PER_CUSTOMER, 1)
    steps = _Steps()
    engine = create_engine(url)
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        for statement in SQLITE_LOAD if sqlite else POSTGRES_LOAD:
            await connection.exec_driver_sql(statement)
        found = text(SQLITE_INDEXES if sqlite else POSTGRES_INDEXES)
        indexes = (await connection.execute(found)).all()
        for name, _ in indexes:
            await connection.exec_driver_sql(f'DROP INDEX "{name}"')
        made = (SQLITE_ORDERS, SQLITE_PAYMENTS) if sqlite else (POSTGRES_ORDERS, POSTGRES_PAYMENTS)
        parameters = {"orders": orders, "payments": count, "customers": customers}
        await connection.execute(text(made[0]), parameters)
        steps.done("orders")
        await connection.execute(text(made[1]), parameters)
        steps.done("payments")
        for _, definition in indexes:
            await connection.exec_driver_sql(definition)
        steps.done(f"{len(indexes)} indexes")
        await _plans_and_refunds(connection, count)
        if not sqlite:
            await connection.exec_driver_sql("SET session_replication_role = DEFAULT")
            for statement in SEQUENCE_RESETS:
                await connection.execute(text(statement))
        await connection.commit()
        steps.done("plans, refunds, commit")
        if sqlite:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    # Statistics for the planner; on PostgreSQL also the visibility map (a year-old database
    # has been vacuumed many times): a count over an index then reads the index only.
    statistics = "ANALYZE" if sqlite else "VACUUM ANALYZE"
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql(statistics)
    async with engine.connect() as connection:
        receipt, phone = (await connection.execute(text(FOUND))).one()
    await engine.dispose()
    steps.done(f"checkpoint, {statistics}")
    print(f"  made: {steps}", flush=True)
    return str(receipt), str(phone)


class _Steps:
    """How long each step of the load took."""

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self._steps: list[str] = []

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self._steps.append(f"{name} {now - self._last:.1f} s")
        self._last = now

    def __str__(self) -> str:
        return ", ".join(self._steps)


async def _plans_and_refunds(connection: AsyncConnection, count: int) -> None:
    """Plans with their installments and customers, and completed refunds of paid payments.

    A few thousand rows: made here and sent in bulk. Plans' unpaid installments all fall
    due after the benchmark (and their reminders too), so the collector has nothing to push.
    """
    rng = random.Random(20)
    now = datetime.now(UTC)
    plans = max(count // PAYMENTS_PER_PLAN, 1)
    orders = (
        await connection.execute(text(_PLAN_ORDERS), {"every": max(count // 3 // plans, 1)})
    ).all()
    customer_rows: list[dict[str, Any]] = []
    plan_rows: list[dict[str, Any]] = []
    installment_rows: list[dict[str, Any]] = []
    for number, (order_id, due) in enumerate(orders[:plans], start=1):
        created = now - timedelta(days=rng.randrange(2, 365), seconds=rng.randrange(86_400))
        young = now - created < timedelta(days=90)
        status = (
            ("active" if rng.random() < 0.9 else "overdue")
            if young
            else ("completed" if rng.random() < 0.9 else "cancelled")
        )
        phone = f"2547{rng.randrange(10**8):08d}"
        customer_rows.append(_customer(number, phone, created))
        plan_rows.append(
            {
                "id": number,
                "order_id": order_id,
                "customer_id": number,
                "channel": "telegram",
                "chat_key": f"plan{number}",
                "language": "en",
                "phone": phone,
                "status": status,
                "total": max(int(due), INSTALLMENTS),
                "created_at": created,
                "updated_at": created,
            }
        )
        installment_rows += _installments(number, status, created, int(due), now)
    for table, rows in (
        (CustomerRow, customer_rows),
        (PlanRow, plan_rows),
        (InstallmentRow, installment_rows),
    ):
        await connection.execute(insert(table), rows)
    paid = (await connection.execute(text(_REFUNDED), {"every": PAYMENTS_PER_REFUND})).all()
    refunds = [_refund(number, row, now, rng) for number, row in enumerate(paid, start=1)]
    if refunds:
        await connection.execute(insert(RefundRow), refunds)


_PLAN_ORDERS = "SELECT id, amount_due FROM orders WHERE id % :every = 0 ORDER BY id"
_REFUNDED = (
    "SELECT p.id, o.reference, p.receipt_number, p.amount, p.settled_at FROM payments AS p "
    "JOIN orders AS o ON o.id = p.order_id "
    "WHERE p.status = 'paid' AND p.id % :every = 0 ORDER BY p.id"
)


def _customer(number: int, phone: str, created: datetime) -> dict[str, Any]:
    return {
        "id": number,
        "channel": "telegram",
        "chat_key": f"plan{number}",
        "phone": phone,
        "language": "en",
        "created_at": created,
        "updated_at": created,
    }


def _installments(
    plan: int, status: str, created: datetime, total: int, now: datetime
) -> Sequence[dict[str, Any]]:
    """The deposit and monthly installments; those due before now are paid (or overdue)."""
    rows = []
    share = max(total // INSTALLMENTS, 1)
    for number in range(INSTALLMENTS):
        due = created + timedelta(days=30 * number)
        past = due <= now
        if status == "completed" or (past and status == "active") or number == 0:
            state = "paid"
        elif status == "cancelled":
            state = "cancelled"
        elif past or status == "overdue":
            state = "overdue"
        else:
            state = "due"
        waiting = state == "due"
        rows.append(
            {
                "plan_id": plan,
                "number": number,
                "amount": share,
                "due_at": due,
                "status": state,
                "attempts": 0,
                "next_attempt_at": due if waiting else None,
                "remind_at": due - timedelta(days=2)
                if waiting and due - timedelta(days=2) > now + timedelta(hours=1)
                else None,
                "paid_at": due if state == "paid" else None,
                "overdue_at": due + timedelta(days=3) if state == "overdue" else None,
            }
        )
    return rows


def _refund(number: int, row: Any, now: datetime, rng: random.Random) -> dict[str, Any]:
    """A refund that went back a few hours after the payment (whole: reversal; else B2C)."""
    payment_id, reference, receipt, amount, settled = row
    settled = settled if isinstance(settled, datetime) else datetime.fromisoformat(settled)
    settled = settled if settled.tzinfo else settled.replace(tzinfo=UTC)
    whole = rng.random() < 0.7
    finished = min(settled + timedelta(hours=rng.randrange(1, 48)), now - timedelta(minutes=5))
    return {
        "id": number,
        "payment_id": payment_id,
        "order_reference": reference,
        "receipt": receipt,
        "amount": amount if whole else max(amount // 2, 1),
        "reason": "returned goods",
        "requested_by": "staff:7001",
        "approved_by": "staff:7002",
        "state": "completed",
        "method": "reversal" if whole else "b2c",
        "transaction_id": f"RF{number:08d}",
        "result_code": "0",
        "requested_at": settled,
        "decided_at": settled,
        "sent_at": finished,
        "finished_at": finished,
        "updated_at": finished,
    }
