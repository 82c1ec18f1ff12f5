"""Playwright driving Debian's Chromium, for the browser tests of every app.

No browser is downloaded: the tests use /usr/bin/chromium (or JEJAK_CHROMIUM). When it
is missing they skip on a laptop and fail under CI=true, so CI cannot pass without them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    candidate = os.environ.get("JEJAK_CHROMIUM", "/usr/bin/chromium")
    return candidate if os.path.exists(candidate) else shutil.which("chromium")


def launch(extra_args: list[str] | None = None) -> Iterator[Any]:
    """Yield a launched browser; a generator so pytest fixtures can `yield from` it."""
    import pytest

    path = chromium_path()
    if path is None:
        message = "Chromium not found at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests' own ORM calls
    # are still synchronous, so Django's async-safety guard would refuse them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, args=[*CHROMIUM_FLAGS, *(extra_args or [])]
        )
        try:
            yield browser
        finally:
            browser.close()
