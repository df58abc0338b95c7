"""The messages a settlement queues: the customer's outcome and the staff's notices.

Each is queued in the outbox inside the settling transaction (or the one keeping a callback body
that could not be settled), so a crash loses none and a duplicate answer queues none (every one
has a dedupe key). What each says is written by :mod:`checkout.i18n.payments.messages` and
:mod:`checkout.i18n.payments.overpaid`; this module decides who is told what, and when.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from checkout.domain.outcomes import BodyKept, PaidTwice, PaymentOutcome
from checkout.domain.records import Order, Payment, PaymentStatus, StaffChat
from checkout.domain.replies import Reply
from checkout.domain.time import NAIROBI, Clock
from checkout.i18n.contact import NO_CONTACT, BusinessContact
from checkout.i18n.payments import messages as say
from checkout.i18n.payments.overpaid import overpaid_text
from checkout.outbox.replies import queue_reply
from checkout.payments.gateway import PaymentResult
from checkout.payments.staff_reader import read_by
from checkout.payments.unit import SettledOutcomeHook, UnitOfWork


@dataclass(frozen=True, slots=True)
class BatchReaders:
    """What a settling batch's staff notices read, read once for the batch: the staff chat in
    its reader's language (None: no staff) and the names of the batch's customers (only for a
    chat that may show them)."""

    staff: StaffChat | None
    names: Mapping[int, str] = field(default_factory=dict)


class SettlementNotices:
    """Queues the customer's and the staff's messages about settled payments.

    Without ``staff`` the staff are told nothing; ``outcome_hook`` adds what it decides to the
    customer's outcome (a plan's installment, the plan's news); ``contact`` is how an outcome
    that tells the customer to contact the business says to.
    """

    def __init__(
        self,
        outcome_hook: SettledOutcomeHook | None = None,
        *,
        clock: Clock,
        staff: StaffChat | None = None,
        contact: BusinessContact = NO_CONTACT,
    ) -> None:
        self._clock = clock
        self._staff = staff
        self._outcome_hook = outcome_hook
        self._contact = contact

    async def readers(self, unit: UnitOfWork, payments: Sequence[Payment]) -> BatchReaders:
        """Read once what :meth:`settled` reads for each of ``payments`` (a settling batch's):
        the reader of a staff user's private chat and, for a chat showing them, the names."""
        staff = await self._reader(unit)
        if staff is None or not staff.full_phones:
            return BatchReaders(staff)
        ids = [payment.customer_id for payment in payments if payment.customer_id is not None]
        return BatchReaders(staff, await unit.customers.names(ids))

    async def settled(
        self,
        unit: UnitOfWork,
        payment: Payment,
        order: Order | None,
        reported: int | None,
        readers: BatchReaders | None = None,
    ) -> None:
        """A payment settled: the customer's outcome, the staff's notice (and digest line).

        ``readers``: what :meth:`readers` read for the payment's batch (else it is read here).
        """
        outcome = PaymentOutcome(payment, order)
        if self._outcome_hook is not None:
            outcome = await self._outcome_hook.settled(unit, outcome)
        reply = say.customer_reply(outcome, contact=self._contact)
        await self._customer(unit, payment, reply, f"payment:{payment.id}:customer")
        staff = readers.staff if readers is not None else await self._reader(unit)
        if staff is None:
            return
        await self._settled_notice(unit, staff, payment, order, reported, "staff", readers)
        if payment.result_code_text is not None:
            # A code in words (SFC_IC0003) is Daraja refusing the shortcode's setup: every
            # push fails the same way until the staff fix it, so say where to look.
            await self._staff_notice(
                unit,
                say.setup_refused_text(staff.language, payment),
                f"payment:{payment.id}:setup",
            )

    async def receipt(self, unit: UnitOfWork, payment: Payment) -> None:
        """A late callback brought the receipt of a payment the query settled as paid."""
        await self._customer(
            unit, payment, say.receipt_reply(payment), f"payment:{payment.id}:receipt"
        )
        staff = await self._reader(unit)
        if staff is not None and payment.receipt_number:
            name = await self._name(unit, staff, payment)
            await self._staff_notice(
                unit,
                say.receipt_came_text(staff, payment, name=name),
                f"payment:{payment.id}:staff:receipt",
            )

    async def mismatched_late(
        self, unit: UnitOfWork, payment: Payment, reported: int | None
    ) -> None:
        """A late callback reports another amount than the query-settled payment asked."""
        reply = say.customer_reply(PaymentOutcome(payment), contact=self._contact)
        await self._customer(unit, payment, reply, f"payment:{payment.id}:mismatched")
        staff = await self._reader(unit)
        if staff is not None:
            await self._settled_notice(unit, staff, payment, None, reported, "staff:mismatched")

    async def conflict(
        self,
        unit: UnitOfWork,
        settled: Payment,
        reported: PaymentStatus,
        receipt: str | None,
    ) -> None:
        """A later answer contradicts how the payment already settled."""
        staff = await self._reader(unit)
        if staff is None:
            return
        text = say.conflict_text(staff, settled, reported, receipt)
        await self._staff_notice(unit, text, f"payment:{settled.id}:conflict:{reported.value}")

    async def forged(self, unit: UnitOfWork, payment: Payment, code: int | None) -> None:
        """Daraja's query contradicts a success callback for ``payment``."""
        staff = await self._reader(unit)
        if staff is None:
            return
        text = say.forged_text(staff, payment, code)
        await self._staff_notice(unit, text, f"payment:{payment.id}:forged")

    async def misconfigured(self, unit: UnitOfWork, code: str | None) -> None:
        """Daraja refuses our shortcode and passkey: told once a day (Nairobi)."""
        staff = await self._reader(unit)
        if staff is None:
            return
        today = self._clock().astimezone(NAIROBI).date().isoformat()
        text = say.misconfigured_text(staff.language, code)
        await self._staff_notice(unit, text, f"daraja:misconfigured:{today}")

    async def unmatched(self, unit: UnitOfWork, result: PaymentResult) -> None:
        """A success nobody can match to a payment."""
        staff = await self._reader(unit)
        text = say.unmatched_text(
            staff.language if staff else "en",
            result.checkout_request_id,
            result.amount,
            result.receipt_number,
        )
        await self._staff_notice(unit, text, f"unmatched:{result.checkout_request_id}")

    async def paid_twice(self, unit: UnitOfWork, paid: PaidTwice) -> None:
        """A late success overpaid its order: the staff are told, with the refund to send."""
        staff = await self._reader(unit)
        if staff is None:
            return
        text = overpaid_text(staff.language, paid)
        await self._staff_notice(unit, text, f"payment:{paid.payment.id}:overpaid")

    async def body_kept(self, unit: UnitOfWork, kept: BodyKept) -> None:
        """A callback body was kept unsettled: one alert naming it, to replay it by."""
        staff = await self._reader(unit)
        if staff is None:
            return
        await self._staff_notice(
            unit,
            say.callback_kept_text(staff.language, kept),
            f"callback_body:{kept.body_id}",
            line=say.callback_kept_line(kept),
        )

    async def _reader(self, unit: UnitOfWork) -> StaffChat | None:
        """The staff chat in its reader's language (a staff user's own, in a private chat)."""
        return await read_by(unit, self._staff) if self._staff is not None else None

    @staticmethod
    async def _name(unit: UnitOfWork, staff: StaffChat, payment: Payment) -> str | None:
        """The customer's name, read only for a chat that may show it (whole numbers)."""
        if not staff.full_phones or payment.customer_id is None:
            return None
        return (await unit.customers.names([payment.customer_id])).get(payment.customer_id)

    async def _settled_notice(
        self,
        unit: UnitOfWork,
        staff: StaffChat,
        payment: Payment,
        order: Order | None,
        reported: int | None,
        key: str,
        readers: BatchReaders | None = None,
    ) -> None:
        """The staff's notice of how ``payment`` settled (deduped as ``payment:<id>:<key>``)."""
        if readers is None:
            name = await self._name(unit, staff, payment)
        elif staff.full_phones and payment.customer_id is not None:
            name = readers.names.get(payment.customer_id)
        else:
            name = None
        await self._staff_notice(
            unit,
            say.staff_text(staff, payment, order, reported, name=name),
            f"payment:{payment.id}:{key}",
            line=say.staff_line(payment),
        )

    async def _customer(
        self, unit: UnitOfWork, payment: Payment, reply: Reply, dedupe_key: str
    ) -> None:
        await queue_reply(unit.outbox, payment, reply, now=self._clock(), dedupe_key=dedupe_key)

    async def _staff_notice(
        self, unit: UnitOfWork, text: str, dedupe_key: str, *, line: str | None = None
    ) -> None:
        """Queue a staff notice; ``line`` is its one-line form when it goes out in a digest."""
        if self._staff is None:
            return
        await queue_reply(
            unit.outbox,
            self._staff,
            text,
            now=self._clock(),
            dedupe_key=dedupe_key,
            digest=True,
            line=line,
        )
