"""The /ppkm/ staff page and the admin save paths."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.ppkm.models import LevelAssignment, SectorRule

URL = "/ppkm/"


def test_url_name():
    assert reverse("ppkm_levels") == URL


def test_city_admin_sees_own_regions_levels_and_rules(city, other_city, city_admin, assign):
    assign(2, "2021-10-19", reason="Inmendagri 53/2021")
    assign(1, "2021-11-02", reason="Turun ke Level 1")
    client = Client()
    client.force_login(city_admin)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-region="36.71"' in html
    assert 'data-region="36.71.01"' in html
    assert 'data-region="36.74"' not in html
    assert "Inmendagri 53/2021" in html and "Turun ke Level 1" in html
    assert 'data-level="1"' in html  # today: the latest level
    assert 'data-sector="pusat-perbelanjaan"' in html
    assert 'data-sector="rumah-makan-malam"' in html


def test_city_admin_schedules_a_level_change(city, city_admin):
    client = Client()
    client.force_login(city_admin)
    response = client.post(
        URL,
        {"region": "36.71", "level": "3", "effective_from": "2031-01-05", "reason": "Lonjakan"},
    )
    assert response.status_code == 302
    assignment = LevelAssignment.objects.get()
    assert (assignment.region, assignment.level, assignment.set_by) == (city, 3, city_admin)
    assert assignment.effective_from == dt.date(2031, 1, 5)
    assert AuditEvent.objects.filter(action="ppkm.level_assigned", actor=city_admin).count() == 1


def test_city_admin_cannot_schedule_another_city(other_city, city_admin):
    client = Client()
    client.force_login(city_admin)
    response = client.post(
        URL, {"region": "36.74", "level": "3", "effective_from": "2031-01-05", "reason": "x"}
    )
    assert response.status_code == 200
    assert "di luar kewenangan" in response.content.decode()
    assert not LevelAssignment.objects.exists()


def test_issuer_sees_the_page(city, client_for):
    assert client_for(Role.ISSUER).get(URL).status_code == 200


@pytest.mark.parametrize(
    "role", [Role.VENUE_STAFF, Role.VENUE_MANAGER, Role.AGENCY_OFFICER, Role.VISITOR]
)
def test_other_roles_are_refused(city, client_for, role):
    assert client_for(role, region=city).get(URL).status_code == 403


def test_anonymous_goes_to_login(db):
    response = Client().get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_admin_adds_a_level_through_the_service(city, issuer):
    client = Client()
    client.force_login(issuer)
    response = client.post(
        "/admin/ppkm/levelassignment/add/",
        {"region": city.pk, "level": "2", "effective_from": "2021-10-19", "reason": "Inmendagri"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = LevelAssignment.objects.get()
    assert assignment.set_by == issuer
    assert AuditEvent.objects.filter(action="ppkm.level_assigned", actor=issuer).exists()


def test_admin_edits_a_rule_through_the_service(issuer):
    rule = SectorRule.objects.get(level=2, sector__slug="hotel")
    client = Client()
    client.force_login(issuer)
    url = f"/admin/ppkm/sectorrule/{rule.pk}/change/"
    assert client.get(url).status_code == 200
    data = {
        "capacity_percent": "60",
        "capacity_max_people": "",
        "guest_colours": ["hijau", "kuning"],
        "employee_colours": ["hijau", "kuning", "merah"],
        "staff_check_colours": ["kuning"],
        "opens_at": "",
        "closes_at": "",
        "max_stay_minutes": "",
        "children_rule": "negative_test",
        "children_age_below": "12",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    rule.refresh_from_db()
    assert (rule.capacity_percent, rule.version, rule.updated_by) == (60, 2, issuer)
    assert AuditEvent.objects.get(action="ppkm.sector_rule_changed").detail["changes"] == {
        "capacity_percent": [50, 60]
    }
    bad = client.post(url, {**data, "staff_check_colours": ["merah"]})
    assert bad.status_code == 200
    rule.refresh_from_db()
    assert rule.version == 2


def test_admin_is_issuer_only(city, make_user):
    admin_like = make_user(Role.CITY_ADMIN, region=city, is_staff=True)
    client = Client()
    client.force_login(admin_like)
    assert client.get("/admin/ppkm/sectorrule/").status_code == 403
