"""Daraja (M-Pesa Express) client and a local Daraja simulator.

The client needs an ``httpx.AsyncClient`` (see :func:`build_http_client`) and a
:class:`DarajaConfig`; errors are described in :mod:`daraja.errors`. The simulator lives in
:mod:`daraja.simulator` and is imported from there (it needs aiohttp).
"""

from daraja.c2b import (
    C2B_ACCEPT,
    C2B_CONFIRMED,
    C2BNotice,
    C2BRejectCode,
    c2b_reject,
    parse_c2b,
)
from daraja.callback import load_callback, parse_callback, storable_json
from daraja.client import STK_PUSH_PATH, STK_QUERY_PATH, DarajaClient
from daraja.config import (
    PRODUCTION_BASE_URL,
    SANDBOX_BASE_URL,
    DarajaConfig,
    Secret,
    TransactionType,
)
from daraja.error_codes import ErrorCode
from daraja.errors import (
    CallbackError,
    DarajaApiError,
    DarajaAuthError,
    DarajaError,
    DarajaProtocolError,
    DarajaUnavailable,
    DarajaValidationError,
    Operation,
    OutcomeUnknown,
    PushOutcomeUnknown,
)
from daraja.initiator import Initiator, security_credential
from daraja.models import (
    InitiatorAccepted,
    PullEntry,
    StkCallback,
    StkPushAccepted,
    StkQueryOutcome,
    StkQueryPending,
    StkQueryResult,
)
from daraja.oauth import TOKEN_PATH, DarajaAuth, TokenCache
from daraja.phones import mask_phone, normalise_phone
from daraja.result_codes import ResultCode
from daraja.results import (
    InitiatorResult,
    TransactionStatusDetails,
    parse_result,
    parse_timeout,
    transaction_status_details,
)
from daraja.retry import RetryPolicy
from daraja.signing import NAIROBI, nairobi_timestamp, stk_password, utc_now
from daraja.transport import DEFAULT_TIMEOUT, HttpTransport, build_http_client
from daraja.validation import (
    MAX_AMOUNT,
    MAX_DESCRIPTION_LENGTH,
    MAX_REFERENCE_LENGTH,
    MIN_AMOUNT,
    check_amount,
    check_callback_url,
    check_description,
    check_reference,
)

__all__ = [
    "C2B_ACCEPT",
    "C2B_CONFIRMED",
    "DEFAULT_TIMEOUT",
    "MAX_AMOUNT",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_REFERENCE_LENGTH",
    "MIN_AMOUNT",
    "NAIROBI",
    "PRODUCTION_BASE_URL",
    "SANDBOX_BASE_URL",
    "STK_PUSH_PATH",
    "STK_QUERY_PATH",
    "TOKEN_PATH",
    "C2BNotice",
    "C2BRejectCode",
    "CallbackError",
    "DarajaApiError",
    "DarajaAuth",
    "DarajaAuthError",
    "DarajaClient",
    "DarajaConfig",
    "DarajaError",
    "DarajaProtocolError",
    "DarajaUnavailable",
    "DarajaValidationError",
    "ErrorCode",
    "HttpTransport",
    "Initiator",
    "InitiatorAccepted",
    "InitiatorResult",
    "Operation",
    "OutcomeUnknown",
    "PullEntry",
    "PushOutcomeUnknown",
    "ResultCode",
    "RetryPolicy",
    "Secret",
    "StkCallback",
    "StkPushAccepted",
    "StkQueryOutcome",
    "StkQueryPending",
    "StkQueryResult",
    "TokenCache",
    "TransactionStatusDetails",
    "TransactionType",
    "build_http_client",
    "c2b_reject",
    "check_amount",
    "check_callback_url",
    "check_description",
    "check_reference",
    "load_callback",
    "mask_phone",
    "nairobi_timestamp",
    "normalise_phone",
    "parse_c2b",
    "parse_callback",
    "parse_result",
    "parse_timeout",
    "security_credential",
    "stk_password",
    "storable_json",
    "transaction_status_details",
    "utc_now",
]
