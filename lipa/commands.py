"""The sub-commands of ``lipa`` and what each one runs."""

from __future__ import annotations

import argparse
from typing import Any

from lipa.settings import Settings
from storage.database import create_engine
from storage.migrate import current_revision, upgrade


def register(sub: Any) -> None:
    """Add every sub-command to the parser's sub-parsers."""
    migrate = sub.add_parser("migrate", help="apply database migrations to DATABASE_URL")
    migrate.set_defaults(handler=run_migrate)


async def run_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply the migrations and say which revision the database is at."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        revision = await current_revision(engine)
    finally:
        await engine.dispose()
    print(f"database migrated to revision {revision}")
    return 0
