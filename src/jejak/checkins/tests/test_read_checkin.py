"""GET /api/v1/checkins/{id}: a visitor's own check-in as it stands now."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from jejak.accounts.models import ApiToken
from jejak.checkins.tests.conftest import add_person, code_of

pytestmark = pytest.mark.django_db


def bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user=user, name='phone')[1]}")


def check_in(client: Client, hotel, people: list[str]) -> list[str]:
    body = {"qr": code_of(hotel), "nonce": str(uuid.uuid4()), "people": people}
    response = client.post("/api/v1/checkins", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return [p["checkin"] for p in response.json()["people"]]


def test_the_caller_reads_their_own_and_their_dependants_check_ins(visitor, hotel, policy):
    child = add_person(visitor, "hijau", relation="child", full_name="Anak")
    client = bearer(visitor)
    own, childs = check_in(client, hotel, ["self", child.public_id])
    response = client.get(f"/api/v1/checkins/{own}")
    assert response.status_code == 200
    data = response.json()
    assert data["checkin"] == own and data["decision"] == "allowed"
    assert data["venue"] == {"short_code": hotel.short_code, "name": hotel.name}
    assert data["checked_out_at"] is None and data["checkout_method"] == ""
    assert client.get(f"/api/v1/checkins/{childs}").json()["checkin"] == childs


def test_it_shows_the_check_out(visitor, hotel, policy):
    client = bearer(visitor)
    (own,) = check_in(client, hotel, ["self"])
    client.post(f"/api/v1/checkins/{own}/checkout")
    assert client.get(f"/api/v1/checkins/{own}").json()["checkout_method"] == "explicit"


def test_another_accounts_check_in_is_not_found(make_visitor, visitor, hotel, policy):
    (own,) = check_in(bearer(visitor), hotel, ["self"])
    response = bearer(make_visitor("hijau")).get(f"/api/v1/checkins/{own}")
    assert (response.status_code, response.json()["code"]) == (404, "checkin_not_found")
    assert Client().get(f"/api/v1/checkins/{own}").status_code == 401


def test_reading_is_two_statements(visitor, hotel, policy, django_assert_max_num_queries):
    client = bearer(visitor)
    (own,) = check_in(client, hotel, ["self"])
    # The token with its user, then the check-in joined to its venue and entrance.
    with django_assert_max_num_queries(2):
        assert client.get(f"/api/v1/checkins/{own}").status_code == 200
