"""Refund tests: a paid payment seeded on SQLite and PostgreSQL, and a recording gateway."""

from __future__ import annotations

from dataclasses import dataclass, field

from checkout.refunds.ports import CallAnswer, CallOutcome
from tests.e2e.conftest import sqlite_url, start_service, telegram

__all__ = ["RecordingGateway", "sqlite_url", "start_service", "telegram"]


@dataclass
class RecordingGateway:
    """A ``RefundGateway`` that records each call and answers as told (no Daraja at all)."""

    can_send: bool = True
    b2c_available: bool = True
    reverse_answer: CallAnswer = field(
        default_factory=lambda: CallAnswer(CallOutcome.ACCEPTED, "AG_rev", "conv-rev")
    )
    b2c_answer: CallAnswer = field(
        default_factory=lambda: CallAnswer(CallOutcome.ACCEPTED, None, "conv-b2c")
    )
    status_answer: CallAnswer = field(
        default_factory=lambda: CallAnswer(CallOutcome.ACCEPTED, "AG_st", "conv-status")
    )
    calls: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    async def reverse(self, *, receipt: str, amount: int, remarks: str) -> CallAnswer:
        self.calls.append(("reverse", {"receipt": receipt, "amount": amount}))
        return self.reverse_answer

    async def pay_phone(
        self, *, originator_id: str, phone: str, amount: int, remarks: str, occasion: str
    ) -> CallAnswer:
        self.calls.append(
            ("b2c", {"originator_id": originator_id, "phone": phone, "amount": amount})
        )
        answer = self.b2c_answer
        if answer.originator_id is None and answer.outcome is CallOutcome.ACCEPTED:
            return CallAnswer(answer.outcome, originator_id, answer.conversation_id)
        return answer

    async def ask_status(
        self,
        *,
        transaction_id: str | None,
        originator_id: str | None,
        remarks: str,
        by_call: str | None = None,
    ) -> CallAnswer:
        self.calls.append(("status", {"transaction_id": transaction_id, "by_call": by_call}))
        return self.status_answer
