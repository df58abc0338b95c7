"""The simulator's test phone numbers, and what the customer behind each one does.

=============  ==================================================================
phone          the customer
=============  ==================================================================
254700000001   pays (ResultCode 0)
254700000002   cancels the prompt (1032)
254700000003   has no balance and no Fuliza (1)
254700000004   never answers the prompt (1037)
254700000005   types a wrong PIN (2001)
254700000006   keeps the prompt open until a test settles it (``SimulatedDaraja.settle``)
254700000007   is always busy: every push is refused ``500.001.1001`` (unable to lock)
254708374149   Safaricom's sandbox test number: never answers (1037), as on the sandbox
any other      ``SimulatorSettings.default_result`` (0, pays, unless configured)
=============  ==================================================================

Whatever the number, a second push while one is in process for the same phone is refused
``500.001.1001`` "Unable to lock subscriber", as Daraja does.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from daraja.result_codes import ResultCode


class SimulatorPhone(StrEnum):
    """Phone numbers whose customer behaves in a documented way (see the module docstring)."""

    PAYS = "254700000001"
    CANCELS = "254700000002"
    INSUFFICIENT_BALANCE = "254700000003"
    NO_ANSWER = "254700000004"
    WRONG_PIN = "254700000005"
    HOLDS_PROMPT = "254700000006"
    ALWAYS_LOCKED = "254700000007"
    SANDBOX = "254708374149"


# The ResultCode of the callback each number's prompt ends with; None: open until settled.
PHONE_RESULTS: Mapping[str, int | None] = MappingProxyType(
    {
        SimulatorPhone.PAYS: ResultCode.PAID,
        SimulatorPhone.CANCELS: ResultCode.CANCELLED,
        SimulatorPhone.INSUFFICIENT_BALANCE: ResultCode.INSUFFICIENT_BALANCE,
        SimulatorPhone.NO_ANSWER: ResultCode.NO_ANSWER,
        SimulatorPhone.WRONG_PIN: ResultCode.WRONG_PIN,
        SimulatorPhone.HOLDS_PROMPT: None,
        SimulatorPhone.SANDBOX: ResultCode.NO_ANSWER,
    }
)

# Phones whose pushes are always refused as "unable to lock subscriber".
LOCKED_PHONES = frozenset({SimulatorPhone.ALWAYS_LOCKED.value})

# The ResultDesc texts Daraja sends with each code (clients must not match on them).
RESULT_DESCRIPTIONS: Mapping[int, str] = MappingProxyType(
    {
        ResultCode.PAID: "The service request is processed successfully.",
        ResultCode.INSUFFICIENT_BALANCE: "The balance is insufficient for the transaction.",
        ResultCode.AMOUNT_BELOW_MINIMUM: "Declined due to limit rule: less than the minimum "
        "transaction amount.",
        ResultCode.AMOUNT_ABOVE_MAXIMUM: "Declined due to limit rule: greater than the maximum "
        "transaction amount.",
        ResultCode.DAILY_LIMIT_EXCEEDED: "Declined due to limit rule: would exceed daily "
        "transfer limit.",
        ResultCode.DUPLICATE_WITHIN_TWO_MINUTES: "Rule limited.",
        ResultCode.SUBSCRIBER_LOCKED: "Unable to lock subscriber, a transaction is already in "
        "process for the current subscriber",
        ResultCode.EXPIRED: "Transaction has expired",
        ResultCode.PROMPT_NOT_SENT: "An error occurred while sending a push request",
        ResultCode.CANCELLED: "Request cancelled by user",
        ResultCode.UNREACHABLE: "DS timeout user cannot be reached",
        ResultCode.NO_ANSWER: "DS timeout user cannot be reached",
        ResultCode.WRONG_PIN: "The initiator information is invalid.",
        ResultCode.PUSH_REQUEST_ERROR: "Error while sending push request",
    }
)


def result_description(code: int) -> str:
    """Return the ResultDesc Daraja sends with ``code``."""
    return RESULT_DESCRIPTIONS.get(code, "The transaction has failed.")
