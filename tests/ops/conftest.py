"""Service-level tests run the real service against the fake Bot API (fixtures from e2e)."""

from __future__ import annotations

from tests.e2e.conftest import sqlite_url, start_service, telegram

__all__ = ["sqlite_url", "start_service", "telegram"]
