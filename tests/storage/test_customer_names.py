"""Customers' names (Telegram's first name, M-Pesa's name) are kept cleaned, renamed, read back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from checkout.domain.records import NAME_LIMIT, Channel
from storage.database import create_engine
from storage.migrate import current_revision, downgrade, upgrade
from storage.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
UowFactory = Callable[[], SqlUnitOfWork]


async def test_a_first_contact_keeps_the_name_and_a_later_one_renames(uow: UowFactory) -> None:
    async with uow() as unit:
        first = await unit.customers.get_or_create(
            Channel.TELEGRAM, "42", language="en", now=NOW, telegram_user_id=42, name="Wanjiku"
        )
        await unit.commit()
    assert first.name == "Wanjiku"
    async with uow() as unit:
        renamed = await unit.customers.get_or_create(
            Channel.TELEGRAM, "42", language="en", now=NOW + timedelta(days=1), name="Wanjiku M"
        )
        await unit.commit()
    assert (renamed.id, renamed.name) == (first.id, "Wanjiku M")
    async with uow() as unit:
        # No name given (a USSD caller, a web page): the stored one stays.
        again = await unit.customers.get_or_create(Channel.TELEGRAM, "42", language="en", now=NOW)
        found = await unit.customers.find(Channel.TELEGRAM, "42")
    assert again.name == "Wanjiku M"
    assert found is not None
    assert (found.id, found.name) == (first.id, "Wanjiku M")


async def test_a_name_is_cleaned_and_capped_before_it_is_stored(uow: UowFactory) -> None:
    long = "Nyambura" * 20
    async with uow() as unit:
        odd = await unit.customers.get_or_create(
            Channel.TELEGRAM, "1", language="en", now=NOW, name="  Wa\nnji\u202eku\x00  "
        )
        capped = await unit.customers.get_or_create(
            Channel.TELEGRAM, "2", language="en", now=NOW, name=long
        )
        blank = await unit.customers.get_or_create(
            Channel.TELEGRAM, "3", language="en", now=NOW, name="\u200b\n "
        )
        await unit.commit()
    async with uow() as unit:
        names = await unit.customers.names([odd.id, capped.id, blank.id])
    assert names == {odd.id: "Wa njiku", capped.id: long[:NAME_LIMIT]}


async def test_names_reads_only_the_customers_asked_for_with_a_name(uow: UowFactory) -> None:
    async with uow() as unit:
        named = await unit.customers.get_or_create(Channel.USSD, "0712", language="en", now=NOW)
        other = await unit.customers.get_or_create(Channel.USSD, "0713", language="en", now=NOW)
        await unit.customers.set_name(named.id, "JOHN DOE", now=NOW)
        await unit.customers.set_name(other.id, "J*** D***", now=NOW)  # masked: no name
        await unit.commit()
    async with uow() as unit:
        assert await unit.customers.names([named.id, other.id, 9999]) == {named.id: "JOHN DOE"}
        assert await unit.customers.names([]) == {}
        assert await unit.customers.find(Channel.USSD, "0799") is None


async def test_migration_0017_adds_the_name_column_and_takes_it_away_again(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/names.db")
    try:
        await upgrade(engine, "0016")
        assert "name" not in await _customer_columns(engine)
        await upgrade(engine, "0017")
        assert "name" in await _customer_columns(engine)
        await downgrade(engine, "0016")
        assert await current_revision(engine) == "0016"
        assert "name" not in await _customer_columns(engine)
    finally:
        await engine.dispose()


async def _customer_columns(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: {column["name"] for column in inspect(sync).get_columns("customers")}
        )
