"""Migrations create the schema on SQLite and PostgreSQL and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import current_revision, upgrade
from storage.models import Base


async def test_migrations_create_every_table(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert {table.name for table in Base.metadata.sorted_tables} <= names


async def test_database_is_at_head_and_upgrading_again_changes_nothing(
    engine: AsyncEngine,
) -> None:
    before = await current_revision(engine)
    await upgrade(engine)
    assert before is not None
    assert await current_revision(engine) == before


async def test_schema_matches_the_models(engine: AsyncEngine) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []
