"""Buy-Now-Pay-Later plans: claimed per plan for a lease, so one process pushes for a plan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter

from checkout.bnpl.records import (
    OPEN_PLAN_STATUSES,
    OWING_PLAN_STATUSES,
    Installment,
    InstallmentStatus,
    NewPlan,
    Plan,
    PlanPayment,
    PlanStatus,
)
from checkout.bnpl.rules import Standing
from checkout.domain.records import Channel, PaymentStatus
from storage.models import InstallmentRow, OrderRow, PaymentRow, PlanPaymentRow, PlanRow

_OPEN = [status.value for status in OPEN_PLAN_STATUSES]
_OWING = [status.value for status in OWING_PLAN_STATUSES]
_UNPAID = [InstallmentStatus.DUE.value, InstallmentStatus.OVERDUE.value]
_WITH_REFERENCE = select(PlanRow, OrderRow.reference).join(
    OrderRow, OrderRow.id == PlanRow.order_id
)
# Built once: settling any payment asks both (a reused statement keeps its cache key).
_LINK_FOR = select(PlanPaymentRow).where(PlanPaymentRow.payment_id == bindparam("payment_id"))
_OPEN_FOR_ORDER = (
    _WITH_REFERENCE.where(OrderRow.reference == bindparam("reference"), PlanRow.status.in_(_OPEN))
    .order_by(PlanRow.id)
    .limit(1)
    .execution_options(populate_existing=True)
)

# Which of some payments pay a plan, and which of some orders have an open plan: one round
# trip for a settlement batch, most of whose payments have neither.
_PRESENT = union_all(
    select(literal("link"), cast(PlanPaymentRow.payment_id, String)).where(
        PlanPaymentRow.payment_id.in_(bindparam("payment_ids", expanding=True))
    ),
    select(literal("plan"), OrderRow.reference)
    .join(PlanRow, PlanRow.order_id == OrderRow.id)
    .where(
        OrderRow.reference.in_(bindparam("references", expanding=True)),
        PlanRow.status.in_(_OPEN),
    ),
)


def to_installment(row: InstallmentRow) -> Installment:
    """The checkout record for an installment row."""
    return Installment(
        id=row.id,
        plan_id=row.plan_id,
        number=row.number,
        amount=row.amount,
        due_at=row.due_at,
        status=InstallmentStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        remind_at=row.remind_at,
        payment_id=row.payment_id,
        paid_at=row.paid_at,
        late_fee=row.late_fee,
        overdue_at=row.overdue_at,
        moved_from=row.moved_from,
    )


def to_plan(row: PlanRow, reference: str, installments: Sequence[InstallmentRow]) -> Plan:
    """The checkout record for a plan row and its installment rows."""
    return Plan(
        id=row.id,
        order_reference=reference,
        customer_id=row.customer_id,
        channel=Channel(row.channel),
        chat_key=row.chat_key,
        language="sw" if row.language == "sw" else "en",
        phone=row.phone,
        status=PlanStatus(row.status),
        total=row.total,
        created_at=row.created_at,
        installments=tuple(to_installment(item) for item in installments),
    )


def _in_flight() -> ColumnElement[bool]:
    """Whether a payment of the plan (correlated to ``plans``) still waits for its outcome."""
    return (
        select(PlanPaymentRow.id)
        .join(PaymentRow, PaymentRow.id == PlanPaymentRow.payment_id)
        .where(
            PlanPaymentRow.plan_id == PlanRow.id,
            PaymentRow.status == PaymentStatus.PENDING.value,
        )
        .exists()
    )


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    return or_(PlanRow.claimed_until.is_(None), PlanRow.claimed_until <= now)


class SqlPlanRepository:
    """Implements ``checkout.bnpl.ports.PlanRepository`` on the plan tables."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # What :meth:`preload` found absent; forgotten whenever a plan or link is written.
        self._without_link: set[int] = set()
        self._without_plan: set[str] = set()

    async def preload(self, payment_ids: Sequence[int], order_references: Sequence[str]) -> None:
        """Learn in one lookup which of these payments pay a plan and which orders have one."""
        if not payment_ids and not order_references:
            return
        found = await self._session.execute(
            _PRESENT, {"payment_ids": list(payment_ids), "references": list(order_references)}
        )
        links: set[str] = set()
        plans: set[str] = set()
        for kind, key in found:
            (links if kind == "link" else plans).add(key)
        self._without_link |= {pid for pid in payment_ids if str(pid) not in links}
        self._without_plan |= {ref for ref in order_references if ref not in plans}

    def _forget_absences(self) -> None:
        self._without_link.clear()
        self._without_plan.clear()

    async def create(self, new: NewPlan, *, now: datetime) -> Plan:
        """Store a plan waiting for its deposit, with every installment of its schedule."""
        self._forget_absences()
        order_id = await self._session.scalar(
            select(OrderRow.id).where(OrderRow.reference == new.order_reference)
        )
        if order_id is None:
            raise LookupError(f"no order {new.order_reference!r}")
        row = PlanRow(
            order_id=order_id,
            customer_id=new.customer.id,
            channel=new.customer.channel.value,
            chat_key=new.customer.chat_key,
            language=new.language,
            phone=new.phone,
            status=PlanStatus.PENDING_DEPOSIT.value,
            total=new.schedule.balance,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        self._session.add_all(
            InstallmentRow(
                plan_id=row.id,
                number=part.number,
                amount=part.amount,
                late_fee=0,
                due_at=part.due_at,
                status=InstallmentStatus.DUE.value,
                attempts=0,
            )
            for part in new.schedule.parts
        )
        await self._session.flush()
        plan = await self.get(row.id)
        assert plan is not None
        return plan

    async def get(self, plan_id: int) -> Plan | None:
        """The plan with this id, or None."""
        found = await self._plans(_WITH_REFERENCE.where(PlanRow.id == plan_id))
        return found[0] if found else None

    async def open_for_customer(self, customer_id: int) -> Sequence[Plan]:
        """The customer's plans still expecting a payment, oldest first."""
        return await self._plans(
            _WITH_REFERENCE.where(
                PlanRow.customer_id == customer_id, PlanRow.status.in_(_OPEN)
            ).order_by(PlanRow.id)
        )

    async def open_for_order(self, order_reference: str) -> Plan | None:
        """The order's oldest plan still expecting a payment, if any."""
        if order_reference in self._without_plan:
            return None
        found = await self._plans(_OPEN_FOR_ORDER, {"reference": order_reference})
        return found[0] if found else None

    async def for_order(self, order_reference: str) -> Sequence[Plan]:
        """Every plan made for this order (any status), oldest first."""
        return await self._plans(
            _WITH_REFERENCE.where(OrderRow.reference == order_reference).order_by(PlanRow.id)
        )

    async def standing(
        self, *, customer_id: int | None, phone: str, order_reference: str | None = None
    ) -> Standing:
        """The customer's payments and plans, matched by customer or by paying phone, and
        with ``order_reference`` whether the order's oldest open plan is owing.

        One statement of three counts and that plan's status (a statement is a trip to the
        database: the chat asks this for every amount it offers "Pay later" on)."""
        # The status of the plan open_for_order would find (none known: no read, as there).
        with_order = order_reference is not None and order_reference not in self._without_plan
        statement = _STANDING[customer_id is not None, with_order]
        values = {"phone": phone, "customer_id": customer_id, "order_reference": order_reference}
        counts = (await self._session.execute(statement, values)).one()
        return Standing(
            paid_payments=int(counts[0] or 0),
            owed=int(counts[1] or 0),
            overdue=bool(counts[2]),
            order_has_plan=counts[3] is not None and PlanStatus(counts[3]).is_owing,
        )

    async def record_attempt(self, link: PlanPayment, *, now: datetime) -> None:
        """Link a payment to installments ``first``..``last`` and note it on each unpaid one.

        An automatic payment counts as an attempt and unschedules the installment's next one,
        in one UPDATE, so nothing read earlier is written back.
        """
        self._forget_absences()
        self._session.add(
            PlanPaymentRow(
                plan_id=link.plan_id,
                payment_id=link.payment_id,
                first_number=link.first,
                last_number=link.last,
                automatic=link.automatic,
                created_at=now,
            )
        )
        values: dict[str, Any] = {"payment_id": link.payment_id}
        if link.automatic:
            values |= {"attempts": InstallmentRow.attempts + 1, "next_attempt_at": None}
        await self._session.execute(
            update(InstallmentRow)
            .where(
                InstallmentRow.plan_id == link.plan_id,
                InstallmentRow.number.between(link.first, link.last),
                InstallmentRow.status.in_(_UNPAID),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await self._session.flush()

    async def link_for(self, payment_id: int) -> PlanPayment | None:
        """The plan part this payment pays, if it pays one."""
        if payment_id in self._without_link:
            return None
        row = await self._session.scalar(_LINK_FOR, {"payment_id": payment_id})
        if row is None:
            return None
        return PlanPayment(
            plan_id=row.plan_id,
            payment_id=row.payment_id,
            first=row.first_number,
            last=row.last_number,
            automatic=row.automatic,
        )

    async def claim(self, plan_id: int, *, now: datetime, lease_seconds: float) -> bool:
        """Claim an open plan for one push: False if claimed, closed, or a payment is in flight.

        The conditions are in the UPDATE itself: of two processes claiming at once, the
        second re-reads the row after the first commits and no longer matches.
        """
        result = await self._session.execute(
            update(PlanRow)
            .where(
                PlanRow.id == plan_id,
                PlanRow.status.in_(_OPEN),
                _unclaimed(now),
                ~_in_flight(),
            )
            .values(claimed_until=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def release(self, plan_id: int) -> None:
        """Release a claimed plan."""
        await self._session.execute(
            update(PlanRow)
            .where(PlanRow.id == plan_id)
            .values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )

    async def claim_due(self, *, now: datetime, limit: int, lease_seconds: float) -> Sequence[Plan]:
        """Claim owing plans with an installment due for a push and no payment in flight.

        Plan rows locked by another process are skipped (PostgreSQL), and the UPDATE re-checks
        every condition, so each plan is claimed by one process at a time.
        """
        due_installment = (
            select(InstallmentRow.id)
            .where(
                InstallmentRow.plan_id == PlanRow.id,
                InstallmentRow.status == InstallmentStatus.DUE.value,
                InstallmentRow.next_attempt_at <= now,
            )
            .exists()
        )
        due = (PlanRow.status.in_(_OWING), _unclaimed(now), due_installment, ~_in_flight())
        ids = list(
            await self._session.scalars(
                select(PlanRow.id)
                .where(*due)
                .order_by(PlanRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=PlanRow)
            )
        )
        if not ids:
            return []
        claimed = list(
            await self._session.scalars(
                update(PlanRow)
                .where(PlanRow.id.in_(ids), *due)
                .values(claimed_until=now + timedelta(seconds=lease_seconds))
                .returning(PlanRow.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            return []
        return await self._plans(
            _WITH_REFERENCE.where(PlanRow.id.in_(claimed)).order_by(PlanRow.id)
        )

    async def claim_reminders(self, *, now: datetime, limit: int) -> Sequence[Installment]:
        """Take installments of owing plans whose reminder is due, clearing it (sent once)."""
        owing = select(PlanRow.id).where(PlanRow.status.in_(_OWING))
        due = (
            InstallmentRow.status == InstallmentStatus.DUE.value,
            InstallmentRow.remind_at <= now,
            InstallmentRow.plan_id.in_(owing),
        )
        ids = list(
            await self._session.scalars(
                select(InstallmentRow.id)
                .where(*due)
                .order_by(InstallmentRow.remind_at, InstallmentRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        taken = await self._session.scalars(
            update(InstallmentRow)
            .where(InstallmentRow.id.in_(ids), *due)
            .values(remind_at=None)
            .returning(InstallmentRow)
            .execution_options(synchronize_session=False)
        )
        return sorted((to_installment(row) for row in taken), key=lambda item: item.id)

    async def claim_grace_ended(self, *, now: datetime, limit: int) -> Sequence[Installment]:
        """Take missed installments whose grace ended with no retry left, clearing ``overdue_at``.

        Only owing plans with no payment in flight: a customer paying right now is not made
        overdue under their prompt. Locked rows are skipped, so one process takes each.
        """
        owing = select(PlanRow.id).where(PlanRow.status.in_(_OWING), ~_in_flight())
        due = (
            InstallmentRow.status == InstallmentStatus.DUE.value,
            InstallmentRow.overdue_at <= now,
            InstallmentRow.next_attempt_at.is_(None),
            InstallmentRow.plan_id.in_(owing),
        )
        ids = list(
            await self._session.scalars(
                select(InstallmentRow.id)
                .where(*due)
                .order_by(InstallmentRow.overdue_at, InstallmentRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        taken = await self._session.scalars(
            update(InstallmentRow)
            .where(InstallmentRow.id.in_(ids), *due)
            .values(overdue_at=None)
            .returning(InstallmentRow)
            .execution_options(synchronize_session=False)
        )
        return sorted((to_installment(row) for row in taken), key=lambda item: item.id)

    async def save_installment(self, installment: Installment) -> None:
        """Store an installment's amount, status and collection fields."""
        await self._session.execute(
            update(InstallmentRow)
            .where(InstallmentRow.id == installment.id)
            .values(
                amount=installment.amount,
                late_fee=installment.late_fee,
                status=installment.status.value,
                attempts=installment.attempts,
                next_attempt_at=installment.next_attempt_at,
                remind_at=installment.remind_at,
                payment_id=installment.payment_id,
                paid_at=installment.paid_at,
                due_at=installment.due_at,
                overdue_at=installment.overdue_at,
                moved_from=installment.moved_from,
            )
            .execution_options(synchronize_session=False)
        )

    async def set_status(self, plan_id: int, status: PlanStatus, *, now: datetime) -> None:
        """Move a plan to ``status``."""
        self._forget_absences()
        await self._session.execute(
            update(PlanRow)
            .where(PlanRow.id == plan_id)
            .values(status=status.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def _plans(self, statement: Any, parameters: dict[str, Any] | None = None) -> list[Plan]:
        if not statement.get_execution_options().get("populate_existing"):
            statement = statement.execution_options(populate_existing=True)
        rows = (await self._session.execute(statement, parameters)).all()
        if not rows:
            return []
        ids = [row.id for row, _ in rows]
        items: dict[int, list[InstallmentRow]] = {plan_id: [] for plan_id in ids}
        for item in await self._session.scalars(
            select(InstallmentRow)
            .where(InstallmentRow.plan_id.in_(ids))
            .order_by(InstallmentRow.plan_id, InstallmentRow.number)
            .execution_options(populate_existing=True)
        ):
            items[item.plan_id].append(item)
        return [to_plan(row, reference, items[row.id]) for row, reference in rows]


def _standing(*, by_customer: bool, with_order: bool) -> Select[Any]:
    """:meth:`SqlPlanRepository.standing`'s statement: by phone (and ``by_customer``, by
    customer too), with the order's open plan's status or NULL; values bound by name.

    One for each of the four shapes, built once: building the four subqueries, and
    SQLAlchemy's cache key for a new statement object, cost more CPU than running it
    (a kept statement's key is worked out once); the chat runs it for every amount offered.
    """
    phone: BindParameter[str] = bindparam("phone")
    customer_id: BindParameter[int] = bindparam("customer_id")
    payer = PaymentRow.phone == phone
    if by_customer:
        payer = or_(payer, PaymentRow.customer_id == customer_id)
    paid = (
        select(func.count())
        .select_from(PaymentRow)
        .where(PaymentRow.status == PaymentStatus.PAID.value, payer)
        .scalar_subquery()
    )
    borrower = (
        or_(PlanRow.phone == phone, PlanRow.customer_id == customer_id)
        if by_customer
        else PlanRow.phone == phone,
        PlanRow.status.in_(_OWING),
    )
    owed = (
        select(func.coalesce(func.sum(InstallmentRow.amount), 0))
        .join(PlanRow, PlanRow.id == InstallmentRow.plan_id)
        .where(*borrower, InstallmentRow.status.in_(_UNPAID))
        .scalar_subquery()
    )
    overdue = (
        select(func.count())
        .select_from(PlanRow)
        .where(*borrower, PlanRow.status == PlanStatus.OVERDUE.value)
        .scalar_subquery()
    )
    order_plan = (
        select(PlanRow.status)
        .join(OrderRow, OrderRow.id == PlanRow.order_id)
        .where(OrderRow.reference == bindparam("order_reference"), PlanRow.status.in_(_OPEN))
        .order_by(PlanRow.id)
        .limit(1)
        .scalar_subquery()
        if with_order
        else null()
    )
    return select(paid, owed, overdue, order_plan)


_STANDING = {
    (by_customer, with_order): _standing(by_customer=by_customer, with_order=with_order)
    for by_customer in (False, True)
    for with_order in (False, True)
}
