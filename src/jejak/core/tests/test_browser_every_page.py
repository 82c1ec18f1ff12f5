"""Accessibility on every page, not only those a feature's browser test happens to visit
(issue 18: text contrast at least 4.5:1 everywhere): every page of the authorization
matrix that its right caller reads with GET, and every page listed as holding no personal
data that needs no argument, loaded in Chromium as the caller it is for and checked by
axe-core (WCAG 2.1 A/AA: contrast, names, labels, landmarks); the `page` fixture fails
the test on any serious or critical violation, listed by URL."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from jejak.core.tests.authz_matrix import PAGE_ROWS, PAGES_WITHOUT_PERSONAL_DATA
from jejak.core.tests.authz_world import build_world

pytestmark = pytest.mark.browser

# Pages that are not HTML for a person to read, or that only redirect elsewhere.
NOT_A_PAGE = {
    "logout",
    "set_language",
    "qr_keys",
    "qr_dynamic_json",
    "visit_sw",
    "visit_manifest",
    "venue_posters",
    "entrance_poster",
    "healthz",
    "dash_export",
    "dashboard",
}


def _value(world: Any, key: str) -> Any:
    return key[1:] if key.startswith("=") else world.values[key]


def _visit(page: Any, url: str, session: str | None, live_url: str, *, strict: bool) -> bool:
    """Load `url` as the session's user; False when the answer is not a page (a file, or
    a refusal of a GET where `strict` is off: a form's POST-only target)."""
    page.context.clear_cookies()
    if session:
        page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_url}])
    probe = page.request.get(url, max_redirects=0)
    if not probe.headers.get("content-type", "").startswith("text/html"):
        return False
    if probe.status >= 400 and not strict:
        return False
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    page.wait_for_load_state()
    # Checked now, whatever the load event's handler managed before: no page goes unseen.
    # (A check the load event started may still run: "already running" is retried.)
    watch = page.accessibility_watch
    deadline = time.monotonic() + 30
    while page.url not in watch.checked:
        assert time.monotonic() < deadline, f"{url}: axe did not run"
        watch.check()
    return True


def test_every_page_passes_axe(page: Any, live_server: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    # Built as the matrix builds it, in one transaction: what it defers to the commit
    # (a positive result opening its case) finds the world complete.
    with transaction.atomic():
        world = build_world()
    visited = []
    for row in PAGE_ROWS:
        outcome = row.outcomes["right_role"]
        if row.method != "GET" or outcome.refused or outcome.status != 200:
            continue
        if row.route in NOT_A_PAGE:
            continue
        kwargs = {name: _value(world, key) for name, key in row.params.items()}
        url = reverse(row.route, kwargs=kwargs)
        if row.query:
            url += "?" + urlencode({name: _value(world, key) for name, key in row.query.items()})
        if _visit(page, url, world.sessions.get(row.right), live_server.url, strict=True):
            visited.append(url)
    for name in PAGES_WITHOUT_PERSONAL_DATA:
        if name in NOT_A_PAGE:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # needs arguments: its feature's own browser tests load it
        # Staff pages as the city's admin; the rest as nobody.
        if _visit(page, url, world.sessions.get("city_admin"), live_server.url, strict=False):
            visited.append(url)
    assert len(visited) > 40, visited
