"""The pieces the orders API's OpenAPI description repeats: types, parameters, responses.

Shared by :mod:`webhook.openapi` and :mod:`webhook.openapi_orders`.
"""

from __future__ import annotations

from typing import Any, Final

REFERENCE_PATTERN: Final = "^[A-Za-z0-9-]{1,12}$"
TIME: Final = {"type": "string", "format": "date-time"}
NULLABLE_TIME: Final = {"type": ["string", "null"], "format": "date-time"}
REFERENCE_PARAMETER: Final = {
    "name": "reference",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": REFERENCE_PATTERN},
}


def error(description: str) -> dict[str, Any]:
    """A response carrying an ``Error``."""
    return json(description, "Error")


def json(description: str, schema: str) -> dict[str, Any]:
    """A JSON response of the schema named ``schema``."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def time_parameter(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    """A query parameter holding a time."""
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", "format": "date-time"},
    }


def page_parameters(maximum: int) -> list[dict[str, Any]]:
    """The ``limit`` and ``cursor`` query parameters of a paged list."""
    return [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": 100},
        },
        {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "The next_cursor of the previous page.",
            "schema": {"type": "string"},
        },
    ]
