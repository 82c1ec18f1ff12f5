"""Each request's id (core/request_id.py): taken from nginx's X-Request-ID when sane,
made otherwise, answered in the header, and carried by the request's JSON log lines
(core/json_logs.py; docs/operations.md, "Logs")."""

from __future__ import annotations

import contextvars
import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.core.json_logs import JsonFormatter
from jejak.core.request_id import RequestIdFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the console handler writes with JEJAK_LOG_FORMAT=json, for django.request."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield out
    finally:
        logger.removeHandler(handler)


def test_a_json_log_line_carries_the_request_id_sent_in_x_request_id(json_lines):
    given = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID=given)

    assert response.status_code == 404
    assert response["X-Request-ID"] == given
    [line] = json_lines.getvalue().splitlines()
    logged = json.loads(line)
    assert logged["request_id"] == given
    assert logged["level"] == "WARNING"
    assert logged["logger"] == "django.request"
    assert logged["message"] == "Not Found: /no-such-page/"
    assert logged["time"].endswith("Z") and "T" in logged["time"]


@pytest.mark.parametrize(
    "given",
    ["short", "x" * 65, "id with spaces", "id\\r\\nX-Injected: 1", "ünïcode-id-0001", ""],
)
def test_a_bad_x_request_id_is_replaced(json_lines, given):
    response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID=given)

    made = response["X-Request-ID"]
    assert made != given and len(made) == 32 and int(made, 16) >= 0
    assert json.loads(json_lines.getvalue())["request_id"] == made


def test_every_answer_carries_an_id_and_each_request_its_own():
    client = Client()
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_an_api_500_quotes_the_request_id_the_client_sent(client_for, city, monkeypatch):
    monkeypatch.setattr("jejak.venues.api.access_venue", lambda *a, **k: 1 / 0)
    given = "req-2024-abcdef"
    response = client_for(Role.CITY_ADMIN, region=city).get(
        "/api/v1/venues/ANY", HTTP_X_REQUEST_ID=given
    )
    assert response.status_code == 500
    assert response.json()["request_id"] == response["X-Request-ID"] == given


def test_an_exception_goes_into_the_json_line():
    record = logging.LogRecord("jejak.test", logging.ERROR, __file__, 1, "boom %s", ("x",), None)
    try:
        raise ValueError("broken")
    except ValueError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    # Outside any request (a fresh context: the test client's requests share this one).
    contextvars.Context().run(RequestIdFilter().filter, record)
    logged = json.loads(JsonFormatter().format(record))
    assert logged["message"] == "boom x" and logged["request_id"] is None
    assert (
        logged["exception"].startswith("Traceback") and "ValueError: broken" in logged["exception"]
    )
