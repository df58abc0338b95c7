"""A unit of work runs registered steps around its commit, knowing nothing of what they do."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import session_factory
from storage.unit_of_work import SqlUnitOfWork, SqlUnits


async def test_after_commit_callbacks_run_once_the_commit_succeeded_and_only_for_it(
    uow: SqlUnits,
) -> None:
    seen: list[str] = []
    async with uow() as unit:
        unit.after_commit(lambda: seen.append("first commit"))
        assert seen == []
        await unit.commit()
        assert seen == ["first commit"]
        await unit.commit()
    assert seen == ["first commit"]


async def test_a_rollback_forgets_the_after_commit_callbacks(uow: SqlUnits) -> None:
    seen: list[str] = []
    async with uow() as unit:
        unit.after_commit(lambda: seen.append("never"))
        await unit.rollback()
        await unit.commit()
    async with uow() as unit:
        unit.after_commit(lambda: seen.append("never either"))
    assert seen == []


async def test_hooks_register_before_commit_steps_on_every_new_unit(engine: AsyncEngine) -> None:
    steps: list[int] = []

    def hook(unit: SqlUnitOfWork) -> None:
        async def step() -> None:
            steps.append(len(steps))
            unit.after_commit(lambda: steps.append(-1))

        unit.before_commit(step)

    uow = SqlUnits(session_factory(engine), hooks=[hook])
    async with uow() as unit:
        await unit.commit()
    async with uow() as unit:
        await unit.commit()
    assert steps == [0, -1, 2, -1]


async def test_a_unit_makes_the_repositories_it_uses_and_fresh_ones_each_time(
    uow: SqlUnits,
) -> None:
    unit = uow()
    async with unit:
        await unit.orders.create("WW-1", 1500, known=True)
        first = unit.orders
        assert unit.orders is first  # made once in the unit
        made = set(vars(unit))
        await unit.commit()
    assert "orders" in made
    assert not {"payments", "plans", "outbox", "audit"} & made  # never used: never made
    async with unit:  # entered again: a repository on the new session
        assert unit.orders is not first
        order = await unit.orders.get("WW-1")
    assert order is not None
    assert order.amount_due == 1500
