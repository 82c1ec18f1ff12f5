"""Every page, in Indonesian and in English, shows people words: no stable code
(`status_black`, `temporary_closure` ...) in what a reader sees (issue 18, item 13).
Codes stay available to scripts and tests in attributes (`data-code`, `data-key`).

The pages are the authorization matrix's (authz_matrix.PAGE_ROWS, as their right
caller) and those it lists without personal data, in the matrix's world: a refused
check-in and its black-status alert, a traced case, an inspection with a closure.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from jejak.core.tests.authz_matrix import PAGE_ROWS
from jejak.core.tests.authz_world import World, build_world
from jejak.core.tests.test_authorization_matrix import _url, _value
from jejak.core.tests.test_i18n import code_vocabulary

# Pages without personal data (PAGES_WITHOUT_PERSONAL_DATA) that render a page for one
# of the world's users (None: nobody signed in).
PLAIN_PAGES = {
    "login": None,
    "visitor_login": None,
    "visit_scan": "sari",
    "visit_offline": "sari",
    "exposure_sites": "sari",
    "rollout": "city_admin",
    "venue_list": "city_admin",
    "venue_import": "city_admin",
    "venue_create": "city_admin",
    "ppkm_levels": "city_admin",
    "dash_rollout": "city_admin",
    "dash_usage": "city_admin",
    "dash_map": "city_admin",
    "report_page": "city_admin",
}
# Text people read besides the elements' content.
READ_ATTRIBUTES = re.compile(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"')
HIDDEN = re.compile(r"(?s)<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->")


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    media = tmp_path_factory.mktemp("pages-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        built = build_world()
        built.values["media_root"] = media
        yield built
        transaction.set_rollback(True)


def shown_text(page: str) -> str:
    """What a reader sees or hears: element text and the attributes read out."""
    page = HIDDEN.sub(" ", page)
    said = " ".join(READ_ATTRIBUTES.findall(page))
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + said)


def pages(world: World) -> list[tuple[str | None, str, dict[str, Any]]]:
    found: list[tuple[str | None, str, dict[str, Any]]] = []
    for row in PAGE_ROWS:
        if row.method == "GET" and row.outcomes["right_role"].status == 200:
            query = {name: _value(world, key) for name, key in row.query.items()}
            found.append((row.right, _url(world, row), query))
    found += [(user, reverse(name), {}) for name, user in PLAIN_PAGES.items()]
    return found


def test_no_page_shows_a_code(world: World, db: None, settings: Any) -> None:
    settings.MEDIA_ROOT = world.values["media_root"]  # the photos the pages link to
    codes = code_vocabulary()
    shown: list[str] = []
    seen = 0
    for user, url, query in pages(world):
        for language in ("id", "en"):
            client = world.session_client(user) if user else Client()
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            response = client.get(url, query)
            assert response.status_code == 200, f"{url} as {user}: {response.status_code}"
            if not response["Content-Type"].startswith("text/html"):
                continue  # a photo, an export, a JSON document
            seen += 1
            found = sorted(set(codes.findall(shown_text(response.content.decode()))))
            if found:
                shown.append(f"{url} ({language}, {user}): {found}")
    assert seen > 60  # the crawl itself works
    assert not shown, "pages showing codes:\n" + "\n".join(shown)
