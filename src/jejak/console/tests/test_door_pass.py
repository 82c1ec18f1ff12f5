"""Issue 18: the guard's pass scanner shows the decision at this door, not the health
status: a green pass at a closed venue is red, "Tidak boleh masuk"."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.console.tests.conftest import logged_in
from jejak.inspections.models import Closure
from jejak.screening import passes

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def scan(client: Any, venue: Any, token: str) -> Any:
    return client.post(
        f"/api/v1/console/venues/{venue.short_code}/pass",
        json.dumps({"pass": token}),
        content_type="application/json",
    )


def test_a_green_pass_at_an_open_venue_may_enter(staff_client, hall, make_registered):
    person = make_registered("hijau")
    body = scan(staff_client, hall, passes.issue_pass(person=person).token).json()
    assert (body["decision"], body["decision_colour"], body["colour"]) == (
        "allowed",
        "hijau",
        "hijau",
    )
    assert body["decision_label"] == "Boleh masuk"
    assert body["reasons"] == []
    assert body["nik_masked"] == person.nik_masked


def test_a_green_pass_at_a_closed_venue_is_red(staff_client, hall, make_registered):
    person = make_registered("hijau")
    now = timezone.now()
    Closure.objects.create(venue=hall, starts_at=now - HOUR, ends_at=now + HOUR)
    body = scan(staff_client, hall, passes.issue_pass(person=person).token).json()
    assert (body["decision"], body["decision_colour"], body["colour"]) == (
        "denied",
        "merah",
        "hijau",
    )
    assert body["decision_label"] == "Tidak boleh masuk"
    assert any("ditutup sementara" in sentence for sentence in body["reasons"])


def test_a_green_pass_outside_opening_hours_is_red(staff_client, hall, make_registered, policy):
    person = make_registered("hijau")
    now = timezone.localtime()
    policy(opens_at=(now + 2 * HOUR).time(), closes_at=(now + 3 * HOUR).time())
    body = scan(staff_client, hall, passes.issue_pass(person=person).token).json()
    assert (body["decision"], body["decision_colour"]) == ("denied", "merah")


def test_a_yellow_pass_needs_the_staff_check(staff_client, hall, make_registered):
    person = make_registered("kuning")
    body = scan(staff_client, hall, passes.issue_pass(person=person).token).json()
    assert (body["decision"], body["decision_colour"], body["colour"]) == (
        "allowed_after_staff_check",
        "kuning",
        "kuning",
    )


def test_a_black_pass_is_refused(staff_client, hall, make_registered):
    person = make_registered("hitam")
    body = scan(staff_client, hall, passes.issue_pass(person=person).token).json()
    assert (body["decision"], body["decision_colour"], body["colour"]) == (
        "denied",
        "merah",
        "hitam",
    )


def test_a_stale_pass_is_refused_with_its_code(staff_client, hall, make_registered):
    person = make_registered("hijau")
    stale = passes.issue_pass(person=person, at=timezone.now() - dt.timedelta(minutes=10))
    response = scan(staff_client, hall, stale.token)
    assert (response.status_code, response.json()["code"]) == (410, "pass_expired")


def test_another_venues_staff_and_visitors_are_refused(
    make_user, hall, other_hall, make_registered
):
    token = passes.issue_pass(person=make_registered("hijau")).token
    stranger = logged_in(make_user(Role.VENUE_STAFF, venues=[other_hall], username="lain"))
    response = scan(stranger, hall, token)
    assert (response.status_code, response.json()["code"]) == (404, "venue_not_found")
    visitor = logged_in(make_user(Role.VISITOR, username="pengunjung"))
    assert scan(visitor, hall, token).status_code == 403


def test_without_javascript_the_page_shows_the_decision(staff_client, hall, make_registered):
    person = make_registered("hijau")
    now = timezone.now()
    Closure.objects.create(venue=hall, starts_at=now - HOUR, ends_at=now + HOUR)
    token = passes.issue_pass(person=person).token
    html = staff_client.post(f"/tempat/{hall.short_code}/status/", {"pass": token}).content.decode()
    card = html[
        html.index('id="pass-result"') : html.index("</div>", html.index('id="pass-result"'))
    ]
    assert 'class="console-result merah"' in html
    assert 'data-decision="denied"' in card
    assert "Tidak boleh masuk" in card and "visit-chip visit-hijau" in card
    assert "ASLI DAN BERLAKU" in card


def test_the_console_scanner_asks_the_door_endpoint(staff_client, hall):
    html = staff_client.get(f"/tempat/{hall.short_code}/").content.decode()
    assert f'data-verify-url="/api/v1/console/venues/{hall.short_code}/pass"' in html
    assert f'action="/tempat/{hall.short_code}/status/"' in html
