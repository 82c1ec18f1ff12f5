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


# axe-core (npm, a devDependency) checks each page a browser test loads: WCAG 2.1 A and
# AA rules, and a test fails on any serious or critical violation (conftest.py's `page`).
AXE_SCRIPT = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "node_modules", "axe-core", "axe.min.js"
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical violations on the page as it is now. page.evaluate is not
    bound by the site's CSP, so the script needs no nonce."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        with open(AXE_SCRIPT, encoding="utf-8") as script:
            page.evaluate(script.read())
    found: list[dict[str, Any]] = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags},
                                       resultTypes: ["violations"]})
            .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
                summary: v.nodes.length ? v.nodes[0].failureSummary : ""})))""",
        AXE_TAGS,
    )
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


TRANSIENT_AXE_ERRORS = ("context was destroyed", "closed", "Axe is already running")


class AccessibilityWatch:
    """Runs axe on every page a test's browser page loads; `problems` lists what failed,
    by URL. A page left before the check finishes is checked at its next load."""

    def __init__(self, page: Any) -> None:
        # Without the script every check would be skipped and the gate pass unseen.
        if not os.path.exists(AXE_SCRIPT):
            raise FileNotFoundError(f"{AXE_SCRIPT}: run `npm ci` (make setup)")
        self.page = page
        self.problems: dict[str, list[dict[str, Any]]] = {}
        self.checked: set[str] = set()
        page.on("load", lambda _page: self.check())

    def check(self) -> None:
        from playwright.sync_api import Error as PlaywrightError

        url = self.page.url
        if url in self.checked or not url.startswith("http"):
            return
        try:
            found = axe_violations(self.page)
        except PlaywrightError as exc:
            # The page navigated (or closed) mid-check, or a load arrived while a check
            # still ran: the next load checks. Any other failure is the test's failure.
            if any(sign in str(exc) for sign in TRANSIENT_AXE_ERRORS):
                return
            raise
        self.checked.add(url)
        if found:
            self.problems[url] = found

    def report(self) -> str:
        lines = []
        for url, violations in self.problems.items():
            lines.append(url)
            for v in violations:
                lines.append(f"  {v['impact']} {v['id']}: {v['help']} at {v['targets']}")
                lines.append(f"    {v['summary'].splitlines()[0] if v['summary'] else ''}")
        return "\n".join(lines)
