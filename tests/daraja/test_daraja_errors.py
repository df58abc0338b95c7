"""The exception tree, the error properties callers act on, and the result codes."""

from __future__ import annotations

import pytest

from daraja.errors import (
    CallbackError,
    DarajaApiError,
    DarajaAuthError,
    DarajaError,
    DarajaProtocolError,
    DarajaUnavailable,
    DarajaValidationError,
    Operation,
    PushOutcomeUnknown,
)
from daraja.result_codes import ResultCode


@pytest.mark.parametrize(
    "error",
    [
        CallbackError("x"),
        DarajaAuthError(400),
        DarajaApiError(Operation.STK_PUSH, 400, "400.002.02", "Bad Request", "r"),
        DarajaProtocolError("x"),
        DarajaUnavailable("x"),
        PushOutcomeUnknown("x"),
        DarajaValidationError("Amount", "rule"),
    ],
)
def test_every_error_is_a_daraja_error(error: Exception) -> None:
    assert isinstance(error, DarajaError)


def test_validation_and_callback_errors_are_value_errors() -> None:
    assert isinstance(DarajaValidationError("Amount", "rule"), ValueError)
    assert isinstance(CallbackError("x"), ValueError)
    assert str(DarajaValidationError("Amount", "must be an int")) == "Amount: must be an int"


def api_error(operation: Operation, status: int, code: str | None) -> DarajaApiError:
    return DarajaApiError(operation, status, code, "some text", "req")


def test_500_001_1001_means_locked_on_a_push_and_in_progress_on_a_query() -> None:
    push = api_error(Operation.STK_PUSH, 500, "500.001.1001")
    query = api_error(Operation.STK_QUERY, 500, "500.001.1001")
    assert push.is_subscriber_locked
    assert not push.is_in_progress
    assert query.is_in_progress
    assert not query.is_subscriber_locked


@pytest.mark.parametrize(
    ("code", "flag"),
    [
        ("404.001.03", "is_invalid_token"),
        ("400.002.02", "is_bad_request"),
        ("500.003.02", "is_system_busy"),
        ("500.003.03", "is_quota_exceeded"),
    ],
)
def test_error_codes_are_properties_not_text(code: str, flag: str) -> None:
    flags = ["is_invalid_token", "is_bad_request", "is_system_busy", "is_quota_exceeded"]
    error = api_error(Operation.STK_PUSH, 500, code)
    assert [getattr(error, name) for name in flags] == [name == flag for name in flags]


def test_properties_do_not_depend_on_the_message() -> None:
    error = DarajaApiError(Operation.STK_PUSH, 500, None, "System is busy", None)
    assert not error.is_system_busy
    assert error.is_server_error


def test_result_codes_match_the_design() -> None:
    assert {code.name: int(code) for code in ResultCode} == {
        "PAID": 0,
        "INSUFFICIENT_BALANCE": 1,
        "AMOUNT_BELOW_MINIMUM": 2,
        "AMOUNT_ABOVE_MAXIMUM": 3,
        "DAILY_LIMIT_EXCEEDED": 4,
        "DUPLICATE_WITHIN_TWO_MINUTES": 17,
        "SUBSCRIBER_LOCKED": 1001,
        "EXPIRED": 1019,
        "PROMPT_NOT_SENT": 1025,
        "CANCELLED": 1032,
        "UNREACHABLE": 1036,
        "NO_ANSWER": 1037,
        "WRONG_PIN": 2001,
        "IN_PROGRESS": 4999,
        "PUSH_REQUEST_ERROR": 9999,
    }
    assert ResultCode.known(1032) is ResultCode.CANCELLED
    assert ResultCode.known(12345) is None


def test_a_push_of_unknown_outcome_is_an_outcome_unknown_of_the_push() -> None:
    from daraja.errors import OutcomeUnknown

    error = PushOutcomeUnknown("x")
    assert isinstance(error, OutcomeUnknown)
    assert error.operation is Operation.STK_PUSH
    assert OutcomeUnknown("y", Operation.REVERSAL).operation is Operation.REVERSAL
