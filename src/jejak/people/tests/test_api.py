"""/api/v1/me/...: the owner's own profile and dependants; nobody else gets in."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from jejak.accounts.models import ApiToken
from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.people import service
from jejak.people.models import NikClaimAttempt, Person
from jejak.people.tests.factories import BUDI, RAFI, SITI

ENDPOINTS = [
    ("get", "/api/v1/me/profile"),
    ("put", "/api/v1/me/profile"),
    ("get", "/api/v1/me/dependants"),
    ("post", "/api/v1/me/dependants"),
    ("patch", "/api/v1/me/dependants/abcdefghijkl"),
    ("delete", "/api/v1/me/dependants/abcdefghijkl"),
    ("get", "/api/v1/me/claim-attempts"),
]


def body(data: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def send(client: Client, method: str, url: str, data: dict | None = None, **extra):
    if data is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(
        url, data=json.dumps(body(data)), content_type="application/json", **extra
    )


def own(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "relation"}


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_gets_401(db, method, url):
    response = send(Client(), method, url, {} if method in ("put", "post", "patch") else None)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("role", [Role.ISSUER, Role.HEALTH_OFFICER, Role.VENUE_STAFF])
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_staff_get_403_visitor_only(client_for, city, visitor, role, method, url):
    service.set_own_profile(account=visitor, **BUDI)
    staff = client_for(role, region=city)
    data = {**BUDI, "relation": "other"} if method in ("put", "post", "patch") else None
    response = send(staff, method, url, data)
    assert response.status_code == 403
    assert response.json()["code"] == "visitor_only"
    assert BUDI["nik"] not in response.content.decode()


def test_profile_round_trip_shows_the_owner_the_full_nik(visitor_client):
    missing = visitor_client.get("/api/v1/me/profile")
    assert (missing.status_code, missing.json()["code"]) == (404, "profile_missing")

    put = send(visitor_client, "put", "/api/v1/me/profile", own(BUDI))
    assert put.status_code == 200
    got = visitor_client.get("/api/v1/me/profile").json()
    assert got == put.json()
    person = Person.objects.get()
    # JSON carries milliseconds.
    verified_at = dt.datetime.fromisoformat(got.pop("identity_verified_at"))
    assert abs(verified_at - person.identity_verified_at) < dt.timedelta(milliseconds=1)
    assert got == {
        "public_id": person.public_id,
        "nik": BUDI["nik"],
        "nik_masked": "3671********0001",
        "full_name": "Budi Santoso",
        "birth_date": "1990-05-12",
        "sex": "M",
        "relation": "self",
    }


def test_bearer_token_reaches_the_profile(visitor):
    service.set_own_profile(account=visitor, **BUDI)
    _, raw = ApiToken.issue(user=visitor, name="phone")
    response = Client().get("/api/v1/me/profile", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.json()["nik"] == BUDI["nik"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"nik": "36710112059000"}, "nik_format"),
        ({"nik": "9971011205900001"}, "nik_region_unknown"),
        ({"nik": "3671013205900001"}, "nik_birth_date_invalid"),
        ({"birth_date": "1990-05-13"}, "nik_birth_date_mismatch"),
        ({"sex": "F"}, "nik_sex_mismatch"),
        ({"nik": "3671011205900000"}, "nik_serial_invalid"),
        ({"full_name": " "}, "name_invalid"),
        ({"sex": "L"}, "sex_invalid"),
    ],
)
def test_validation_errors_are_400_with_a_reason(visitor_client, change, code):
    response = send(visitor_client, "put", "/api/v1/me/profile", {**own(BUDI), **change})
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"]


def test_malformed_body_is_422(visitor_client):
    response = send(visitor_client, "put", "/api/v1/me/profile", {**own(BUDI), "birth_date": "x"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


def test_english_messages_follow_accept_language(visitor_client):
    response = send(
        visitor_client,
        "put",
        "/api/v1/me/profile",
        {**own(BUDI), "nik": "123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json() == {"code": "nik_format", "message": "A NIK is exactly 16 digits."}


def test_dependants_crud(visitor_client, visitor, holder):
    created = send(visitor_client, "post", "/api/v1/me/dependants", SITI)
    assert created.status_code == 201
    siti = created.json()
    assert (siti["nik"], siti["relation"]) == (SITI["nik"], "spouse")
    send(visitor_client, "post", "/api/v1/me/dependants", RAFI)

    listed = visitor_client.get("/api/v1/me/dependants").json()
    assert [(p["full_name"], p["nik"]) for p in listed] == [
        ("Siti Rahayu", SITI["nik"]),
        ("Rafi Santoso", RAFI["nik"]),
    ]

    url = f"/api/v1/me/dependants/{siti['public_id']}"
    patched = send(visitor_client, "patch", url, {"full_name": "SITI RAHAYU", "relation": "other"})
    assert patched.status_code == 200
    assert (patched.json()["full_name"], patched.json()["relation"]) == ("SITI RAHAYU", "other")
    assert patched.json()["nik"] == SITI["nik"]

    assert visitor_client.delete(url).status_code == 204
    gone = visitor_client.delete(url)
    assert (gone.status_code, gone.json()["code"]) == (404, "dependant_not_found")
    assert [p["full_name"] for p in visitor_client.get("/api/v1/me/dependants").json()] == [
        "Rafi Santoso"
    ]
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "people.profile_create",
        "people.dependant_add",
        "people.dependant_add",
        "people.dependant_update",
        "people.dependant_remove",
    ]


def test_dependant_list_query_count(visitor_client, visitor, holder, django_assert_max_num_queries):
    for data in (SITI, RAFI):
        service.add_dependant(account=visitor, **data)
    with django_assert_max_num_queries(4):
        assert len(visitor_client.get("/api/v1/me/dependants").json()) == 2


def test_patch_rechecks_the_nik(visitor_client, visitor, holder):
    rafi = service.add_dependant(account=visitor, **RAFI)
    response = send(
        visitor_client, "patch", f"/api/v1/me/dependants/{rafi.public_id}", {"sex": "F"}
    )
    assert (response.status_code, response.json()["code"]) == (400, "nik_sex_mismatch")


def test_another_account_s_dependant_is_404(visitor, holder, other_visitor):
    siti = service.add_dependant(account=visitor, **SITI)
    client = Client()
    client.force_login(other_visitor)
    url = f"/api/v1/me/dependants/{siti.public_id}"
    assert send(client, "patch", url, {"full_name": "X"}).status_code == 404
    assert client.delete(url).status_code == 404
    assert Person.objects.get(pk=siti.pk).full_name == "Siti Rahayu"


def test_conflicts_are_409(visitor_client, visitor, holder, other_visitor, other_holder):
    send(visitor_client, "post", "/api/v1/me/dependants", SITI)
    again = send(visitor_client, "post", "/api/v1/me/dependants", SITI)
    assert (again.status_code, again.json()["code"]) == (409, "nik_already_added")

    other = Client()
    other.force_login(other_visitor)
    claimed = send(other, "post", "/api/v1/me/dependants", SITI)
    assert (claimed.status_code, claimed.json()["code"]) == (409, "nik_claimed")
    # The refusal tells the caller nothing about who holds the NIK.
    assert "Siti" not in claimed.content.decode()
    assert NikClaimAttempt.objects.filter(attempted_by=other_visitor).count() == 1


def test_owner_sees_when_not_who(visitor_client, visitor, holder, other_visitor, other_holder):
    siti = service.add_dependant(account=visitor, **SITI)
    other = Client()
    other.force_login(other_visitor)
    assert send(other, "post", "/api/v1/me/dependants", SITI).json()["code"] == "nik_claimed"

    seen = visitor_client.get("/api/v1/me/claim-attempts").json()
    assert seen["count"] == 1
    (attempt,) = seen["attempts"]
    assert set(attempt) == {"person", "nik_masked", "at"}
    assert (attempt["person"], attempt["nik_masked"]) == (siti.public_id, "3671********0002")
    assert other.get("/api/v1/me/claim-attempts").json() == {"count": 0, "attempts": []}


def test_too_many_dependants_is_409(visitor_client, visitor, holder, monkeypatch):
    monkeypatch.setattr(service, "MAX_DEPENDANTS", 1)
    send(visitor_client, "post", "/api/v1/me/dependants", SITI)
    response = send(visitor_client, "post", "/api/v1/me/dependants", RAFI)
    assert (response.status_code, response.json()["code"]) == (409, "too_many_dependants")


def test_session_writes_need_csrf(visitor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(visitor)
    response = send(client, "put", "/api/v1/me/profile", own(BUDI))
    assert response.status_code in (401, 403)
    assert not Person.objects.exists()
