"""The authorization matrix (authz_matrix.py) as tests: every API operation and every page
with personal data, for each kind of caller, gives the stated outcome and leaks none of
the subject's data when it refuses.

A gate for every `make test` (on SQLite and PostgreSQL; deliberately not marked `gate`,
which would leave it to JEJAK_GATES=1): adding an API operation, a page or an admin model
without a row fails `test_every_api_operation_has_a_row`,
`test_every_page_has_a_row_or_a_reason` or `test_every_admin_model_has_a_row_or_a_reason`,
and a row of something that no longer exists fails them too.

The world (authz_world.py) is built once for the module, inside a transaction rolled back
at its end; each (row, caller) runs in a savepoint of its own (the `db` fixture), so one
test's writes never reach the next. Test ids read `<row> :: <caller>`, e.g.
`GET /tracing/cases/{case_id} :: other_city_officer`; select one with -k.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib import admin
from django.db import transaction
from django.http.response import HttpResponseBase
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from jejak.core.tests.authz_matrix import (
    ADMIN_ROWS,
    ADMIN_WITHOUT_PERSONAL_DATA,
    API_ROWS,
    CALLERS,
    PAGE_ROWS,
    PAGES_WITHOUT_PERSONAL_DATA,
    PUBLIC_API,
    ROWS,
    Row,
)
from jejak.core.tests.authz_world import PLAINTEXT, World, build_world

API_PREFIX = "/api/v1"


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    media = tmp_path_factory.mktemp("authz-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        built = build_world()
        built.values["media_root"] = str(media)
        yield built
        # Nothing of the world outlives the module.
        transaction.set_rollback(True)


@pytest.fixture
def in_world(world: World, db: None, settings: Any) -> World:
    """The world, inside this test's savepoint; uploads read from where it stored them."""
    settings.MEDIA_ROOT = Path(world.values["media_root"])
    return world


# --- Every operation and page has a row ---------------------------------------------------


def _operations(client: Client) -> dict[str, bool]:
    """'METHOD /path' of every live API operation -> whether it asks for authentication."""
    schema = client.get(f"{API_PREFIX}/openapi.json").json()
    found = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            found[f"{method.upper()} {path.removeprefix(API_PREFIX)}"] = bool(
                operation.get("security")
            )
    return found


def _row_keys(rows: list[Row]) -> set[str]:
    return {f"{r.method} {r.route}" for r in rows}


def test_every_api_operation_has_a_row(in_world: World) -> None:
    operations = _operations(Client())
    covered = _row_keys(API_ROWS)

    assert sorted(set(operations) - covered - set(PUBLIC_API)) == [], (
        "API operations without a row in authz_matrix.API_ROWS (or a reason in PUBLIC_API)"
    )
    assert sorted((covered | set(PUBLIC_API)) - set(operations)) == [], "rows of no operation"
    assert sorted(covered & set(PUBLIC_API)) == []
    # "Public" means it: no authentication asked; and every other operation asks.
    assert sorted(op for op in PUBLIC_API if operations[op]) == []
    assert sorted(op for op in covered if not operations[op]) == []


