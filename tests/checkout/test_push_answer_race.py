"""A callback that beats the push's own answer, on SQLite and PostgreSQL.

On SQLite Daraja's ids are recorded and the early callback looked for in one transaction;
on PostgreSQL the look comes after the ids' commit (``PaymentService.send``). Either way
the payment is settled from the callback that came first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.conversation import flow
from checkout.conversation.model import ButtonPressed, Command, TextMessage
from checkout.conversation.replying import chat_conversations
from checkout.conversation.service import ConversationService
from checkout.domain.records import AuditKind, Channel, PaymentStatus
from checkout.domain.result_codes import ResultCode
from checkout.payments.settling.settle import SettlementService
from checkout.payments.start import PaymentService
from lipa_testing.clocks import SettableClock
from lipa_testing.gateway import FakeGateway, failed
from storage.unit_of_work import SqlUnits


async def test_a_callback_before_the_push_answer_settles_the_payment(
    uow: SqlUnits, engine: AsyncEngine
) -> None:
    clock = SettableClock()
    settlement = SettlementService(uow, clock=clock)
    trail: list[str] = []  # statements, and "BEGIN" where a transaction began

    class RacingGateway(FakeGateway):
        async def stk_push(self, **kwargs: Any) -> Any:
            accepted = await super().stk_push(**kwargs)
            # The customer cancels, and its callback arrives before our push call returns
            # (a cancellation is never matched to a push without its ids).
            result = failed(accepted.checkout_request_id, ResultCode.CANCELLED)
            await settlement.settle(result, source="callback")
            trail.clear()  # from here on: what recording the push's answer takes
            return accepted

    payments = PaymentService(uow, RacingGateway(), settlement, clock=clock)
    chat = chat_conversations(
        ConversationService(uow, payments, flow.FlowSettings("W"), clock=clock)
    )
    async with uow() as unit:
        await unit.orders.create("WW-1", 1500, known=True)
        await unit.commit()
    event.listen(engine.sync_engine, "begin", lambda _connection: trail.append("BEGIN"))
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda *arguments: trail.append(" ".join(str(arguments[2]).split())),
    )
    for step in (
        Command("start", "pay_WW-1"),
        ButtonPressed("amount:1500"),
        TextMessage("0712 345 678"),
        ButtonPressed("pay"),
    ):
        await chat.handle(Channel.TELEGRAM, "42", step)
    async with uow() as unit:
        payment = await unit.payments.get(1)
        early = await unit.audit.latest("ws_CO_1", AuditKind.CALLBACK_UNMATCHED)
    assert early is not None
    assert payment is not None
    assert (payment.status, payment.result_code) == (PaymentStatus.CANCELLED, ResultCode.CANCELLED)
    # The ids recorded, then the look for an early callback: in the same transaction on
    # SQLite, in the next one on PostgreSQL.
    ids = next(n for n, s in enumerate(trail) if s.startswith("UPDATE payments SET merchant"))
    look = next(n for n, s in enumerate(trail) if n > ids and "FROM payment_events" in s)
    assert trail[ids:look].count("BEGIN") == (0 if engine.dialect.name == "sqlite" else 1)
