"""The till world with the initiator desk and "I already paid": a recording Transaction Status
gateway and M-Pesa's answers as Daraja would POST them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from checkout.domain.records import Channel, Customer, StaffChat
from checkout.domain.time import NAIROBI
from checkout.initiator.desk import InitiatorDesk, InitiatorPolicy
from checkout.initiator.ports import InitiatorRefused
from checkout.initiator.records import InitiatorAccepted, InitiatorAnswer
from checkout.till.verify.service import VerifyService
from storage.repositories.initiator_requests import SqlInitiatorRequestStore
from tests.till.world import PHONE, TillWorld, UowFactory
from webhook.initiator import transaction_facts

SHORTCODE = "174379"
POLICY = InitiatorPolicy(
    waits=(timedelta(seconds=60),), max_attempts=3, after_timeout=timedelta(seconds=15)
)


@dataclass
class RecordingGateway:
    """Takes every Transaction Status request (or refuses with ``refuse``) and records it."""

    asked: list[tuple[str, str]] = field(default_factory=list)
    refuse: InitiatorRefused | None = None

    async def transaction_status(
        self, transaction_id: str, *, originator_conversation_id: str
    ) -> InitiatorAccepted:
        if self.refuse is not None:
            raise self.refuse
        self.asked.append((transaction_id, originator_conversation_id))
        number = len(self.asked)
        # Daraja answers with ids of its own, which its Result then names.
        return InitiatorAccepted(f"29115-{number}", f"AG_2026_{number:04d}")


class VerifyWorld(TillWorld):
    """Till credits, the initiator desk on the database, and the verify service."""

    def __init__(self, uow: UowFactory, sessions: Any) -> None:
        super().__init__(uow)
        self.gateway = RecordingGateway()
        self.desk = InitiatorDesk(
            SqlInitiatorRequestStore(sessions), clock=self.clock, policy=POLICY
        )
        self.verify = VerifyService(
            self.desk,
            uow,
            self.credits,
            self.gateway,
            transaction_facts,
            shortcodes={SHORTCODE},
            clock=self.clock,
            staff=StaffChat("-100"),
        )

    async def telegram_customer(self, chat: str = "42") -> Customer:
        async with self.uow() as unit:
            customer = await unit.customers.get_or_create(
                Channel.TELEGRAM, chat, language="en", now=self.clock(), phone=PHONE
            )
            await unit.commit()
        return customer


def status_answer(
    conversation: str,
    code: str,
    amount: int,
    *,
    shortcode: str = SHORTCODE,
    status: str = "Completed",
    result_code: int = 0,
    at: datetime | None = None,
) -> InitiatorAnswer:
    """A Transaction Status Result as Daraja POSTs it (parsed), for Daraja's ``conversation``."""
    if result_code != 0:
        return InitiatorAnswer(
            result_code=result_code,
            description="The transaction receipt number does not exist.",
            conversation_id=conversation,
        )
    return InitiatorAnswer(
        result_code=0,
        description="The service request is processed successfully.",
        conversation_id=conversation,
        transaction_id="OEI2AK4Q16",
        parameters={
            "ReceiptNo": code,
            "Amount": amount,
            "TransactionStatus": status,
            "DebitPartyName": f"{PHONE} - JOHN DOE",
            "CreditPartyName": f"{shortcode} - WILDWASH LAUNDRY",
            "InitiatedTime": _stamp(at, 20261204081500),
            "FinalisedTime": _stamp(at, 20261204081502),
            "ReasonType": "Pay Bill Online",
        },
    )


def _stamp(at: datetime | None, default: int) -> int:
    """Daraja's Nairobi ``YYYYMMDDHHMMSS`` of ``at`` (``default`` without one)."""
    return default if at is None else int(at.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S"))


def timeout_answer(conversation: str) -> InitiatorAnswer:
    """A QueueTimeOut for Daraja's ``conversation``."""
    return InitiatorAnswer(
        result_code=None,
        result_code_text="1",
        description="The request timed out in the queue.",
        conversation_id=conversation,
        timed_out=True,
    )
