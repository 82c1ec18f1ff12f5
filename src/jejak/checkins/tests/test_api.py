"""/api/v1/checkins: the hot endpoint, check-out, the preview and staff's check-out-all."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.accounts.roles import Role
from jejak.checkins.api import CheckInOut
from jejak.checkins.models import CheckIn
from jejak.checkins.tests.conftest import add_child, add_person, code_of
from jejak.rosters.tests.factories import put_on_roster

pytestmark = pytest.mark.django_db


def post(client: Client, path: str, body: Any):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data, content_type="application/json")


@pytest.fixture
def visitor_client(visitor) -> Client:
    client = Client()
    client.force_login(visitor)
    return client


def body(hotel, **changes: Any) -> dict[str, Any]:
    return {"qr": code_of(hotel), "nonce": str(uuid.uuid4()), "people": ["self"]} | changes


def test_check_in_answers_201_with_the_decision(visitor_client, hotel, policy):
    response = post(visitor_client, "/api/v1/checkins", body(hotel))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["crowd"] == {"inside": 1, "capacity": 100}
    assert data["venue"] == {"short_code": hotel.short_code, "name": "Hotel Cisadane"}
    assert data["policy"] == {"level": 2, "rule_id": 7, "rule_version": 3}
    [person] = data["people"]
    assert person["decision"] == "allowed" and person["action"] == "check_in"
    assert person["messages"] == []
    assert data["planned_checkout_at"] == person["planned_checkout_at"]


def test_every_person_denied_is_still_201_with_reasons(make_visitor, hotel, policy):
    client = Client()
    client.force_login(make_visitor("merah"))
    response = post(client, "/api/v1/checkins", body(hotel))
    assert response.status_code == 201
    [person] = response.json()["people"]
    assert person["reasons"] == ["status_red"]
    assert person["messages"] == ["Status merah tidak diizinkan masuk ke tempat ini."]


def test_retry_with_the_same_nonce_returns_the_same_body(visitor_client, hotel, policy):
    payload = body(hotel)
    first = post(visitor_client, "/api/v1/checkins", payload)
    again = post(visitor_client, "/api/v1/checkins", payload)
    assert again.status_code == 201 and again.json() == first.json()
    assert CheckIn.objects.count() == 1


def test_refused_code_answers_its_reason(visitor_client, hotel, policy):
    response = post(visitor_client, "/api/v1/checkins", body(hotel, qr="not a code"))
    assert (response.status_code, response.json()["code"]) == (400, "qr_malformed")


def test_request_refusals_answer_their_codes(visitor_client, hotel, policy, make_visitor):
    other = add_child(make_visitor())
    response = post(visitor_client, "/api/v1/checkins", body(hotel, people=[other.public_id]))
    assert (response.status_code, response.json()["code"]) == (404, "person_unknown")
    old = body(hotel, scanned_at="2021-10-20T10:00:00+07:00")
    response = post(visitor_client, "/api/v1/checkins", old)
    assert (response.status_code, response.json()["code"]) == (400, "scan_too_old")


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": "not-a-uuid"},
        {"people": []},
        {"visitor_type": "vip"},
        {"scanned_at": "2021-10-20T10:00:00"},  # no time zone
        {"location": {"lat": 91, "lon": 0}},
    ],
)
def test_invalid_bodies_are_422(visitor_client, hotel, policy, changes):
    response = post(visitor_client, "/api/v1/checkins", body(hotel, **changes))
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


def test_staff_are_refused_visitor_only(client_for, hotel, policy):
    response = post(client_for(Role.VENUE_STAFF), "/api/v1/checkins", body(hotel))
    assert (response.status_code, response.json()["code"]) == (403, "visitor_only")


def test_anonymous_is_refused(hotel, policy):
    response = post(Client(), "/api/v1/checkins", body(hotel))
    assert response.status_code == 401


def test_check_out_button(visitor_client, hotel, policy):
    checkin = post(visitor_client, "/api/v1/checkins", body(hotel)).json()["people"][0]["checkin"]
    response = visitor_client.post(f"/api/v1/checkins/{checkin}/checkout")
    assert response.status_code == 200
    assert response.json()["checkout_method"] == "explicit"
    response = Client().post(f"/api/v1/checkins/{checkin}/checkout")
    assert response.status_code == 401
    response = visitor_client.post("/api/v1/checkins/nope/checkout")
    assert (response.status_code, response.json()["code"]) == (404, "checkin_not_found")


def test_a_family_checks_out_together(visitor_client, visitor, make_visitor, hotel, policy):
    child = add_child(visitor)
    request = body(hotel, people=["self", child.public_id])
    assert post(visitor_client, "/api/v1/checkins", request).status_code == 201
    path = f"/api/v1/checkins/requests/{request['nonce']}/checkout"
    stranger = Client()
    stranger.force_login(make_visitor())
    assert stranger.post(path).json()["code"] == "checkin_not_found"
    response = visitor_client.post(path)
    assert response.status_code == 200
    out = response.json()["checked_out"]
    assert len(out) == 2 and all(row["checked_out_at"] for row in out)
    assert not CheckIn.objects.filter(checked_out_at__isnull=True).exists()
    assert visitor_client.post(path).status_code == 200  # again: the same answer
    assert (
        visitor_client.post(f"/api/v1/checkins/requests/{uuid.uuid4()}/checkout").status_code == 404
    )


def test_preview_is_public_and_personal_data_free(visitor_client, hotel, policy, visitor):
    post(visitor_client, "/api/v1/checkins", body(hotel))
    response = Client().get("/api/v1/checkins/preview", {"qr": code_of(hotel)})
    assert response.status_code == 200
    data = response.json()
    assert data["crowd"] == {"inside": 1, "capacity": 100}
    assert data["entry_point"] == {"name": "Pintu Utara"}
    assert data["advice"]
    assert visitor.people.get().full_name not in response.content.decode()
    response = Client().get("/api/v1/checkins/preview", {"qr": "x"})
    assert (response.status_code, response.json()["code"]) == (400, "qr_malformed")


def test_check_out_everyone_for_the_venue_staff(visitor_client, hotel, policy, client_for, city):
    post(visitor_client, "/api/v1/checkins", body(hotel))
    path = f"/api/v1/checkins/venues/{hotel.short_code}/checkout-all"
    response = client_for(Role.VENUE_STAFF, venues=[hotel]).post(path)
    assert (response.status_code, response.json()) == (200, {"checked_out": 1})
    assert client_for(Role.VENUE_STAFF).post(path).status_code == 404  # another venue's
    officer = client_for(Role.HEALTH_OFFICER, region=city)
    assert (officer.post(path).status_code, officer.post(path).json()["code"]) == (403, "forbidden")
    assert client_for(Role.CITY_ADMIN, region=city).post(path).status_code == 200
    assert visitor_client.post(path).status_code == 403


# PostgreSQL locks the people in a statement of its own (people_lock.py).
LOCK = 1 if os.environ.get("DATABASE_URL", "").startswith("postgres") else 0


@pytest.mark.parametrize("family_size", [1, 3])
def test_check_in_query_count_is_bounded(
    visitor, visitor_client, hotel, policy, family_size, django_assert_max_num_queries
):
    people = ["self"]
    for n in range(family_size - 1):
        people.append(
            add_person(visitor, "hijau", relation="child", full_name=f"Anak {n}").public_id
        )
    post(visitor_client, "/api/v1/checkins", body(hotel))  # warm caches (keys, session)
    post(visitor_client, "/api/v1/checkins", body(hotel))  # and out again
    payload = body(hotel, people=people)
    # Session and user 2 (a browser; a bearer token is 1), code 1 (entry point, venue,
    # sector and region joined), people with their open stays and the burst count 1 (on
    # PostgreSQL their lock 1 more: people_lock.py), screening 1 (rule sets cached, one
    # UNION ALL of the record tables), occupancy lock 1, lazy check-out 0 (no stay can be
    # over yet), occupancy 1, request 1, check-ins 1, savepoint 2. No nonce look-up: a
    # retry is caught by the unique nonce.
    with django_assert_max_num_queries(11 + LOCK):
        response = post(visitor_client, "/api/v1/checkins", payload)
    assert response.status_code == 201


def test_an_employee_check_in_adds_two_roster_queries(
    visitor, visitor_client, hotel, policy, django_assert_max_num_queries
):
    put_on_roster(hotel, account=visitor)
    post(visitor_client, "/api/v1/checkins", body(hotel))  # warm caches (keys, session)
    post(visitor_client, "/api/v1/checkins", body(hotel))  # and out again
    payload = body(hotel, visitor_type="employee")
    # The guest's 11 above plus the staff roster look-up: two statements (the claimants,
    # then their entries) for the request (a batch's employees share them), none when
    # nobody claims to be an employee.
    with django_assert_max_num_queries(13 + LOCK):
        response = post(visitor_client, "/api/v1/checkins", payload)
    assert response.json()["people"][0]["notes"] == []


def test_check_in_response_has_the_documented_shape(visitor_client, hotel, policy):
    # The view returns the service's JSON without a second pass through the schema: this
    # keeps the two in step.

    response = post(visitor_client, "/api/v1/checkins", body(hotel))
    assert response.status_code == 201
    CheckInOut.model_validate(response.json())


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)


def fields(code: str) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {},
        optional={
            "qr": st.just(code) | JSONISH,
            "nonce": st.uuids().map(str) | JSONISH,
            "people": st.lists(st.sampled_from(["self", "abc"]) | JSONISH, max_size=3) | JSONISH,
            "visitor_type": st.sampled_from(["guest", "employee"]) | JSONISH,
            "scanned_at": st.datetimes().map(lambda d: d.isoformat() + "+07:00") | JSONISH,
            "location": st.fixed_dictionaries({"lat": JSONISH, "lon": JSONISH}) | JSONISH,
        },
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_arbitrary_bodies_never_cause_a_server_error(visitor_client, hotel, policy, settings, data):
    settings.JEJAK_CHECKINS_PER_MINUTE = 10_000
    payload = data.draw(fields(code_of(hotel)) | JSONISH)
    response = post(visitor_client, "/api/v1/checkins", payload)
    assert response.status_code < 500, response.content