def _url_names(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_page_has_a_row_or_a_reason(in_world: World) -> None:
    names = set(_url_names(get_resolver().url_patterns))
    # The API's URL names (its own test above) and Django admin's (the next test).
    pages = {n for n in names if not n.startswith(("api:", "admin:"))}
    covered = {r.route for r in PAGE_ROWS}

    assert sorted(pages - covered - set(PAGES_WITHOUT_PERSONAL_DATA)) == [], (
        "pages without a row in authz_matrix.PAGE_ROWS (or a reason in PAGES_WITHOUT_PERSONAL_DATA)"
    )
    assert sorted((covered | set(PAGES_WITHOUT_PERSONAL_DATA)) - pages) == [], "stale rows"
    assert sorted(covered & set(PAGES_WITHOUT_PERSONAL_DATA)) == []


def test_every_admin_model_has_a_row_or_a_reason(in_world: World) -> None:
    registered = {
        f"{m._meta.app_label}.{m._meta.model_name}": (
            f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"
        )
        for m in admin.site._registry
    }
    rows = {r.route for r in ADMIN_ROWS}
    covered = {label for label, changelist in registered.items() if changelist in rows}

    assert sorted(set(registered) - covered - set(ADMIN_WITHOUT_PERSONAL_DATA)) == [], (
        "admin models without a row in authz_matrix.ADMIN_ROWS (or a reason in "
        "ADMIN_WITHOUT_PERSONAL_DATA)"
    )
    assert sorted(set(ADMIN_WITHOUT_PERSONAL_DATA) - set(registered)) == [], "stale reasons"
    assert sorted(covered & set(ADMIN_WITHOUT_PERSONAL_DATA)) == []
    changelists = {r for r in rows if r.endswith("_changelist")}
    assert sorted(changelists - set(registered.values())) == [], "rows of no admin model"


def test_public_operations_show_no_personal_data(in_world: World) -> None:
    anonymous = Client()
    answers = [
        anonymous.get(f"{API_PREFIX}/exposure-sites"),
        anonymous.get(f"{API_PREFIX}/checkins/preview", {"qr": in_world.values["qr"]}),
        anonymous.post(
            f"{API_PREFIX}/qr/verify",
            {"qr": in_world.values["qr"]},
            content_type="application/json",
        ),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.content
        _assert_hidden(in_world, _text(answer), shows=(), hides=())


# --- The matrix ---------------------------------------------------------------------------


def _user_key(row: Row, caller: str) -> str | None:
    if caller == "anonymous":
        return None
    if caller == "other_visitor":
        return "dewi"
    if caller == "other_venue_staff":
        return "other_venue_manager"
    if caller == "other_city_officer":
        return f"other_{row.other_city or row.right}"
    return row.right


def _client(world: World, row: Row, caller: str) -> Client:
    key = _user_key(row, caller)
    if key is None:
        return Client()
    # Citizens' apps hold bearer tokens; pages and staff use a signed-in session.
    if row.kind == "api" and key in world.tokens:
        return world.bearer_client(key)
    return world.session_client(key)


def _value(world: World, key: str) -> Any:
    return key[1:] if key.startswith("=") else world.values[key]


def _url(world: World, row: Row) -> str:
    if row.kind == "api":
        names = re.findall(r"{(\w+)}", row.route)
        path = row.route
        for name in names:
            path = path.replace(f"{{{name}}}", str(_value(world, row.params.get(name, name))))
        return API_PREFIX + path
    kwargs = {name: _value(world, key) for name, key in row.params.items()}
    return reverse(row.route, kwargs=kwargs)


def _send(world: World, row: Row, client: Client) -> Any:
    url = _url(world, row)
    query = {name: _value(world, key) for name, key in row.query.items()}
    if row.method == "GET":
        return client.get(url, query)
    body = row.body(world.values) if row.body else {}
    if query:
        url += "?" + urlencode(query)
    if row.kind != "api" or row.multipart:
        return client.generic(row.method, url) if not body else client.post(url, body)
    send = getattr(client, row.method.lower())
    return send(url, json.dumps(body), content_type="application/json")


def _text(response: HttpResponseBase) -> str:
    streamed = response.streaming  # a file: a photo, an export
    content = b"".join(response.streaming_content) if streamed else response.content  # type: ignore[attr-defined]
    return content.decode("utf-8", "replace")


def _assert_hidden(
    world: World, text: str, *, shows: tuple[str, ...], hides: tuple[str, ...]
) -> None:
    lowered = text.lower()
    leaked = [
        key
        for key, secret in world.secrets.items()
        if key not in shows and secret.lower() in lowered
    ]
    leaked += [key for key in hides if world.markers[key].lower() in lowered]
    assert leaked == [], f"the answer shows {leaked}: {text[:600]}"


CASES = [
    pytest.param(row, caller, id=f"{row.label} :: {caller}") for row in ROWS for caller in CALLERS
]


@pytest.mark.parametrize(("row", "caller"), CASES)
def test_matrix(in_world: World, row: Row, caller: str) -> None:
    expected = row.outcomes[caller]
    response = _send(in_world, row, _client(in_world, row, caller))
    text = _text(response)

    assert response.status_code == expected.status, f"{response.status_code}: {text[:600]}"
    if expected.code:
        assert json.loads(text)["code"] == expected.code, text[:600]
    if expected.to:
        assert resolve(urlsplit(response["Location"]).path).view_name == expected.to, response[
            "Location"
        ]
    if caller == "right_role":
        everything = {**in_world.secrets, **in_world.markers}
        missing = [key for key in row.reveals if everything[key].lower() not in text.lower()]
        assert missing == [], f"the right caller's answer lacks {missing}: {text[:600]}"
        withheld = [key for key in row.withholds if in_world.secrets[key].lower() in text.lower()]
        assert withheld == [], f"the right caller sees {withheld}: {text[:600]}"
        if row.right != "sari":
            # Officers and staff see NIKs and phone numbers masked, never in full.
            unmasked = [
                k for k in PLAINTEXT if k not in row.reveals and in_world.secrets[k] in text
            ]
            assert unmasked == [], f"the answer shows {unmasked} in full: {text[:600]}"
    else:
        _assert_hidden(in_world, text, shows=expected.shows, hides=row.hides)
    if row.effect is not None:
        wrote = caller == "right_role" and row.right_effect and not expected.refused
        assert row.effect(in_world.values) is wrote, "the write happened" if not wrote else ""
