"""Deployment files checked against the real CLI, the real service and the real tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import StartService, sqlite_url, start_service

__all__ = ["ROOT", "StartService", "sqlite_url", "start_service", "tool"]

ROOT = Path(__file__).resolve().parents[2]


def tool(name: str) -> str:
    """The path of a command-line tool; a skip with a reason without it (a failure in CI)."""
    found = shutil.which(name)
    if found is None:
        reason = f"{name} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (.ci/run installs it)")
        pytest.skip(reason)
    return found
