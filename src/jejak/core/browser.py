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


def wait_until(page: Any, expression: str, arg: Any = None, timeout: float = 10_000) -> None:
    """Wait until `expression` (a JavaScript function of `arg`, or an expression) is true
    in the page. Playwright's wait_for_function evaluates its predicate with `eval`, which
    the site's Content Security Policy refuses; page.evaluate is not subject to it."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while True:
        if page.evaluate(expression, arg) if arg is not None else page.evaluate(expression):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(100)
