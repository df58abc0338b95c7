"""The contracts' implementations: each test runs in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from lipa_testing.memory_units import MemoryUnit, MemoryUnits
from storage.database import create_engine, session_factory
from storage.unit_of_work import SqlUnitOfWork, SqlUnits
from tests.conftest import _migrate

# Both implementations of ``checkout.conversation.ports.ConversationUnitOfWork``.
Units = Callable[[], MemoryUnit | SqlUnitOfWork]


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """Each implementation in turn: None (in memory), or a migrated, empty database's URL."""
    if request.param == "memory":
        return None
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_database_url")
        return url
    url = f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"
    asyncio.run(_migrate(url))
    return url


@pytest.fixture
def memory_units() -> Units:
    """The in-memory implementation (a contract of fewer ports may take a smaller one)."""
    return MemoryUnits()


@pytest.fixture
async def units(backend: str | None, memory_units: Units) -> AsyncIterator[Units]:
    """Units of work on the implementation under test."""
    if backend is None:
        yield memory_units
        return
    engine = create_engine(backend)
    try:
        yield SqlUnits(session_factory(engine))
    finally:
        await engine.dispose()
