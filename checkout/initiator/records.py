"""The records of the initiator APIs: a request as Lipa keeps it, and Daraja's answer to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# What a result parameter's value can be, as Daraja sends it (JSON scalars).
Scalar = str | int | float | None


class CommandID(StrEnum):
    """Daraja's ``CommandID`` of an initiator request."""

    TRANSACTION_STATUS = "TransactionStatusQuery"
    REVERSAL = "TransactionReversal"
    BUSINESS_PAYMENT = "BusinessPayment"


class RequestState(StrEnum):
    """Where an initiator request stands."""

    ASKED = "asked"  # sent (or about to be): waiting for Daraja's Result
    ANSWERED = "answered"  # Daraja's Result came
    TIMED_OUT = "timed_out"  # Daraja said it timed out in its queue: to be asked again
    FAILED = "failed"  # given up: refused, or no answer after every attempt

    @property
    def is_waiting(self) -> bool:
        """Whether an answer is still expected."""
        return self in (RequestState.ASKED, RequestState.TIMED_OUT)


@dataclass(frozen=True, slots=True)
class InitiatorAnswer:
    """A Result (or QueueTimeOut) Daraja POSTed about an initiator request.

    ``parameters`` are the ``ResultParameters`` by ``Key``; ``reference`` the ``ReferenceData``.
    ``result_code`` is None when Daraja's code is not a number (it is then in
    ``result_code_text``).
    """

    result_code: int | None
    description: str
    originator_conversation_id: str | None = None
    conversation_id: str | None = None
    transaction_id: str | None = None
    result_code_text: str | None = None
    parameters: Mapping[str, Scalar] = field(default_factory=dict)
    reference: Mapping[str, Scalar] = field(default_factory=dict)
    timed_out: bool = False

    @property
    def succeeded(self) -> bool:
        """Whether Daraja reports the request itself as done (result code 0)."""
        return self.result_code == 0 and not self.timed_out

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (stored with the request)."""
        return {
            "result_code": self.result_code,
            "result_code_text": self.result_code_text,
            "description": self.description,
            "originator_conversation_id": self.originator_conversation_id,
            "conversation_id": self.conversation_id,
            "transaction_id": self.transaction_id,
            "parameters": dict(self.parameters),
            "reference": dict(self.reference),
            "timed_out": self.timed_out,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> InitiatorAnswer:
        """Rebuild an answer from :meth:`to_json` output."""
        code = raw.get("result_code")
        return cls(
            result_code=code if isinstance(code, int) else None,
            result_code_text=_text(raw.get("result_code_text")),
            description=str(raw.get("description") or ""),
            originator_conversation_id=_text(raw.get("originator_conversation_id")),
            conversation_id=_text(raw.get("conversation_id")),
            transaction_id=_text(raw.get("transaction_id")),
            parameters=_scalars(raw.get("parameters")),
            reference=_scalars(raw.get("reference")),
            timed_out=raw.get("timed_out") is True,
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _scalars(value: object) -> dict[str, Scalar]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(key): item
        for key, item in value.items()
        if item is None or isinstance(item, str | int | float)
    }


@dataclass(frozen=True, slots=True)
class InitiatorAccepted:
    """Daraja took an initiator request; its Result will follow on the result URL."""

    originator_conversation_id: str
    conversation_id: str


@dataclass(frozen=True, slots=True)
class NewInitiatorRequest:
    """A request to store before it is sent.

    ``purpose`` names the handler that acts on its answer (``verify_customer``, ...);
    ``context`` is what that handler needs then (JSON-safe: order, chat, staff user...).
    """

    command: CommandID
    subject: str  # the transaction id the request is about
    purpose: str
    context: Mapping[str, Any] = field(default_factory=dict)
    requester: str | None = None  # who asked ("telegram:42", "staff:7"), to count their asks


@dataclass(frozen=True, slots=True)
class InitiatorRequest:
    """A stored initiator request and what became of it."""

    id: int
    originator_conversation_id: str  # ours, made when the request was stored
    command: CommandID
    subject: str
    purpose: str
    context: Mapping[str, Any]
    state: RequestState
    attempts: int  # how many times it was sent to Daraja
    asked_at: datetime
    next_check_at: datetime | None = None
    conversation_id: str | None = None  # Daraja's, for the latest attempt
    answered_at: datetime | None = None
    answer: InitiatorAnswer | None = None
    outcome: str | None = None  # what the handler made of the answer (its own vocabulary)
    requester: str | None = None
