"""The one place that reads Daraja's HTTP answers and turns error answers into typed errors."""

from __future__ import annotations

import json
from typing import Any

import httpx

from daraja.errors import DarajaApiError, Operation


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """Return the answer's body as a JSON object, or None when it is empty or anything else."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


def error_code_of(response: httpx.Response) -> str | None:
    """Return the ``errorCode`` of an answer, or None when it has none."""
    body = json_object(response)
    return None if body is None else _text(body, "errorCode")


def has_error_shape(response: httpx.Response) -> bool:
    """True when the answer is Daraja's ``{"requestId","errorCode","errorMessage"}`` shape."""
    return error_code_of(response) is not None


def api_error(operation: Operation, response: httpx.Response) -> DarajaApiError:
    """Return the DarajaApiError describing an error answer (fields None when absent)."""
    body = json_object(response) or {}
    return DarajaApiError(
        operation=operation,
        status=response.status_code,
        error_code=_text(body, "errorCode"),
        error_message=_text(body, "errorMessage"),
        request_id=_text(body, "requestId"),
    )
