"""``lipa demo --refund``: after the payment, the money goes back, approved by two staff.

One staff user asks for the refund of the demo's paid payment, another approves it, the
refund is sent by Reversal to the built-in simulator, and its Result comes back to the result
route; the customer's message ("KES … for order … is on its way back …") arrives in the
terminal through the outbox like every other message.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Final

from checkout.domain.money import format_number
from checkout.domain.records import Channel, PaymentStatus
from checkout.domain.refunds import RefundOutcome, RefundState
from checkout.refunds.rules import staff_actor
from lipa.app import Lipa

# The two staff users of the demo: one asks, the other approves.
ASKS: Final = 1001
APPROVES: Final = 1002
WAIT: Final = timedelta(seconds=30)


async def refund_last_payment(lipa: Lipa, chat_key: str) -> tuple[str, int | None]:
    """Ask for and approve the refund of the chat's last paid payment: what the staff did, and
    the refund's id (None: none was approved)."""
    refunds = lipa.refunds
    if refunds is None:
        return "\n(refunds are not available here)\n", None
    async with lipa.units() as unit:
        latest = await unit.payments.latest_for_chat(Channel.DEMO, chat_key)
    if latest is None or latest.status is not PaymentStatus.PAID or not latest.receipt_number:
        return "\n(no paid payment to refund)\n", None
    asked = await refunds.desk.request(
        latest.receipt_number, amount=None, reason="demo", by=staff_actor(ASKS)
    )
    if asked.view is None or asked.outcome is not RefundOutcome.REQUESTED:
        return f"\n(the refund was refused: {asked.outcome.value})\n", None
    refund = asked.view.refund
    approved = await refunds.desk.approve(refund.id, user_id=APPROVES)
    if approved.outcome is not RefundOutcome.APPROVED:
        return f"\n(the refund was not approved: {approved.outcome.value})\n", None
    said = (
        f"\n[staff] user {ASKS} asked to refund KES {format_number(refund.amount)} of "
        f"{latest.receipt_number} (order {refund.order_reference}); user {APPROVES} approved.\n"
    )
    return said, refund.id


async def wait_for_refund(lipa: Lipa, refund_id: int) -> bool:
    """Wait until the refund has ended (completed or failed) and every message is printed."""
    deadline = datetime.now(UTC) + WAIT
    while datetime.now(UTC) < deadline:
        async with lipa.units() as unit:
            refund = await unit.refunds.get(refund_id)
            due = await unit.outbox.next_due_at()
        done = refund is None or refund.state in (RefundState.COMPLETED, RefundState.FAILED)
        if done and due is None:
            return True
        await asyncio.sleep(0.1)
    return False
