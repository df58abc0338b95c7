"""What every route of the orders API shares: the refusal it raises, the JSON error it answers,
bodies read as JSON objects, times read with their zone, and opaque page cursors.

Every refusal is ``{"error": {"field": ..., "message": ...}}`` with the field at fault (null
when no one field is) and, where a state of things refused it (an order money moved on), a
``code`` saying which.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web


def error_response(
    status: int, field: str | None, message: str, code: str | None = None
) -> web.Response:
    """A JSON refusal naming the field at fault (and its ``code``, when it has one)."""
    headers = {"WWW-Authenticate": 'Bearer realm="lipa"'} if status == 401 else None
    error: dict[str, Any] = {"field": field, "message": message}
    if code is not None:
        error["code"] = code
    return web.json_response({"error": error}, status=status, headers=headers)


class ApiError(Exception):
    """A refusal raised inside a handler; the middleware answers it as JSON."""

    def __init__(
        self, status: int, field: str | None, message: str, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message
        self.code = code


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with its zone (``2026-11-28T09:00:00+03:00`` or ``...Z``).

    Raises ValueError also for a time that has no UTC equivalent within years 1 to 9999
    (``0001-01-01T00:00:00+14:00``): the databases compare times in UTC.
    """
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("no timezone")
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the years 1 to 9999 in UTC") from None
    return value


def encode_position(at: datetime, row_id: int) -> str:
    """An opaque page cursor: base64url of the last row's time and id."""
    raw = f"{at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(text: str, *, max_id: int) -> tuple[datetime, int]:
    """The time and id :func:`encode_position` made; raises ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        when, _, identifier = raw.rpartition("|")
        at = parse_time(when)
        row_id = int(identifier)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("not a cursor from this API") from None
    if not 0 <= row_id <= max_id:
        raise ValueError("not a cursor from this API")
    return at, row_id


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members; a key given twice is refused (no silent "last one wins")."""
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise _DuplicateKey(key)
        members[key] = value
    return members


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's body as a JSON object, or a 400."""
    try:
        body = json.loads(await request.read(), object_pairs_hook=_unique_keys)
    except _DuplicateKey as duplicate:
        raise ApiError(400, duplicate.key, "is given more than once") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: nesting deeper than Python's stack, e.g. 30,000 "[".
        raise ApiError(400, None, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(400, None, "the body must be a JSON object")
    return body


def single_query(request: web.Request, allowed: frozenset[str]) -> dict[str, str]:
    """The query's parameters, each given once and all of them known, or a 400."""
    query = request.query
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise ApiError(400, unknown[0], "unknown parameter")
    repeated = sorted(name for name in set(query) if len(query.getall(name)) > 1)
    if repeated:
        raise ApiError(400, repeated[0], "is given more than once")
    return {name: query[name] for name in query}


def page_limit(query: dict[str, str], *, default: int, maximum: int) -> int:
    """The ``limit`` query parameter: ``default`` when absent, else a whole number from 1 to
    ``maximum`` (:class:`ApiError` 400 naming ``limit`` otherwise)."""
    if "limit" not in query:
        return default
    try:
        limit = int(query["limit"])
    except ValueError:
        limit = 0
    if not 1 <= limit <= maximum:
        raise ApiError(400, "limit", f"must be a whole number from 1 to {maximum}")
    return limit
