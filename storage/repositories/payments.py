"""Payments: one row per STK push, settled exactly once."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    Row,
    String,
    Table,
    bindparam,
    case,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningUpdate

from checkout.domain.records import Channel, Language, Payment, PaymentMethod, PaymentStatus
from checkout.payments.ports import NewPayment, ReceiptDetails, Settlement
from storage.models import OrderRow, PaymentRow, PushRequestRow


def _language(value: str) -> Language:
    return "sw" if value == "sw" else "en"


def to_payment(row: PaymentRow | Row[Any], order_reference: str) -> Payment:
    """The checkout record for a payment row (an ORM object or a Core row of its columns)."""
    return Payment(
        id=row.id,
        order_reference=order_reference,
        customer_id=row.customer_id,
        channel=Channel(row.channel),
        chat_key=row.chat_key,
        amount=row.amount,
        phone=row.phone,
        status=PaymentStatus(row.status),
        created_at=row.created_at,
        merchant_request_id=row.merchant_request_id,
        checkout_request_id=row.checkout_request_id,
        result_code=row.result_code,
        result_description=row.result_description,
        receipt_number=row.receipt_number,
        settled_at=row.settled_at,
        language=_language(row.language),
        check_attempts=row.check_attempts,
        transaction_date=row.transaction_date,
        reported_amount=row.reported_amount,
        result_code_text=row.result_code_text,
        method=PaymentMethod(row.method),
    )


def to_payments(rows: Iterable[Row[Any]]) -> list[Payment]:
    """The checkout records for rows of ``PAYMENTS_WITH_REFERENCE``."""
    return [to_payment(row, row.reference) for row in rows]


# Statements are Core on the tables, the frequent ones built once: a reused statement keeps
# its cache key, and Core skips the ORM's per-statement work (identity map, loading).
PAYMENTS = cast(Table, PaymentRow.__table__)
ORDERS = cast(Table, OrderRow.__table__)
# Every payment column and its order's reference: what ``to_payments`` reads. The order book
# and reports add their own conditions to it.
PAYMENTS_WITH_REFERENCE = select(PAYMENTS, ORDERS.c.reference).join(
    ORDERS, ORDERS.c.id == PAYMENTS.c.order_id
)
_BY_CHECKOUT_ID = PAYMENTS_WITH_REFERENCE.where(
    PAYMENTS.c.checkout_request_id == bindparam("checkout_request_id")
)
_BY_CHECKOUT_IDS = PAYMENTS_WITH_REFERENCE.where(
    PAYMENTS.c.checkout_request_id.in_(bindparam("checkout_request_ids", expanding=True))
)
_PENDING_FOR_ORDER = PAYMENTS_WITH_REFERENCE.where(
    ORDERS.c.reference == bindparam("reference"),
    PAYMENTS.c.status == PaymentStatus.PENDING.value,
).order_by(PAYMENTS.c.id)
_RECENT_FOR_CHAT = (
    PAYMENTS_WITH_REFERENCE.where(
        PAYMENTS.c.channel == bindparam("channel"),
        PAYMENTS.c.chat_key == bindparam("chat_key"),
    )
    .order_by(PAYMENTS.c.id.desc())
    .limit(bindparam("limit"))
)
_MARK_REQUESTED = (
    update(PAYMENTS)
    .where(PAYMENTS.c.id == bindparam("b_id"))
    .values(
        merchant_request_id=bindparam("b_merchant_request_id"),
        checkout_request_id=bindparam("b_checkout_request_id"),
    )
)
# A pending payment for the order with this reference (no row if there is no such order).
_CREATE_PENDING = (
    PAYMENTS.insert()
    .from_select(
        [
            "order_id",
            "customer_id",
            "channel",
            "chat_key",
            "language",
            "amount",
            "phone",
            "status",
            "check_attempts",
            "created_at",
            "updated_at",
        ],
        select(
            ORDERS.c.id,
            bindparam("customer_id", type_=Integer),
            bindparam("channel", type_=String),
            bindparam("chat_key", type_=String),
            bindparam("language", type_=String),
            bindparam("amount", type_=BigInteger),
            bindparam("phone", type_=String),
            literal(PaymentStatus.PENDING.value, String),
            literal(0, Integer),
            bindparam("now", type_=PAYMENTS.c.created_at.type),
            bindparam("now", type_=PAYMENTS.c.created_at.type),
        ).where(ORDERS.c.reference == bindparam("reference")),
    )
    .returning(PAYMENTS.c.id)
)
_SETTLE = (
    update(PAYMENTS)
    .where(PAYMENTS.c.id == bindparam("b_payment_id"), PAYMENTS.c.status == "pending")
    .values(
        status=bindparam("b_status"),
        result_code=bindparam("b_result_code"),
        result_code_text=bindparam("b_result_code_text"),
        result_description=bindparam("b_result_description"),
        receipt_number=bindparam("b_receipt_number"),
        transaction_date=bindparam("b_transaction_date"),
        reported_amount=bindparam("b_reported_amount"),
        settled_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
    )
)
_SETTLE_ONE = _SETTLE.returning(PAYMENTS.c.id)
# A late success for a payment given up on (expired) or failed: the money did arrive.
_SETTLE_LATE = (
    update(PAYMENTS)
    .where(
        PAYMENTS.c.id == bindparam("b_payment_id"),
        PAYMENTS.c.status.in_([PaymentStatus.EXPIRED.value, PaymentStatus.FAILED.value]),
        PAYMENTS.c.receipt_number.is_(None),
    )
    .values(
        status=bindparam("b_status"),
        result_code=bindparam("b_result_code"),
        result_code_text=bindparam("b_result_code_text"),
        result_description=bindparam("b_result_description"),
        receipt_number=bindparam("b_receipt_number"),
        transaction_date=bindparam("b_transaction_date"),
        reported_amount=bindparam("b_reported_amount"),
        settled_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
    )
)
# The claim of a late callback's receipt: only a paid payment without one, so the first
# callback (of any process) fills it in and a second finds nothing to claim.
_FILL_IN_RECEIPT = (
    update(PAYMENTS)
    .where(
        PAYMENTS.c.id == bindparam("b_payment_id"),
        PAYMENTS.c.status == PaymentStatus.PAID.value,
        PAYMENTS.c.receipt_number.is_(None),
    )
    .values(
        receipt_number=bindparam("b_receipt_number"),
        transaction_date=bindparam("b_transaction_date"),
        reported_amount=bindparam("b_reported_amount"),
        status=case(
            (
                bindparam("b_reported_amount", type_=BigInteger) != PAYMENTS.c.amount,
                PaymentStatus.MISMATCHED.value,
            ),
            else_=PAYMENTS.c.status,
        ),
        updated_at=bindparam("b_now"),
    )
    .returning(PAYMENTS.c.status)
)


_SETTLED_COLUMNS = (
    "status",
    "result_code",
    "result_code_text",
    "result_description",
    "receipt_number",
    "transaction_date",
    "reported_amount",
)


@functools.lru_cache(maxsize=128)
def _settle_many(size: int) -> ReturningUpdate[Any]:
    """The UPDATE settling ``size`` pending payments at once, built once per size.

    The settlements come as a ``VALUES`` list ``v`` of bound parameters, a row of
    ``b_payment_id_<n>`` and ``b_<column>_<n>`` per payment, and the UPDATE joins ``payments``
    to it on the id, so the statement and its work grow linearly with the batch (a CASE over
    every id per column grew as its square). The statement and its compiled form are reused
    per size: building one anew for every batch cost more than running it.
    """
    # Textual, because SQLAlchemy's values() construct is never cached (it would be compiled
    # for every batch) and SQLite cannot name a VALUES' columns in FROM: both databases call
    # them column1, column2, ...; asyncpg casts each parameter to its type for PostgreSQL.
    names = {"id": "b_payment_id", **{column: f"b_{column}" for column in _SETTLED_COLUMNS}}
    rows = ", ".join(
        "(" + ", ".join(f":{name}_{n}" for name in names.values()) + ")" for n in range(size)
    )
    labels = ", ".join(f"column{i} AS {column}" for i, column in enumerate(names, start=1))
    settled = (
        # Only this module's column names and parameter names go into the text.
        text(f"SELECT {labels} FROM (VALUES {rows}) AS settlements")  # noqa: S608
        .bindparams(
            *(
                bindparam(f"{name}_{n}", type_=PAYMENTS.c[column].type)
                for n in range(size)
                for column, name in names.items()
            )
        )
        .columns(*(PAYMENTS.c[column] for column in names))
        .subquery("v")
    )
    return (
        update(PAYMENTS)
        .where(PAYMENTS.c.id == settled.c.id, PAYMENTS.c.status == PaymentStatus.PENDING.value)
        .values(
            **{column: settled.c[column] for column in _SETTLED_COLUMNS},
            settled_at=bindparam("b_now"),
            updated_at=bindparam("b_now"),
        )
        .returning(PAYMENTS.c.id)
    )


def _settle_parameters(payment_id: int, settlement: Settlement, now: datetime) -> dict[str, Any]:
    return {
        "b_payment_id": payment_id,
        "b_status": settlement.status.value,
        "b_result_code": settlement.result_code,
        "b_result_code_text": settlement.result_code_text,
        "b_result_description": settlement.result_description,
        "b_receipt_number": settlement.receipt_number,
        "b_transaction_date": settlement.transaction_date,
        "b_reported_amount": settlement.reported_amount,
        "b_now": now,
    }


def masked_phone_pattern(phone: str) -> str:
    """A LIKE pattern for a phone in which ``*`` stands for any one character."""
    escaped = phone.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "_")


class SqlPaymentRepository:
    """Payments in the ``payments`` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create_pending(self, new: NewPayment, *, now: datetime) -> Payment:
        """Store a pending payment for an existing order, before its push is sent."""
        values = {
            "reference": new.order_reference,
            "customer_id": new.customer_id,
            "channel": new.channel.value,
            "chat_key": new.chat_key,
            "language": new.language,
            "amount": new.amount,
            "phone": new.phone,
            "now": now,
        }
        payment_id = await self._session.scalar(_CREATE_PENDING, values)
        if payment_id is None:
            raise LookupError(f"no order {new.order_reference!r}")
        return new.pending(payment_id, now)

    async def get(self, payment_id: int) -> Payment | None:
        """The payment with this id, or None."""
        found = (
            await self._session.execute(PAYMENTS_WITH_REFERENCE.where(PAYMENTS.c.id == payment_id))
        ).first()
        return to_payment(found, found.reference) if found else None

    async def by_checkout_request_id(self, checkout_request_id: str) -> Payment | None:
        """The payment Daraja knows by this CheckoutRequestID, or None."""
        found = (
            await self._session.execute(
                _BY_CHECKOUT_ID, {"checkout_request_id": checkout_request_id}
            )
        ).first()
        return to_payment(found, found.reference) if found else None

    async def mark_requested(
        self, payment_id: int, *, merchant_request_id: str, checkout_request_id: str
    ) -> None:
        """Record the ids Daraja gave the accepted push."""
        await self._session.execute(
            _MARK_REQUESTED,
            {
                "b_id": payment_id,
                "b_merchant_request_id": merchant_request_id,
                "b_checkout_request_id": checkout_request_id,
            },
        )

    async def settle(self, payment_id: int, settlement: Settlement, *, now: datetime) -> bool:
        """Settle a pending payment; False (and no change) if it was already settled.

        The ``status = 'pending'`` condition makes the UPDATE itself the guard, so two
        processes settling the same payment at once cannot both succeed.
        """
        result = await self._session.execute(
            _SETTLE, _settle_parameters(payment_id, settlement, now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def settle_many(self, settlements: dict[int, Settlement], *, now: datetime) -> set[int]:
        """Settle several pending payments in one statement; the ids that were pending."""
        if not settlements:
            return set()
        if len(settlements) == 1:  # the usual batch: a prebuilt statement
            [(payment_id, settlement)] = settlements.items()
            parameters = _settle_parameters(payment_id, settlement, now)
            return set(await self._session.scalars(_SETTLE_ONE, parameters))

        parameters = {"b_now": now}
        for n, (payment_id, settlement) in enumerate(settlements.items()):
            for name, value in _settle_parameters(payment_id, settlement, now).items():
                if name != "b_now":
                    parameters[f"{name}_{n}"] = value
        updated = await self._session.scalars(_settle_many(len(settlements)), parameters)
        return set(updated)

    async def settle_late_success(
        self, payment_id: int, settlement: Settlement, *, now: datetime
    ) -> bool:
        """Make an expired or failed payment without a receipt paid (see the port)."""
        result = await self._session.execute(
            _SETTLE_LATE, _settle_parameters(payment_id, settlement, now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def fill_in_receipt(
        self, payment_id: int, details: ReceiptDetails, *, now: datetime
    ) -> PaymentStatus | None:
        """Give a paid payment without a receipt the one a later callback reports.

        The UPDATE's own conditions (paid, no receipt yet) are the claim, so two processes
        cannot both fill it in; an unknown reported amount (NULL) never makes it mismatched.
        The payment's status after it, or None when there was nothing to claim.
        """
        status = await self._session.scalar(
            _FILL_IN_RECEIPT,
            {
                "b_payment_id": payment_id,
                "b_receipt_number": details.receipt_number,
                "b_transaction_date": details.transaction_date,
                "b_reported_amount": details.reported_amount,
                "b_now": now,
            },
        )
        return None if status is None else PaymentStatus(status)

    async def by_checkout_request_ids(
        self, checkout_request_ids: Sequence[str]
    ) -> dict[str, Payment]:
        """The payments Daraja knows by these CheckoutRequestIDs, by id."""
        if not checkout_request_ids:
            return {}
        rows = await self._session.execute(
            _BY_CHECKOUT_IDS, {"checkout_request_ids": list(checkout_request_ids)}
        )
        found = to_payments(rows)
        return {p.checkout_request_id: p for p in found if p.checkout_request_id is not None}

    async def latest_for_chat(self, channel: Channel, chat_key: str) -> Payment | None:
        """The newest payment started from this chat."""
        found = await self.recent_for_chat(channel, chat_key, 1)
        return found[0] if found else None

    async def recent_for_chat(
        self, channel: Channel, chat_key: str, limit: int
    ) -> Sequence[Payment]:
        """The newest payments started from this chat, newest first."""
        rows = await self._session.execute(
            _RECENT_FOR_CHAT, {"channel": channel.value, "chat_key": chat_key, "limit": limit}
        )
        return to_payments(rows)

    async def pending_for_order(self, order_reference: str) -> Sequence[Payment]:
        """Payments for this order still waiting for an outcome."""
        rows = await self._session.execute(_PENDING_FOR_ORDER, {"reference": order_reference})
        return to_payments(rows)

    async def claim_for_check(
        self, *, now: datetime, created_before: datetime, limit: int, lease_seconds: float
    ) -> Sequence[Payment]:
        """Claim pending payments pushed before ``created_before`` whose check is due.

        Rows locked by another process are skipped (PostgreSQL), and the UPDATE re-checks that
        the check is still due, so each payment is claimed by one process at a time.
        """
        due = (
            PaymentRow.status == PaymentStatus.PENDING.value,
            PaymentRow.created_at <= created_before,
            or_(PaymentRow.next_check_at.is_(None), PaymentRow.next_check_at <= now),
        )
        ids = list(
            await self._session.scalars(
                select(PaymentRow.id)
                .where(*due)
                .order_by(PaymentRow.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        claimed = await self._session.scalars(
            update(PaymentRow)
            .where(PaymentRow.id.in_(ids), *due)
            .values(
                next_check_at=now + timedelta(seconds=lease_seconds),
                check_attempts=PaymentRow.check_attempts + 1,
            )
            .returning(PaymentRow.id)
            .execution_options(synchronize_session=False)
        )
        claimed_ids = sorted(claimed)
        found = await self._session.execute(
            PAYMENTS_WITH_REFERENCE.where(PAYMENTS.c.id.in_(claimed_ids)).order_by(PAYMENTS.c.id)
        )
        return to_payments(found)

    async def unrequested(
        self, *, amount: int, created_after: datetime, phone: str | None
    ) -> Sequence[Payment]:
        """Pending payments of ``amount`` whose push got no answer (no CheckoutRequestID).

        The phone is matched in the database: on a busy day hundreds of pushes of the same
        amount can be in flight, and a callback that beats its push's answer must not read
        them all.
        """
        phone_matches = (
            true()
            if phone is None
            else PAYMENTS.c.phone.like(masked_phone_pattern(phone), escape="\\")
        )
        rows = await self._session.execute(
            PAYMENTS_WITH_REFERENCE.where(
                PAYMENTS.c.status == PaymentStatus.PENDING.value,
                PAYMENTS.c.checkout_request_id.is_(None),
                PAYMENTS.c.amount == amount,
                PAYMENTS.c.created_at > created_after,
                phone_matches,
                # A push still waiting in the USSD queue has not reached Daraja yet.
                ~select(PushRequestRow.id)
                .where(
                    PushRequestRow.payment_id == PAYMENTS.c.id,
                    PushRequestRow.claimed_until.is_(None),
                    PushRequestRow.finished_at.is_(None),
                )
                .exists(),
            ).order_by(PAYMENTS.c.id)
        )
        return to_payments(rows)

    async def schedule_check(self, payment_id: int, *, at: datetime) -> None:
        """Ask about a pending payment again at ``at``."""
        await self._session.execute(
            update(PaymentRow)
            .where(PaymentRow.id == payment_id)
            .values(next_check_at=at)
            .execution_options(synchronize_session=False)
        )
