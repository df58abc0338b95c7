"""Till tests that run the real service use the end-to-end fixtures."""

from __future__ import annotations

from tests.e2e.conftest import sqlite_url, start_service

__all__ = ["sqlite_url", "start_service"]
