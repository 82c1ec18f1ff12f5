"""The follow-up pages and API: what each role sees and may do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.followups.models import FollowUp
from jejak.followups.tests.factories import venue_at
from jejak.sectors.models import Sector

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(city, client_for):
    kec = city.children.first()
    hotel = Sector.objects.get(slug="hotel")
    school = Sector.objects.filter(slug__startswith="sekolah").order_by("pk").first()
    h = venue_at("registered", short_code="H-ONE", name="Hotel Satu", region=kec, sector=hotel)
    s = venue_at("registered", short_code="S-ONE", name="SD Satu", region=kec, sector=school)
    officer = client_for(Role.AGENCY_OFFICER, region=city, sectors=[hotel])
    return h, s, officer


def test_officer_page_lists_its_sectors_venues_only(setup):
    _h, _s, officer = setup
    page = officer.get("/tindak-lanjut/").content.decode()
    assert "H-ONE" in page and "S-ONE" not in page
    assert officer.get("/tindak-lanjut/tempat/S-ONE/").status_code == 404


def test_officer_records_a_followup_through_the_page(setup):
    _h, _, officer = setup
    deadline = timezone.localdate() + dt.timedelta(days=3)
    response = officer.post(
        "/tindak-lanjut/tempat/H-ONE/",
        {"kind": "visit", "notes": "Datang ke lobi", "deadline": deadline.isoformat()},
    )
    assert response.status_code == 302
    assert FollowUp.objects.get().notes == "Datang ke lobi"


def test_city_admin_sees_overdue_but_cannot_record(setup, client_for, city):
    _h, s, officer = setup
    FollowUp.objects.create(
        venue=s, kind="contacted", deadline=timezone.localdate() - dt.timedelta(days=2)
    )
    admin = client_for(Role.CITY_ADMIN, region=city)
    page = admin.get("/tindak-lanjut/").content.decode()
    assert "fu-late" in page and "S-ONE" in page
    assert admin.post("/tindak-lanjut/tempat/S-ONE/", {"kind": "visit"}).status_code == 404
    assert (
        admin.post(
            "/api/v1/followups",
            {"venue": "S-ONE", "kind": "visit"},
            content_type="application/json",
        ).status_code
        == 403
    )
    overdue = admin.get("/api/v1/followups?overdue=true").json()
    assert [f["venue"] for f in overdue] == ["S-ONE"] and overdue[0]["overdue"] is True
    # The hotel officer does not see the school's overdue follow-up.
    assert officer.get("/api/v1/followups?overdue=true").json() == []


def test_api_create_update_and_scoping(setup, client_for):
    _h, _s, officer = setup
    made = officer.post(
        "/api/v1/followups",
        {"venue": "h-one", "kind": "letter_sent", "notes": "=cmd|' /C calc'!A0"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["venue"] == "H-ONE" and body["done"] is False
    refused = officer.post(
        "/api/v1/followups", {"venue": "S-ONE", "kind": "visit"}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"]) == (404, "venue_not_found")
    not_done = officer.patch(
        f"/api/v1/followups/{body['id']}", {"done": True}, content_type="application/json"
    )
    assert (not_done.status_code, not_done.json()["code"]) == (400, "outcome_required")
    done = officer.patch(
        f"/api/v1/followups/{body['id']}",
        {"done": True, "outcome": "Akan mengajukan"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["done"] is True
    lagging = officer.get("/api/v1/followups/venues").json()
    assert [v["short_code"] for v in lagging] == ["H-ONE"]
    assert lagging[0]["lag"] == "not_requested"
    assert officer.get("/api/v1/followups/venues?days=0").json()["code"] == "invalid_days"


def test_visitor_and_venue_manager_get_nothing(setup, client_for):
    h, *_ = setup
    manager = client_for(Role.VENUE_MANAGER, venues=[h])
    assert manager.get("/tindak-lanjut/").status_code == 403
    assert manager.get("/api/v1/followups").status_code == 403
