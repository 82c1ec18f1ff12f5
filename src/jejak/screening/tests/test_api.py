"""/api/v1/me/status, /api/v1/status/lookup and /api/v1/status-pass/verify."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.models import ApiToken
from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.people.nik import nik_index
from jejak.people.tests.factories import make_nik
from jejak.screening import passes
from jejak.screening.tests.factories import contact, doses, make_person

NIK = make_nik(born=dt.date(1985, 6, 1), serial=42)  # 3671010106850042, nobody's profile


def post(client: Client, path: str, body: dict, **extra):
    return client.post(path, body, content_type="application/json", **extra)


@pytest.fixture
def family(visitor, person):
    now = timezone.now()
    for build in doses(3):
        build(person.nik_index, now)
    kid = make_person(
        visitor, born=dt.date(2016, 2, 3), relation="child", full_name="Rafi Santoso", serial=3
    )
    contact(2)(kid.nik_index, now)
    return person, kid


def test_my_status_lists_owner_and_dependants(visitor_client, family):
    person, kid = family
    response = visitor_client.get("/api/v1/me/status")
    assert response.status_code == 200
    assert response.json() == [
        {
            "person": "self",
            "name": "Budi Santoso",
            "nik_masked": person.nik_masked,
            "colour": "hijau",
            "reasons": ["booster_complete"],
            "rule_set": "2022-07-17",
        },
        {
            "person": kid.public_id,
            "name": "Rafi Santoso",
            "nik_masked": kid.nik_masked,
            "colour": "hitam",
            "reasons": ["close_contact"],
            "rule_set": "2022-07-17",
        },
    ]


def test_my_status_with_a_bearer_token(visitor, family):
    _token, raw = ApiToken.issue(user=visitor, name="app")
    response = Client().get("/api/v1/me/status", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert len(response.json()) == 2


def test_my_status_costs_a_bounded_number_of_queries(
    visitor_client, family, django_assert_max_num_queries
):
    # Session and user, the people, the rule set and one query per record table.
    with django_assert_max_num_queries(10):
        assert visitor_client.get("/api/v1/me/status").status_code == 200


def test_my_status_is_for_visitors(client_for, client):
    assert client_for(Role.HEALTH_OFFICER).get("/api/v1/me/status").json()["code"] == (
        "visitor_only"
    )
    assert client.get("/api/v1/me/status").status_code == 401


# Health officers' look-up


@pytest.fixture
def officer_client(client_for, city):
    return client_for(Role.HEALTH_OFFICER, region=city)


def test_lookup_bound_to_a_purpose_and_audited(officer_client, city):
    for build in doses(1):
        build(nik_index(NIK), timezone.now())
    body = {"nik": NIK, "purpose": "Penyelidikan epidemiologi kasus 2022-117"}
    response = post(officer_client, "/api/v1/status/lookup", body)
    assert response.status_code == 200
    assert response.json() == {
        "colour": "kuning",
        "reasons": ["partially_vaccinated"],
        "rule_set": "2022-07-17",
        "nik_masked": "3671********0042",
    }
    event = AuditEvent.objects.get(action="screening.status_lookup")
    assert event.detail["stated_purpose"] == body["purpose"]
    assert NIK not in str(event.detail)


def test_lookup_needs_a_purpose(officer_client):
    response = post(officer_client, "/api/v1/status/lookup", {"nik": NIK})
    assert response.status_code == 422
    assert not AuditEvent.objects.filter(action="screening.status_lookup").exists()


def test_lookup_outside_the_officers_region(client_for, other_city):
    client = client_for(Role.HEALTH_OFFICER, region=other_city)
    body = {"nik": NIK, "purpose": "Penyelidikan epidemiologi kasus 2022-117"}
    response = post(client, "/api/v1/status/lookup", body)
    assert (response.status_code, response.json()["code"]) == (403, "outside_jurisdiction")
    assert AuditEvent.objects.get(action="screening.status_lookup").detail["error"] == (
        "outside_jurisdiction"
    )


@pytest.mark.parametrize("role", [Role.VISITOR, Role.VENUE_STAFF, Role.CITY_ADMIN])
def test_lookup_needs_read_health_status(client_for, city, role):
    body = {"nik": NIK, "purpose": "Penyelidikan epidemiologi kasus 2022-117"}
    response = post(client_for(role, region=city), "/api/v1/status/lookup", body)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_lookup_of_an_invalid_nik(officer_client):
    body = {"nik": "3671019999990001", "purpose": "Penyelidikan epidemiologi kasus 2022-117"}
    response = post(officer_client, "/api/v1/status/lookup", body)
    assert (response.status_code, response.json()["code"]) == (400, "nik_invalid")


# Guards' verification


def test_verify_pass_api(guard_client, family):
    person, _kid = family
    token, _ = passes.issue_status_pass(person=person)
    response = post(guard_client, "/api/v1/status-pass/verify", {"pass": token})
    assert response.status_code == 200
    data = response.json()
    assert data["genuine"] is data["current"] is True
    assert (data["colour"], data["full_name"], data["nik_masked"]) == (
        "hijau",
        "Budi Santoso",
        person.nik_masked,
    )
    event = AuditEvent.objects.get(action="screening.pass_verified")
    assert set(event.detail) == {"pass_id", "colour", "rule_set"}


def test_verify_pass_api_refusals(guard_client, family):
    person, _kid = family
    token, _ = passes.issue_status_pass(person=person, at=timezone.now() - dt.timedelta(minutes=6))
    response = post(guard_client, "/api/v1/status-pass/verify", {"pass": token})
    assert (response.status_code, response.json()["code"]) == (410, "pass_expired")
    response = post(guard_client, "/api/v1/status-pass/verify", {"pass": "hello"})
    assert (response.status_code, response.json()["code"]) == (400, "pass_malformed")


def test_verify_pass_api_needs_the_capability(visitor_client, client):
    assert post(visitor_client, "/api/v1/status-pass/verify", {"pass": "x"}).status_code == 403
    assert post(client, "/api/v1/status-pass/verify", {"pass": "x"}).status_code == 401
