"""What "I already paid" and /verify tell the chats once M-Pesa has answered (or never will).

:class:`~checkout.till.verify.service.VerifyService` decides what a code's answer means; this
module turns its decision into the customer's and the staff's words (through
:mod:`checkout.i18n.till.verify`) and queues them in the outbox, each once per request: the
initiator desk may run a handler again after an interruption, and the dedupe keys make the
second run queue nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from checkout.domain.outcomes import VerifyOutcome
from checkout.domain.records import Channel, Language, Payment, StaffChat, TransactionFacts
from checkout.domain.replies import Reply, reply_to_payload
from checkout.domain.time import Clock
from checkout.i18n.contact import NO_CONTACT, BusinessContact
from checkout.i18n.till.verify import (
    customer_text,
    staff_customer_refused_text,
    staff_customer_unanswered_text,
    staff_reason,
    staff_report,
    staff_unavailable_text,
)
from checkout.initiator.records import InitiatorRequest
from checkout.outbox.replies import queue_reply
from checkout.payments.staff_reader import read_by
from checkout.till.ports import TillUnitOfWorkFactory
from checkout.till.records import LedgerEntry
from checkout.till.verify.views import credit_data, known_where, refund_button


@dataclass(frozen=True, slots=True)
class NotCredited:
    """A customer's code that M-Pesa answered for but that pays nothing: ``outcome`` says why.

    ``amount`` is what M-Pesa says was paid, ``balance`` what the order still owes (None when
    the order is unknown); ``tell_staff`` when the money may be the staff's to sort out.
    """

    outcome: VerifyOutcome
    amount: int | None
    balance: int | None
    tell_staff: bool


@dataclass(frozen=True, slots=True)
class Report:
    """M-Pesa's answer to a staff user's /verify, with the orders it might pay."""

    facts: TransactionFacts
    ours: bool  # the money reached one of this business's shortcodes
    known: LedgerEntry | Payment | None  # where Lipa counted the code already
    orders: list[str]  # the orders the "Credit to order …" buttons offer


class VerifyNotices:
    """Queues the messages of a code's answer for the chat that asked, and for the staff."""

    def __init__(
        self,
        units: TillUnitOfWorkFactory,
        *,
        clock: Clock,
        staff: StaffChat | None = None,
        contact: BusinessContact = NO_CONTACT,
    ) -> None:
        self._units = units
        self._clock = clock
        self._staff = staff
        # How the answers that send the customer to the business say to reach it.
        self.contact = contact

    async def unanswered(self, request: InitiatorRequest, reason: str) -> None:
        """M-Pesa could not be asked, or never answered: the customer and the staff are told
        (a staff user's /verify: the staff chat that asked, after its first try only)."""
        context = request.context
        code = request.subject
        language = language_of(context)
        if request.purpose != CUSTOMER_PURPOSE:
            if request.attempts > 0:  # at the first ask, /verify's own answer says why
                text = staff_unavailable_text(language, code, reason)
                await self._tell(context, Reply(text), f"verify:{request.id}")
            return
        order = str(context.get("order", ""))
        text = customer_text(
            language, VerifyOutcome.UNAVAILABLE, code=code, order=order, contact=self.contact
        )
        await self._tell(context, Reply(text), f"verify:{request.id}")
        await self._tell_staff(
            lambda staff: staff_customer_unanswered_text(staff, code, order, reason),
            f"verify:{request.id}:staff",
        )

    async def not_credited(self, request: InitiatorRequest, answer: NotCredited) -> None:
        """Why the customer's code paid nothing; the staff too when ``answer.tell_staff``."""
        context = request.context
        code = request.subject
        reference = str(context.get("order", ""))
        text = customer_text(
            language_of(context),
            answer.outcome,
            code=code,
            order=reference,
            amount=answer.amount,
            balance=answer.balance,
            contact=self.contact,
        )
        await self._tell(context, Reply(text), f"verify:{request.id}")
        if answer.tell_staff:

            def refused(staff: Language) -> str:
                reason = staff_reason(
                    staff, answer.outcome, code=code, order=reference, contact=self.contact
                )
                return staff_customer_refused_text(staff, code, reference, reason)

            await self._tell_staff(refused, f"verify:{request.id}:staff")

    async def report(self, request: InitiatorRequest, report: Report) -> None:
        """M-Pesa's answer to the staff chat that asked, with "Credit to order …" buttons."""
        context = request.context
        code = request.subject
        language = language_of(context)
        reply = staff_report(
            language,
            code,
            report.facts,
            ours=report.ours,
            where=known_where(report.known),
            credit_data=credit_data,
            request_id=request.id,
            orders=report.orders,
            refund=refund_button(language, code, report.facts, report.known),
            full=context.get("full") is True,
        )
        await self._tell(context, reply, f"verify:{request.id}")

    async def _tell(self, context: Mapping[str, Any], reply: Reply, dedupe_key: str) -> None:
        """Queue ``reply`` to the chat in ``context`` (once per ``dedupe_key``)."""
        customer = chat_of(context)
        if customer is None:
            return
        async with self._units() as unit:
            await unit.outbox.add(
                channel=customer[0],
                chat_key=customer[1],
                payload=reply_to_payload(reply),
                now=self._clock(),
                dedupe_key=dedupe_key,
            )
            await unit.commit()

    async def _tell_staff(self, write: Callable[[Language], str], dedupe_key: str) -> None:
        """Queue the staff notice ``write`` words in its reader's language."""
        if self._staff is None:
            return
        async with self._units() as unit:
            staff = await read_by(unit, self._staff)
            await queue_reply(
                unit.outbox, staff, write(staff.language), now=self._clock(), dedupe_key=dedupe_key
            )
            await unit.commit()


# The purpose a customer's "I already paid" is stored under at the initiator desk.
CUSTOMER_PURPOSE = "verify_customer"


def chat_of(context: Mapping[str, Any]) -> tuple[Channel, str] | None:
    """The chat a request's ``context`` names (None if it names none)."""
    try:
        return Channel(str(context["channel"])), str(context["chat"])
    except (KeyError, ValueError):
        return None


def language_of(context: Mapping[str, Any]) -> Language:
    """The language of the chat a request's ``context`` names."""
    return "sw" if context.get("language") == "sw" else "en"
