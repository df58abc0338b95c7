"""Transaction Status, Reversal and B2C: the initiator calls of :class:`DarajaClient`.

Each is answered at once with ``{OriginatorConversationID, ConversationID, ResponseCode:"0",
ResponseDescription}`` (:class:`InitiatorAccepted`); the outcome comes later to ``ResultURL``
(:func:`daraja.results.parse_result`) or ``QueueTimeOutURL``. Transaction Status moves no money
and is retried like a query; Reversal and B2C are sent once (see :mod:`daraja.posting`).
"""

from __future__ import annotations

import logging
from typing import Any

from daraja.config import DarajaConfig
from daraja.errors import (
    DarajaApiError,
    DarajaProtocolError,
    DarajaValidationError,
    Operation,
    OutcomeUnknown,
)
from daraja.initiator import Initiator
from daraja.models import InitiatorAccepted
from daraja.phones import mask_phone, normalise_phone
from daraja.posting import Poster
from daraja.validation import (
    check_amount,
    check_shortcode,
    check_text,
    check_transaction_id,
    check_url,
)

TRANSACTION_STATUS_PATH = "/mpesa/transactionstatus/v1/query"
REVERSAL_PATH = "/mpesa/reversal/v1/request"
B2C_PATH = "/mpesa/b2c/v3/paymentrequest"
B2C_COMMANDS = frozenset({"BusinessPayment", "SalaryPayment", "PromotionPayment"})
MAX_REMARKS_LENGTH = 100
MAX_CONVERSATION_ID_LENGTH = 64

logger = logging.getLogger(__name__)


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def read_accepted(
    operation: Operation, body: dict[str, Any], *, moves_money: bool
) -> InitiatorAccepted:
    """The acceptance in an HTTP 200 answer; DarajaApiError for a non-zero ResponseCode.

    An answer without a ResponseCode or the conversation ids is OutcomeUnknown for a request
    that moves money (it may have been queued), DarajaProtocolError otherwise.
    """
    code = body.get("ResponseCode")
    code_text = str(code) if isinstance(code, str | int) and not isinstance(code, bool) else None
    originator = _text(body, "OriginatorConversationID")
    conversation = _text(body, "ConversationID")
    if code_text is not None and code_text != "0":
        raise DarajaApiError(
            operation=operation,
            status=200,
            error_code=code_text,
            error_message=_text(body, "ResponseDescription"),
            request_id=conversation or originator,
        )
    if code_text is None or originator is None or conversation is None:
        message = f"{operation} answer lacks ResponseCode or the conversation ids"
        if moves_money:
            raise OutcomeUnknown(message, operation)
        raise DarajaProtocolError(message)
    return InitiatorAccepted(
        originator_conversation_id=originator,
        conversation_id=conversation,
        response_code=code_text,
        response_description=_text(body, "ResponseDescription") or "",
    )


def _remarks(field: str, value: str, *, required: bool) -> str:
    # Daraja refuses an empty Remarks; Occasion may be empty.
    return check_text(field, value, min_length=1 if required else 0, max_length=MAX_REMARKS_LENGTH)


def _initiator(initiator: Initiator) -> Initiator:
    if not isinstance(initiator, Initiator):
        raise DarajaValidationError("Initiator", "must be a daraja.Initiator")
    return initiator


