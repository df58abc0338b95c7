"""A plan's weeks told through ``lipa installments collect --as-of``, for end-to-end tests.

Each pass is the real command in its own process, against a Daraja simulator and a SQLite
file. Between passes the customer acts in the chat and the callbacks of the prompts arrive:
both go through the services of :func:`tests.bnpl.conftest.make_shop` on the same database,
their clock set to the moment of the story, as ``lipa serve`` would handle them then.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from checkout.bnpl.rules import PlanRules
from checkout.conversation.model import ButtonPressed, Command, Reply, TextMessage
from daraja.simulator.server import SimulatorServer
from daraja.simulator.settings import SimulatorSettings
from lipa.settings import Settings
from storage.database import create_engine, session_factory
from storage.migrate import upgrade
from storage.unit_of_work import unit_of_work_factory
from tests.bnpl.conftest import CHAT, STAFF, START, Shop, buttons, make_shop

ROOT = Path(__file__).resolve().parents[2]
# The command runs without Telegram, so its staff notices go to the staff log ("staff").
STAFF_CHATS = frozenset({STAFF, "staff"})


@dataclass
class Story:
    """The shop in this process and the ``lipa`` command in others, on one database."""

    shop: Shop
    simulator: SimulatorServer
    database: str
    environment: dict[str, str]
    seen: list[dict[str, Any]] = field(default_factory=list)
    unread: list[dict[str, Any]] = field(default_factory=list)

    async def collect(self, as_of: datetime) -> list[str]:
        """Run ``lipa installments collect --as-of``; the lines it printed."""
        self.shop.clock.now = as_of
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lipa",
            "installments",
            "collect",
            "--as-of",
            as_of.isoformat(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.environment,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        return out.decode().splitlines()

    async def answer(self, code: int) -> None:
        """The phone answers the open prompt with ``code``; its callback is settled."""
        for checkout_id in self.simulator.daraja.open_prompts():
            await self.simulator.daraja.settle(checkout_id, code)
        await self.shop.settle_last(code)

    def at(self, moment: datetime) -> None:
        """Move the shop's clock (the chat and the callbacks) to ``moment``."""
        self.shop.clock.now = moment

    async def press(self, data: str) -> list[Reply]:
        """The customer presses a button (its callback data)."""
        return await self.shop.say(ButtonPressed(data))

    async def command(self, name: str, argument: str = "") -> list[Reply]:
        return await self.shop.say(Command(name, argument))

    async def text(self, text: str) -> list[Reply]:
        return await self.shop.say(TextMessage(text))

    async def messages(self, chat: str = CHAT) -> list[dict[str, Any]]:
        """The messages queued for ``chat`` since its last look (every chat's are kept)."""
        new = await self.shop.messages()
        self.seen += new
        self.unread += new
        mine = [message for message in self.unread if message["chat"] == chat]
        self.unread = [message for message in self.unread if message["chat"] != chat]
        return mine

    async def staff_texts(self) -> list[str]:
        """The staff notices since the last look, from the chat and from the command's log."""
        notices = await self.messages(STAFF) + await self.messages("staff")
        return [str(message["text"]) for message in notices]


def data(message: dict[str, Any] | Reply) -> list[str]:
    """The callback data of a message's (or a reply's) buttons."""
    if isinstance(message, Reply):
        return [button.data for button in buttons(message)]
    return [button["data"] for row in message.get("buttons") or [] for button in row]


def command_environment(database: str, simulator: SimulatorServer, **extra: str) -> dict[str, str]:
    """The command's environment: only the settings a test names (none from the host)."""
    names = {name.upper() for name in Settings.model_fields}
    environment = {key: value for key, value in os.environ.items() if key.upper() not in names}
    environment.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database,
        MPESA_API_BASE_URL=simulator.base_url,
        MPESA_CALLBACK_SECRET="cb-secret",
        BNPL_REQUIRE_PAID_HISTORY="false",
        **extra,
    )
    return environment


@pytest.fixture
async def simulator() -> AsyncIterator[SimulatorServer]:
    # The test answers each prompt itself (as a callback); the simulator's own comes too late.
    async with SimulatorServer(SimulatorSettings(callback_delay=600)) as server:
        yield server


async def open_story(
    tmp_path: Path, simulator: SimulatorServer, rules: PlanRules, **settings: str
) -> AsyncIterator[Story]:
    """A migrated SQLite file, a shop with ``rules`` on it (the clock at START), the command's
    environment with the same rules (``settings`` as ``BNPL_*`` variables)."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'lipa.db'}"
    engine = create_engine(database)
    try:
        await upgrade(engine)
        shop = make_shop(unit_of_work_factory(session_factory(engine)), rules=rules)
        shop.clock.now = START
        yield Story(shop, simulator, database, command_environment(database, simulator, **settings))
    finally:
        await engine.dispose()
