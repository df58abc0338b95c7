"""The steps of "I already paid": the button names the order, then the customer types the code.

The button (``paid:<order>``) sits under a pending, failed or expired payment and in
``/status``; it works from any step, since it names its order. The code step takes the code
alone or the whole M-Pesa SMS pasted; anything else is asked again with what a code looks
like. The service then asks M-Pesa (:class:`VerifyPayment`) and answers.
"""

from __future__ import annotations

from checkout.conversation.model import Step, Turn, VerifyPayment
from checkout.conversation.steps.call import Call, show_menu
from checkout.domain.references import parse_order_reference
from checkout.domain.replies import Reply
from checkout.till.verify.status import parse_code

_ORDER_KEY = "order_reference"


async def already_paid(call: Call, argument: str) -> Turn:
    """Ask for the M-Pesa code of the payment of the button's order."""
    reference = parse_order_reference(argument)
    if reference is None or reference != argument:
        return await show_menu(call, "")
    return _ask(call, reference)


async def receive_code(call: Call, text: str) -> Turn:
    """Check the typed code; ask M-Pesa about it (the service answers), or ask again."""
    reference = call.state.data.get(_ORDER_KEY)
    if not isinstance(reference, str):
        return await show_menu(call, "")
    code = parse_code(text)
    if code is None:
        return _ask(call, reference, call.say("verify_code_invalid"))
    return call.go(Step.IDLE, effects=(VerifyPayment(reference, code),))


async def ask_code_again(call: Call, _: str) -> Turn:
    """The code question again (after help or a language switch)."""
    reference = call.state.data.get(_ORDER_KEY)
    if not isinstance(reference, str):
        return await show_menu(call, "")
    return _ask(call, reference)


def _ask(call: Call, reference: str, before: str | None = None) -> Turn:
    question = call.say("verify_code_ask", order=reference)
    text = question if before is None else f"{before}\n{question}"
    return call.go(Step.CODE, Reply(text, buttons=call.cancel_rows()), data={_ORDER_KEY: reference})