class InitiatorCalls:
    """Transaction Status, Reversal and B2C; mixed into :class:`daraja.client.DarajaClient`."""

    _config: DarajaConfig
    _poster: Poster

    async def transaction_status(
        self,
        initiator: Initiator,
        *,
        transaction_id: str | None,
        result_url: str,
        timeout_url: str,
        remarks: str = "Status",
        occasion: str = "",
        originator_conversation_id: str | None = None,
        party_a: str | None = None,
        identifier_type: str = "4",
        original_conversation_id: str | None = None,
    ) -> InitiatorAccepted:
        """Ask what M-Pesa knows of ``transaction_id``; the answer comes to ``result_url``.

        Without a transaction id (a B2C payment whose Result never came has none) the call
        it came from is named by ``original_conversation_id`` (its OriginatorConversationID).
        ``party_a`` defaults to the client's shortcode (IdentifierType "4", an organisation
        shortcode). Moves no money: retried like a query.
        """
        body: dict[str, Any] = {
            "Initiator": _initiator(initiator).name,
            "SecurityCredential": initiator.credential.get_secret_value(),
            "CommandID": "TransactionStatusQuery",
            "PartyA": check_shortcode("PartyA", party_a or self._config.business_shortcode),
            "IdentifierType": identifier_type,
            "ResultURL": check_url("ResultURL", result_url),
            "QueueTimeOutURL": check_url("QueueTimeOutURL", timeout_url),
            "Remarks": _remarks("Remarks", remarks, required=True),
            "Occasion": _remarks("Occasion", occasion, required=False),
        }
        if transaction_id or original_conversation_id is None:
            body["TransactionID"] = check_transaction_id(transaction_id or "")
        else:
            body["OriginalConversationID"] = check_text(
                "OriginalConversationID",
                original_conversation_id,
                max_length=MAX_CONVERSATION_ID_LENGTH,
            )
        if originator_conversation_id is not None:
            body["OriginatorConversationID"] = check_text(
                "OriginatorConversationID",
                originator_conversation_id,
                max_length=MAX_CONVERSATION_ID_LENGTH,
            )
        answer = await self._poster.post_safe(
            Operation.TRANSACTION_STATUS, TRANSACTION_STATUS_PATH, body
        )
        accepted = read_accepted(Operation.TRANSACTION_STATUS, answer, moves_money=False)
        logger.info(
            "transaction status of %s asked: conversation=%s",
            transaction_id or original_conversation_id,
            accepted.conversation_id,
        )
        return accepted

    async def reversal(
        self,
        initiator: Initiator,
        *,
        transaction_id: str,
        amount: int,
        result_url: str,
        timeout_url: str,
        remarks: str,
        occasion: str = "",
        receiver_identifier_type: str = "11",
        receiver_party: str | None = None,
    ) -> InitiatorAccepted:
        """Ask M-Pesa to reverse ``transaction_id`` (``amount`` shillings) back to its payer.

        ``receiver_party`` defaults to the client's shortcode. Sent once: OutcomeUnknown when
        it may have been queued; never resent by the client.
        """
        body = {
            "Initiator": _initiator(initiator).name,
            "SecurityCredential": initiator.credential.get_secret_value(),
            "CommandID": "TransactionReversal",
            "TransactionID": check_transaction_id(transaction_id),
            "Amount": check_amount(amount),
            "ReceiverParty": check_shortcode(
                "ReceiverParty", receiver_party or self._config.business_shortcode
            ),
            # Daraja's own spelling of the field.
            "RecieverIdentifierType": receiver_identifier_type,
            "ResultURL": check_url("ResultURL", result_url),
            "QueueTimeOutURL": check_url("QueueTimeOutURL", timeout_url),
            "Remarks": _remarks("Remarks", remarks, required=True),
            "Occasion": _remarks("Occasion", occasion, required=False),
        }
        answer = await self._poster.post_once(Operation.REVERSAL, REVERSAL_PATH, body)
        accepted = read_accepted(Operation.REVERSAL, answer, moves_money=True)
        logger.info(
            "reversal of %s (%d) accepted: conversation=%s",
            transaction_id,
            amount,
            accepted.conversation_id,
        )
        return accepted

    async def b2c_payment(
        self,
        initiator: Initiator,
        *,
        originator_conversation_id: str,
        b2c_shortcode: str,
        phone: str,
        amount: int,
        remarks: str,
        occasion: str,
        result_url: str,
        timeout_url: str,
        command_id: str = "BusinessPayment",
    ) -> InitiatorAccepted:
        """Pay ``amount`` shillings from ``b2c_shortcode`` to ``phone``; sent once.

        ``originator_conversation_id`` is ours (unique per payment): the result is matched by
        it. OutcomeUnknown when the request may have been queued; never resent by the client.
        """
        if command_id not in B2C_COMMANDS:
            raise DarajaValidationError("CommandID", "must be one of " + ", ".join(B2C_COMMANDS))
        msisdn = normalise_phone(phone, "PartyB")
        body = {
            "OriginatorConversationID": check_text(
                "OriginatorConversationID",
                originator_conversation_id,
                max_length=MAX_CONVERSATION_ID_LENGTH,
            ),
            "InitiatorName": _initiator(initiator).name,
            "SecurityCredential": initiator.credential.get_secret_value(),
            "CommandID": command_id,
            "Amount": check_amount(amount),
            "PartyA": check_shortcode("PartyA", b2c_shortcode),
            "PartyB": msisdn,
            "Remarks": _remarks("Remarks", remarks, required=True),
            "QueueTimeOutURL": check_url("QueueTimeOutURL", timeout_url),
            "ResultURL": check_url("ResultURL", result_url),
            "Occasion": _remarks("Occasion", occasion, required=False),
        }
        answer = await self._poster.post_once(Operation.B2C, B2C_PATH, body)
        accepted = read_accepted(Operation.B2C, answer, moves_money=True)
        logger.info(
            "b2c of %d to %s accepted: conversation=%s",
            amount,
            mask_phone(msisdn),
            accepted.conversation_id,
        )
        return accepted
