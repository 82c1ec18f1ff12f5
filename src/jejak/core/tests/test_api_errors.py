"""Every /api/v1/ error is `{code, message}` JSON, a bug included."""

import pytest
from django.test import Client

from jejak.accounts.models import ApiToken
from jejak.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_an_unexpected_error_answers_json_500_with_a_request_id(
    client_for, city, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr("jejak.venues.api.access_venue", broken)
    client = client_for(Role.CITY_ADMIN, region=city)

    response = client.get("/api/v1/venues/ANY", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "internal_error"
    assert body["request_id"] == response["X-Request-ID"]
    assert body["message"].startswith("Something went wrong on the server")
    assert body["request_id"] in body["message"]
    assert "secret detail" not in response.content.decode()
    logged = [r for r in caplog.records if body["request_id"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None and logged[0].levelname == "ERROR"


def test_the_answer_is_in_indonesian_by_default(client_for, city, monkeypatch):
    monkeypatch.setattr("jejak.venues.api.access_venue", lambda *a, **k: 1 / 0)
    response = client_for(Role.CITY_ADMIN, region=city).get("/api/v1/venues/ANY")
    assert response.status_code == 500
    assert response.json()["message"].startswith("Terjadi kesalahan di server")


@pytest.mark.parametrize("query", ["sector=%00", "sector=a%1Fb", "sector=%7f", "status=x%0Cy"])
def test_control_characters_in_a_query_are_refused_with_400(client_for, city, query):
    response = client_for(Role.CITY_ADMIN, region=city).get(f"/api/v1/venues?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "control_characters"


def test_control_characters_in_a_json_body_are_refused_but_escaped_text_is_not(client_for, city):
    client = client_for(Role.CITY_ADMIN, region=city)
    nul = client.post(
        "/api/v1/checkins", '{"qr": "a\\u0000b", "nonce": "x"}', content_type="application/json"
    )
    assert (nul.status_code, nul.json()["code"]) == (400, "control_characters")
    # A backslash typed before "u0000" is text, and tabs and new lines are allowed: these
    # reach the view, which refuses them for its own reasons (not a visitor).
    for body in ('{"qr": "a\\\\u0000b"}', '{"qr": "line\\nnext\\ttab"}'):
        answer = client.post("/api/v1/checkins", body, content_type="application/json")
        assert answer.json()["code"] != "control_characters"


def test_control_characters_on_a_page_get_a_plain_400(client_for, city):
    response = client_for(Role.CITY_ADMIN, region=city).get("/venues/?sector=%00")
    assert response.status_code == 400


def test_a_json_operation_refuses_other_content_types_with_415(client_for, city):
    client = client_for(Role.VISITOR)
    for content_type in ("application/x-www-form-urlencoded", "text/plain"):
        answer = client.post("/api/v1/checkins", "qr=x&nonce=y", content_type=content_type)
        assert (answer.status_code, answer.json()["code"]) == (415, "unsupported_media_type")
    # Unauthenticated callers still learn only that they must sign in.
    anonymous = Client().post("/api/v1/checkins", "qr=x", content_type="text/plain")
    assert anonymous.status_code == 401


def test_a_multipart_body_without_a_boundary_is_refused_with_400(make_user, city):
    # Found by the fuzzing gate (test_fuzz_api.py): Django's MultiPartParserError was an
    # internal_error 500 on every upload operation, for a client with a bearer token.
    _token, raw = ApiToken.issue(user=make_user(Role.HEALTH_OFFICER, region=city), name="t")
    answer = Client().post(
        "/api/v1/health/import",
        b"--x--",
        content_type="multipart/form-data",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_multipart")


def test_a_path_that_names_no_operation_answers_the_apis_json_404(client_for, city):
    # Found by the fuzzing gate: /api/v1/inspections/abc (the id is an int: path converter)
    # answered the site's HTML 404 page.
    client = client_for(Role.ENFORCEMENT_OFFICER, region=city)
    for path in ("/api/v1/inspections/abc", "/api/v1/no-such-thing"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer["Content-Type"] == "application/json"
        assert answer.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


# Issue 18, item 13: the `code` is for programs, the `message` is a sentence for the
# caller's people, in the caller's language (Accept-Language; Indonesian by default).
# Each case: (role, or None for no session), method, path, body, the answer's status
# and code.
REFUSALS = [
    (None, "get", "/api/v1/venues", None, 401, "not_authenticated"),
    (Role.VENUE_STAFF, "get", "/api/v1/rollout", None, 403, "forbidden"),
    (Role.CITY_ADMIN, "get", "/api/v1/venues?limit=many", None, 422, "invalid_input"),
    (Role.CITY_ADMIN, "post", "/api/v1/checkins", "{", 400, "invalid_json"),
    (Role.CITY_ADMIN, "get", "/api/v1/venues/NOPE", None, 404, "unknown_venue"),
    (None, "get", "/api/v1/venues/NOPE/around", None, 404, "venue_not_found"),
    (Role.CITY_ADMIN, "get", "/api/v1/rollout?region=99.99", None, 404, "unknown_region"),
    (Role.CITY_ADMIN, "get", "/api/v1/dashboards/nope", None, 404, "unknown_table"),
    (Role.AGENCY_OFFICER, "get", "/api/v1/followups/venues?days=400", None, 400, "invalid_days"),
    (
        Role.CITY_ADMIN,
        "post",
        "/api/v1/me/notifications/9/read",
        None,
        404,
        "notification_not_found",
    ),
    (Role.HEALTH_OFFICER, "post", "/api/v1/health/import", "x", 400, "no_file"),
]


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "status", "code"),
    REFUSALS,
    ids=[case[-1] for case in REFUSALS],
)
def test_a_refusal_says_a_sentence_in_the_callers_language(
    make_user, city, role, method, path, body, status, code
):
    client = Client()
    if role is not None:
        client.force_login(make_user(role, region=city))
    send = getattr(client, method)
    kwargs = {} if body is None else {"data": body, "content_type": "application/json"}
    if code == "no_file":
        kwargs["content_type"] = "text/plain"

    messages = {}
    for language in ("id", "en"):
        response = send(path, HTTP_ACCEPT_LANGUAGE=language, **kwargs)
        assert (response.status_code, response.json()["code"]) == (status, code)
        messages[language] = response.json()["message"]

    assert messages["id"] and messages["en"], messages
    assert messages["id"] != messages["en"], f"{code}: the message is not translated"
    assert code not in messages["id"] and code not in messages["en"]
