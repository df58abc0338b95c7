"""The exceptions the Daraja client raises, all under :class:`DarajaError`.

::

    DarajaError
    ├── DarajaValidationError (also ValueError)  a value refused before anything is sent
    ├── CallbackError (also ValueError)          a callback, C2B or Result body that is malformed
    ├── DarajaAuthError                          the consumer key/secret were refused
    ├── DarajaApiError                           Daraja answered with an error
    ├── DarajaProtocolError                      an answer whose shape Daraja does not document
    ├── DarajaUnavailable                        no answer after the retries (network, timeouts)
    └── OutcomeUnknown                           a request may or may not have been accepted
        └── PushOutcomeUnknown                   ... an STK push

Result codes of a payment (paid, cancelled, ...) are values, not exceptions.
"""

from __future__ import annotations

from enum import StrEnum

from daraja.error_codes import ErrorCode


class Operation(StrEnum):
    """The Daraja call an error came from; some error codes mean different things per call."""

    TOKEN = "token"
    STK_PUSH = "stk_push"
    STK_QUERY = "stk_query"
    C2B_REGISTER = "c2b_register"
    C2B_SIMULATE = "c2b_simulate"
    TRANSACTION_STATUS = "transaction_status"
    REVERSAL = "reversal"
    B2C = "b2c"
    PULL_REGISTER = "pull_register"
    PULL_QUERY = "pull_query"


class DarajaError(Exception):
    """Base of every error raised by the ``daraja`` package."""


class DarajaValidationError(DarajaError, ValueError):
    """A value that breaks one of Daraja's rules, refused before any request is sent."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class CallbackError(DarajaError, ValueError):
    """A body Daraja POSTs to us (STK callback, C2B, Result) that is malformed; says why."""


class DarajaAuthError(DarajaError):
    """Daraja refused the consumer key and secret (HTTP 400 with an empty body)."""

    def __init__(self, status: int, message: str = "consumer key or secret refused") -> None:
        super().__init__(f"{message} (HTTP {status})")
        self.status = status


class DarajaApiError(DarajaError):
    """Daraja refused a call: HTTP status, ``errorCode``, ``errorMessage`` and ``requestId``."""

    def __init__(
        self,
        operation: Operation,
        status: int,
        error_code: str | None,
        error_message: str | None,
        request_id: str | None,
    ) -> None:
        super().__init__(
            f"{operation} refused: HTTP {status} {error_code or '-'} {error_message or ''}".rstrip()
        )
        self.operation = operation
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        self.request_id = request_id

    @property
    def is_invalid_token(self) -> bool:
        """True when Daraja did not accept the access token (``404.001.03``)."""
        return self.error_code == ErrorCode.INVALID_ACCESS_TOKEN

    @property
    def is_bad_request(self) -> bool:
        """True when Daraja refused a field of the request (``400.002.02``)."""
        return self.error_code == ErrorCode.BAD_REQUEST

    @property
    def is_wrong_credentials(self) -> bool:
        """True when Daraja refused the shortcode/passkey pair: a configuration error.

        Daraja answers ``500.001.1001`` both for "Wrong credentials" and for "unable to lock
        subscriber" (and, to a query, "being processed"); no status, field or other code tells
        them apart, so here alone the ``errorMessage`` decides.
        """
        return (
            self.error_code == ErrorCode.PROCESSING_OR_LOCKED
            and "credential" in (self.error_message or "").lower()
        )

    @property
    def is_subscriber_locked(self) -> bool:
        """True when a push met ``500.001.1001`` for a busy phone: try again in about a minute."""
        return (
            self.operation is Operation.STK_PUSH
            and self.error_code == ErrorCode.PROCESSING_OR_LOCKED
            and not self.is_wrong_credentials
        )

    @property
    def is_in_progress(self) -> bool:
        """True when a query met ``500.001.1001``: the payment is still being processed."""
        return (
            self.operation is Operation.STK_QUERY
            and self.error_code == ErrorCode.PROCESSING_OR_LOCKED
            and not self.is_wrong_credentials
        )

    @property
    def is_rate_limited(self) -> bool:
        """True when Daraja's API gateway answered HTTP 429: busy, try again later."""
        return self.status == 429

    @property
    def is_system_busy(self) -> bool:
        """True when Daraja shed the request under load (``500.003.02``, spike arrest)."""
        return self.error_code == ErrorCode.SYSTEM_BUSY

    @property
    def is_quota_exceeded(self) -> bool:
        """True when the app's quota is used up (``500.003.03``)."""
        return self.error_code == ErrorCode.QUOTA_EXCEEDED

    @property
    def is_server_error(self) -> bool:
        """True for any HTTP 5xx answer."""
        return self.status >= 500


class DarajaProtocolError(DarajaError):
    """An answer whose shape Daraja does not document (not JSON, missing fields, wrong types)."""


class DarajaUnavailable(DarajaError):
    """Daraja could not be reached, or did not answer in time, after the allowed retries."""


class OutcomeUnknown(DarajaError):
    """A request that moves money (or asks for a payment) was sent, and whether Daraja took it
    is unknown: a timeout after sending, a gateway error, an answer we cannot read.

    The client never repeats such a request (Daraja has no idempotency key). For a Reversal or
    a B2C payment the caller asks Transaction Status, or waits for the result, before any
    second attempt. ``operation`` names the call.
    """

    def __init__(self, message: str, operation: Operation | None = None) -> None:
        super().__init__(message)
        self.operation = operation


class PushOutcomeUnknown(OutcomeUnknown):
    """An STK push was sent but it is unknown whether Daraja accepted it.

    The client never repeats such a push: Daraja has no idempotency key and a second push is a
    second prompt. The caller waits for the callback or queries before pushing again.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, Operation.STK_PUSH)
