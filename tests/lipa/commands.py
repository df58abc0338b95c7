"""Running the `lipa` command as a deployment does: a process of its own, reading only the
settings a test gives it (none of this machine's)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from lipa.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)


def environment(**values: str) -> dict[str, str]:
    """This process's environment without Lipa's settings, plus ``values`` (by upper-case
    name) and Lipa on the import path."""
    kept = {key: value for key, value in os.environ.items() if key.upper() not in SETTING_NAMES}
    kept.update(PYTHONPATH=str(ROOT))
    kept.update({key.upper(): value for key, value in values.items()})
    return kept


def lipa(*args: str, cwd: Path, **values: str) -> subprocess.CompletedProcess[str]:
    """Run ``lipa *args`` to its end (at most a minute)."""
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "lipa", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment(**values),
        timeout=60,
        check=False,
    )


async def start_lipa(*args: str, cwd: Path, **values: str) -> asyncio.subprocess.Process:
    """Start ``lipa *args`` with its output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lipa",
        *args,
        cwd=cwd,
        env=environment(**values),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
