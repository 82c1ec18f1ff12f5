"""The visitor's status page and its pass endpoint, and the guard's verification page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.screening import passes
from jejak.screening.errors import ErrorCode as ScreeningErrorCode
from jejak.screening.models import RuleSet, StatusPass
from jejak.screening.tests.factories import contact, doses, make_person

STATUS_URL = "/saya/status/"
PASS_URL = "/saya/status/pass.json"
VERIFY_URL = "/petugas/verifikasi/"


@pytest.fixture
def vaccinated(person):
    for build in doses(3):
        build(person.nik_index, timezone.now())
    return person


@pytest.fixture
def child(visitor):
    kid = make_person(
        visitor, born=dt.date(2016, 2, 3), relation="child", full_name="Rafi Santoso", serial=3
    )
    contact(2)(kid.nik_index, timezone.now())
    return kid


def test_visitor_sees_own_status(visitor_client, vaccinated, child):
    response = visitor_client.get(STATUS_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Budi Santoso" in html and vaccinated.nik_masked in html
    assert "Rafi Santoso" in html and child.nik_masked in html
    assert 'class="status-card hijau"' in html
    assert 'class="status-card hitam"' in html
    assert html.count("<svg") == 2
    assert f"?person={child.public_id}" in html
    assert "?person=self" in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert StatusPass.objects.count() == 2


def test_visitor_without_profile_is_asked_to_fill_it(visitor_client):
    response = visitor_client.get(STATUS_URL)
    assert response.status_code == 200
    assert "/saya/profil/" in response.content.decode()


def test_pass_json_renews_the_code(visitor_client, vaccinated):
    data = visitor_client.get(PASS_URL, {"person": "self"}).json()
    assert data["person"] == "self"
    assert data["colour"] == "hijau"
    assert data["svg"].startswith("<svg")
    assert data["renew_in"] == 60
    assert 290 <= data["expires_in"] <= 300


def test_pass_json_for_own_dependant(visitor_client, child):
    data = visitor_client.get(PASS_URL, {"person": child.public_id}).json()
    assert (data["person"], data["colour"]) == (child.public_id, "hitam")


def test_another_visitor_cannot_fetch_someone_elses_pass(make_user, city, child):
    stranger = make_user(Role.VISITOR)
    make_person(stranger, serial=9, full_name="Orang Lain")
    client = Client()
    client.force_login(stranger)
    assert client.get(PASS_URL, {"person": child.public_id}).status_code == 404
    assert client.get(PASS_URL, {"person": "nobody"}).status_code == 404
    assert not StatusPass.objects.filter(person=child).exists()


def test_status_pages_are_for_visitors(client_for, client):
    staff = client_for(Role.VENUE_STAFF)
    assert staff.get(STATUS_URL).status_code == 403
    assert staff.get(PASS_URL).status_code == 403
    response = client.get(STATUS_URL)
    assert response.status_code == 302 and "/masuk/" in response["Location"]


def test_no_rule_set_is_explained(visitor_client, person):
    RuleSet.objects.all().delete()
    response = visitor_client.get(STATUS_URL)
    page = response.content.decode()
    # A sentence for the visitor; the code for scripts only (issue 18, item 13).
    assert 'data-code="no_rule_set"' in page and "<code>" not in page
    assert str(ScreeningErrorCode.NO_RULE_SET.label) in page
    assert visitor_client.get(PASS_URL).status_code == 503


# The guard's page


def test_guard_sees_genuine_and_current(guard_client, vaccinated):
    token, _ = passes.issue_status_pass(person=vaccinated)
    response = guard_client.post(VERIFY_URL, {"pass": token})
    assert response.status_code == 200
    html = response.content.decode()
    assert "ASLI DAN BERLAKU" in html
    assert "Budi Santoso" in html and vaccinated.nik_masked in html
    assert 'class="result hijau"' in html
    event = AuditEvent.objects.get(action="screening.pass_verified")
    view_id = StatusPass.objects.get().public_id
    assert event.detail == {"pass_id": view_id, "colour": "hijau", "rule_set": "2022-07-17"}
    assert event.actor is not None


def test_guard_sees_why_a_screenshot_is_refused(guard_client, vaccinated):
    old = timezone.now() - dt.timedelta(days=1)
    token, _ = passes.issue_status_pass(person=vaccinated, at=old)
    html = guard_client.post(VERIFY_URL, {"pass": token}).content.decode()
    assert "DITOLAK" in html and 'data-code="pass_expired"' in html
    assert "<code>pass_expired</code>" not in html
    assert "Budi Santoso" not in html
    assert AuditEvent.objects.get(action="screening.pass_refused").detail == {
        "code": "pass_expired"
    }


def test_guard_page_form(guard_client):
    response = guard_client.get(VERIFY_URL)
    assert response.status_code == 200
    assert 'name="pass"' in response.content.decode()


@pytest.mark.parametrize("role", [Role.VENUE_STAFF, Role.VENUE_MANAGER])
def test_venue_people_may_verify(client_for, role):
    assert client_for(role).get(VERIFY_URL).status_code == 200


def test_enforcement_officers_may_verify(client_for, city):
    assert client_for(Role.ENFORCEMENT_OFFICER, region=city).get(VERIFY_URL).status_code == 200


def test_visitors_may_not_verify(visitor_client):
    assert visitor_client.get(VERIFY_URL).status_code == 403
    assert visitor_client.post(VERIFY_URL, {"pass": "x"}).status_code == 403


def test_anonymous_guard_page_asks_to_sign_in(client):
    response = client.get(VERIFY_URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
