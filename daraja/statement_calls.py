"""C2B registration and simulation, and Pull Transactions: calls of :class:`DarajaClient`.

Registration and Pull move no money and are retried like queries; the sandbox's C2B simulate
pays the shortcode (sandbox money) and is sent once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from daraja.config import DarajaConfig, TransactionType
from daraja.errors import (
    CallbackError,
    DarajaApiError,
    DarajaProtocolError,
    DarajaValidationError,
    Operation,
)
from daraja.fields import nairobi_time, optional_text, required_id, whole_shillings
from daraja.models import PullEntry
from daraja.phones import mask_phone, normalise_phone
from daraja.posting import Poster
from daraja.signing import NAIROBI
from daraja.validation import check_amount, check_shortcode, check_text, check_url

C2B_REGISTER_PATH = "/mpesa/c2b/v2/registerurl"
C2B_SIMULATE_PATH = "/mpesa/c2b/v1/simulate"
PULL_REGISTER_PATH = "/pulltransactions/v1/register"
PULL_QUERY_PATH = "/pulltransactions/v1/query"
RESPONSE_TYPES = frozenset({"Completed", "Cancelled"})
C2B_COMMANDS = frozenset({"CustomerPayBillOnline", "CustomerBuyGoodsOnline"})
PULL_OK = "1000"
PULL_WINDOW = timedelta(hours=48)  # how far back Daraja keeps a shortcode's statement
PULL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_PULL_PAGES = 10_000  # far beyond 48 hours of any shortcode; a guard against a loop
MAX_BILL_REF_LENGTH = 64

logger = logging.getLogger(__name__)


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def _code_text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def _pull_time(field: str, moment: datetime) -> str:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise DarajaValidationError(field, "must be a timezone-aware datetime")
    return moment.astimezone(NAIROBI).strftime(PULL_TIME_FORMAT)


def parse_pull_entry(item: Any) -> PullEntry:
    """One statement line of a Pull answer; CallbackError when it is malformed."""
    if not isinstance(item, Mapping):
        raise CallbackError("a Pull entry is not an object")
    return PullEntry(
        transaction_id=required_id(item.get("transactionId"), "transactionId", max_length=32),
        time=nairobi_time(item.get("trxDate"), "trxDate"),
        msisdn=optional_text(item.get("msisdn"), "msisdn", max_length=128),
        sender=optional_text(item.get("sender"), "sender", max_length=128),
        transaction_type=optional_text(
            item.get("transactiontype"), "transactiontype", max_length=64
        ),
        bill_reference=optional_text(item.get("billreference"), "billreference", max_length=128),
        amount=whole_shillings(item.get("amount"), "amount"),
        organization_name=optional_text(
            item.get("organizationname"), "organizationname", max_length=128
        ),
    )


def pull_page(body: Mapping[str, Any]) -> list[PullEntry]:
    """The entries of one Pull answer (``Response`` is ``[[{...}, ...]]``; empty: ``[[]]``/[])."""
    code = _code_text(body.get("ResponseCode"))
    if code != PULL_OK:
        raise DarajaApiError(
            operation=Operation.PULL_QUERY,
            status=200,
            error_code=code,
            error_message=_text(body, "ResponseMessage"),
            request_id=_text(body, "ResponseRefID"),
        )
    response = body.get("Response")
    if response is None:
        return []
    if not isinstance(response, list):
        raise DarajaProtocolError("Pull answer: Response is not a list")
    # Daraja nests the page one level deep; accept a flat list too.
    rows = [row for part in response for row in (part if isinstance(part, list) else [part])]
    try:
        return [parse_pull_entry(row) for row in rows]
    except CallbackError as exc:
        raise DarajaProtocolError(f"Pull answer: {exc}") from exc


class StatementCalls:
    """C2B register/simulate and Pull register/query; mixed into DarajaClient."""

    _config: DarajaConfig
    _poster: Poster

    async def register_c2b_urls(
        self,
        *,
        confirmation_url: str,
        validation_url: str,
        response_type: str = "Completed",
        shortcode: str | None = None,
    ) -> dict[str, Any]:
        """Register the C2B confirmation and validation URLs (C2B v2); return Daraja's answer.

        ``response_type`` ("Completed" or "Cancelled") is what happens when validation does not
        answer in time. DarajaApiError when Daraja refuses (a non-zero ResponseCode too).
        """
        if response_type not in RESPONSE_TYPES:
            raise DarajaValidationError("ResponseType", "must be Completed or Cancelled")
        body = {
            "ShortCode": check_shortcode("ShortCode", shortcode or self._config.business_shortcode),
            "ResponseType": response_type,
            "ConfirmationURL": check_url("ConfirmationURL", confirmation_url),
            "ValidationURL": check_url("ValidationURL", validation_url),
        }
        answer = await self._poster.post_safe(Operation.C2B_REGISTER, C2B_REGISTER_PATH, body)
        self._check_response_code(Operation.C2B_REGISTER, answer)
        logger.info("c2b urls registered for %s", body["ShortCode"])
        return answer

    async def simulate_c2b(
        self,
        *,
        phone: str,
        amount: int,
        bill_ref: str,
        shortcode: str | None = None,
        command_id: str | None = None,
    ) -> dict[str, Any]:
        """Sandbox only: pay the shortcode from ``phone`` as a customer would; sent once.

        ``command_id`` defaults to the client's kind (paybill or buy goods); a buy-goods
        payment may have an empty ``bill_ref``.
        """
        command = command_id or (
            "CustomerBuyGoodsOnline"
            if self._config.transaction_type is TransactionType.TILL
            else "CustomerPayBillOnline"
        )
        if command not in C2B_COMMANDS:
            raise DarajaValidationError("CommandID", "must be one of " + ", ".join(C2B_COMMANDS))
        minimum = 0 if command == "CustomerBuyGoodsOnline" else 1
        msisdn = normalise_phone(phone, "Msisdn")
        body = {
            "ShortCode": check_shortcode("ShortCode", shortcode or self._config.receiving_party),
            "CommandID": command,
            "Amount": check_amount(amount),
            "Msisdn": msisdn,
            "BillRefNumber": check_text(
                "BillRefNumber", bill_ref, min_length=minimum, max_length=MAX_BILL_REF_LENGTH
            ),
        }
        answer = await self._poster.post_once(Operation.C2B_SIMULATE, C2B_SIMULATE_PATH, body)
        self._check_response_code(Operation.C2B_SIMULATE, answer)
        logger.info("c2b simulated: %d from %s", amount, mask_phone(msisdn))
        return answer

    async def register_pull(
        self, *, nominated_number: str, callback_url: str, shortcode: str | None = None
    ) -> dict[str, Any]:
        """Register the shortcode for Pull Transactions; return Daraja's answer.

        ``nominated_number`` is the phone M-Pesa sends the shortcode's notices to (sent in the
        local ``07...`` form Daraja's documentation shows).
        """
        msisdn = normalise_phone(nominated_number, "NominatedNumber")
        body = {
            "ShortCode": check_shortcode("ShortCode", shortcode or self._config.business_shortcode),
            "RequestType": "Pull",
            "NominatedNumber": "0" + msisdn[3:],
            "CallBackURL": check_url("CallBackURL", callback_url),
        }
        answer = await self._poster.post_safe(Operation.PULL_REGISTER, PULL_REGISTER_PATH, body)
        described = _text(answer, "ResponseDescription")
        logger.info("pull registered for %s: %s", body["ShortCode"], described)
        return answer

    async def pull_transactions(
        self, *, start: datetime, end: datetime, shortcode: str | None = None
    ) -> list[PullEntry]:
        """Every transaction of the shortcode from ``start`` to ``end`` (Nairobi time), all pages.

        The offset is raised by each page's length until a page comes back empty. A page that
        repeats an earlier one (an offset Daraja ignored) ends the walk; duplicates are dropped.
        """
        start_text, end_text = _pull_time("StartDate", start), _pull_time("EndDate", end)
        if start >= end:
            raise DarajaValidationError("StartDate", "must be before EndDate")
        code = check_shortcode("ShortCode", shortcode or self._config.business_shortcode)
        entries: dict[str, PullEntry] = {}
        offset = 0
        for _ in range(MAX_PULL_PAGES):
            body = {
                "ShortCode": code,
                "StartDate": start_text,
                "EndDate": end_text,
                "OffSetValue": str(offset),
            }
            answer = await self._poster.post_safe(Operation.PULL_QUERY, PULL_QUERY_PATH, body)
            page = pull_page(answer)
            fresh = [entry for entry in page if entry.transaction_id not in entries]
            if not fresh:
                break
            for entry in fresh:
                entries[entry.transaction_id] = entry
            offset += len(page)
        else:
            raise DarajaProtocolError(f"Pull answered more than {MAX_PULL_PAGES} pages")
        logger.info("pulled %d transactions of %s", len(entries), code)
        return list(entries.values())

    @staticmethod
    def _check_response_code(operation: Operation, answer: dict[str, Any]) -> None:
        code = _code_text(answer.get("ResponseCode"))
        if code is not None and code != "0":
            raise DarajaApiError(
                operation=operation,
                status=200,
                error_code=code,
                error_message=_text(answer, "ResponseDescription"),
                request_id=_text(answer, "OriginatorCoversationID")
                or _text(answer, "OriginatorConversationID"),
            )
