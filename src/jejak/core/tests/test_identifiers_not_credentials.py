"""NIK, name and date of birth are semi-public: together they must never reveal anyone's
status or records. Only the owner's session, an officer allowed by role and jurisdiction
(audited), or the status pass the owner chooses to show can.
"""

import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.identity.tests.factories import register_resident
from jejak.people import service as people
from jejak.people.tests.factories import BUDI
from jejak.screening.tests.factories import positive

# Routes that answer without a session or token, on purpose: they take no identifier.
PUBLIC_OPERATIONS = {
    ("post", "/api/v1/auth/otp"),
    ("post", "/api/v1/auth/verify"),
    ("post", "/api/v1/qr/verify"),
    ("get", "/api/v1/checkins/preview"),
}
# Public listings: they take no identifier at all, only filters, and list places (or the
# privacy notice's terms).
PUBLIC_LISTINGS = {("get", "/api/v1/exposure-sites"), ("get", "/api/v1/privacy-notice")}
# Public answers about one venue, named by its short code: never about a person.
PUBLIC_BY_VENUE = {("get", "/api/v1/venues/{short_code}/around")}
VICTIM = {k: v for k, v in BUDI.items() if k != "relation"}


@pytest.fixture
def victim(make_user, city):
    """Budi, registered, who tested positive this morning: his status is hitam."""
    account = make_user(Role.VISITOR)
    register_resident(**VICTIM)  # the registry verifies the NIK it is given
    person = people.set_own_profile(account=account, **VICTIM)
    positive(hours_ago=3)(person.nik_index, timezone.now())
    return person


def operations():
    client = Client()
    schema = client.get("/api/v1/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method in methods:
            yield method, path


def concrete(path):
    # "1" fits both int and str path converters.
    return re.sub(r"\{[^}]+\}", "1", path)


def call(client, method, path, body=None):
    if method in ("get", "delete"):
        return getattr(client, method)(concrete(path), body or {})
    return getattr(client, method)(
        concrete(path), data=json.dumps(body or {}), content_type="application/json"
    )


@pytest.mark.django_db
def test_every_api_operation_but_the_public_ones_needs_a_caller():
    anonymous = Client()
    checked = 0
    for method, path in operations():
        if (method, path) in PUBLIC_OPERATIONS | PUBLIC_LISTINGS | PUBLIC_BY_VENUE:
            continue
        response = call(anonymous, method, path, {"nik": VICTIM["nik"]})
        assert response.status_code == 401, (method, path, response.status_code)
        checked += 1
    assert checked >= 10


def test_the_public_operations_take_no_identifier(victim):
    anonymous = Client()
    for method, path in sorted(PUBLIC_OPERATIONS):
        body = {"qr": VICTIM["nik"], "phone": VICTIM["nik"], "code": "123456", **VICTIM}
        response = call(anonymous, method, path, json.loads(json.dumps(body, default=str)))
        assert response.status_code in (400, 422), (path, response.status_code)
        assert "hitam" not in response.content.decode()


def test_the_public_listings_ignore_identifiers_and_show_no_person(victim):
    anonymous = Client()
    for method, path in sorted(PUBLIC_LISTINGS):
        response = call(anonymous, method, path, {"nik": VICTIM["nik"]})
        assert response.status_code == 200, path
        text = response.content.decode()
        assert VICTIM["nik"] not in text and VICTIM["full_name"] not in text
        assert "hitam" not in text


def test_the_public_venue_answers_take_no_personal_identifier(victim):
    anonymous = Client()
    for _method, path in sorted(PUBLIC_BY_VENUE):
        # A NIK where the venue's code goes names no venue; a NIK in the query is ignored.
        as_code = anonymous.get(path.replace("{short_code}", VICTIM["nik"]))
        assert as_code.status_code == 404, path
        text = as_code.content.decode()
        assert VICTIM["full_name"] not in text and "hitam" not in text


def test_another_visitor_cannot_claim_the_identifiers_to_read_the_status(victim, client_for):
    stranger = client_for(Role.VISITOR)
    as_profile = stranger.put(
        "/api/v1/me/profile", data=json.dumps(VICTIM, default=str), content_type="application/json"
    )
    as_dependant = stranger.post(
        "/api/v1/me/dependants",
        data=json.dumps({**VICTIM, "relation": "parent"}, default=str),
        content_type="application/json",
    )
    assert as_profile.status_code == 409 and as_profile.json()["code"] == "nik_claimed"
    assert as_dependant.status_code == 409
    statuses = stranger.get("/api/v1/me/status")
    assert "hitam" not in statuses.content.decode()
    assert VICTIM["full_name"] not in statuses.content.decode()


@pytest.mark.parametrize(
    "role",
    [
        Role.VISITOR,
        Role.VENUE_STAFF,
        Role.VENUE_MANAGER,
        Role.AGENCY_OFFICER,
        Role.ENFORCEMENT_OFFICER,
    ],
)
def test_only_health_officers_look_up_a_status_by_nik(victim, client_for, city, role):
    client = client_for(
        role, region=city if role in (Role.AGENCY_OFFICER, Role.ENFORCEMENT_OFFICER) else None
    )
    response = client.post(
        "/api/v1/status/lookup",
        data=json.dumps({"nik": VICTIM["nik"], "purpose": "Ingin tahu status tetangga"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "hitam" not in response.content.decode()


def test_a_health_officers_lookup_is_audited(victim, client_for, city):
    officer = client_for(Role.HEALTH_OFFICER, region=city)
    response = officer.post(
        "/api/v1/status/lookup",
        data=json.dumps({"nik": VICTIM["nik"], "purpose": "Kasus 12/2021: kontak erat"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["colour"] == "hitam"
    event = AuditEvent.objects.get(action="screening.status_lookup")
    assert VICTIM["nik"] not in json.dumps(event.detail)


def test_the_guard_page_wants_a_signed_pass_not_identifiers(victim, client_for):
    guard = client_for(Role.VENUE_STAFF)
    for text in (VICTIM["nik"], f"{VICTIM['nik']} {VICTIM['full_name']} {VICTIM['birth_date']}"):
        response = guard.post(
            "/api/v1/status-pass/verify",
            data=json.dumps({"pass": text}),
            content_type="application/json",
        )
        assert response.status_code == 400 and response.json()["code"] == "pass_malformed"
        assert "hitam" not in response.content.decode()
