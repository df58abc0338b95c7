"""Storage tests on SQLite run on both SQLite drivers (the ``SQLITE_DRIVER`` switch)."""

from __future__ import annotations

import pytest

from storage.database import SqliteDriver


@pytest.fixture(params=list(SqliteDriver), ids=[driver.value for driver in SqliteDriver])
def sqlite_driver(request: pytest.FixtureRequest) -> SqliteDriver:
    """Each SQLite driver in turn: Lipa's one-trip driver and SQLAlchemy's own adapter."""
    driver: SqliteDriver = request.param
    return driver
