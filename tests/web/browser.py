"""A real browser for the web checkout's tests: Debian's Chromium driven by Playwright.

Playwright's own browser downloads cannot be fetched everywhere, so the system's ``chromium``
(installed by ``.ci/run``) is launched by path. Without it the browser tests are skipped with
the reason, except under CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    """The system Chromium's path, if it is installed."""
    for path in CHROMIUM_PATHS:
        if os.path.exists(path):
            return path
    return shutil.which("chromium")


def require_chromium() -> str:
    """The Chromium to drive; skips the test without one (fails it under CI)."""
    path = chromium_path()
    if path is None:
        reason = "Chromium is not installed (apt-get install chromium; .ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium, closed on exit."""
    path = require_chromium()
    async with async_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
        browser = await playwright.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            await browser.close()
