"""Who sees a case (jurisdiction: home regency or a visited venue), and the audit rows of
every read and export, through the pages and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.tracing import cases, designation, exports, search
from jejak.tracing.tests.conftest import NOW, T0, at, stay

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(person, hotel):
    """A Kota Tangerang resident who only visited the Kota Tangerang hotel, one contact."""
    case_person, contact = person("Kasus Satu"), person("Kontak Satu")
    stay(case_person, hotel, at(0), at(1))
    stay(contact, hotel, at(0), at(1))
    opened = cases.open_case(
        person=case_person, actor=None, specimen_date=T0.date(), isolation_started_at=at(1),
        now=NOW,
    )  # fmt: skip
    search.search_contacts(case=opened, actor=None, now=NOW)
    return opened


def case_urls(case):
    return [
        f"/pelacakan/kasus/{case.pk}/",
        f"/pelacakan/kasus/{case.pk}/ekspor.csv",
        f"/api/v1/tracing/cases/{case.pk}",
        f"/api/v1/tracing/cases/{case.pk}/contacts",
        f"/api/v1/tracing/cases/{case.pk}/notifications",
        f"/api/v1/tracing/cases/{case.pk}/export?format=csv",
    ]


def test_another_regions_officer_sees_nothing(other_client, case):
    for url in case_urls(case):
        assert other_client.get(url).status_code == 404, url
    for url in ("search", "designate", "close"):
        response = other_client.post(
            f"/api/v1/tracing/cases/{case.pk}/{url}", {}, content_type="application/json"
        )
        assert response.status_code == 404, url
        assert response.json()["code"] == "case_not_found"
    assert other_client.get("/api/v1/tracing/cases").json() == []
    page = other_client.get("/pelacakan/")
    assert "Kasus Satu" not in page.content.decode()
    contact = case.contacts.get()
    response = other_client.post(
        f"/api/v1/tracing/contacts/{contact.pk}/case",
        {"specimen_date": "2021-10-20"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_the_home_regions_officer_sees_the_case(officer_client, case):
    for url in case_urls(case):
        assert officer_client.get(url).status_code == 200, url
    assert [c["id"] for c in officer_client.get("/api/v1/tracing/cases").json()] == [case.pk]


def test_a_visited_venues_officer_sees_the_case_of_a_visitor_from_elsewhere(
    person, other_city, client_for, make_user
):
    from jejak.venues.tests.factories import VenueFactory

    # A Kota Tangerang resident who visited a venue in Tangerang Selatan.
    mall = VenueFactory(region=other_city.children.first(), name="Mal Selatan")
    visitor = person()
    stay(visitor, mall, at(0), at(1))
    case = cases.open_case(
        person=visitor, actor=None, specimen_date=T0.date(), isolation_started_at=at(1), now=NOW
    )
    officer_there = Client()
    officer_there.force_login(make_user(Role.HEALTH_OFFICER, region=other_city))
    assert officer_there.get(f"/api/v1/tracing/cases/{case.pk}").status_code == 200
    # A third city's officer still sees nothing.
    from jejak.regions.tests.factories import city_with_districts

    third = city_with_districts(code="36.03", name="Kabupaten Tangerang")
    stranger = Client()
    stranger.force_login(make_user(Role.HEALTH_OFFICER, region=third))
    assert stranger.get(f"/api/v1/tracing/cases/{case.pk}").status_code == 404


def test_roles_without_the_capability_are_refused(client_for, city, case):
    for role in (Role.CITY_ADMIN, Role.ENFORCEMENT_OFFICER, Role.VENUE_MANAGER, Role.VISITOR):
        c = client_for(role, region=city)
        assert c.get(f"/api/v1/tracing/cases/{case.pk}").status_code == 403, role
        assert c.get(f"/pelacakan/kasus/{case.pk}/").status_code == 403, role
    assert Client().get("/api/v1/tracing/cases").status_code == 401
    assert Client().get("/pelacakan/").status_code == 302


def test_the_issuer_sees_every_case(client_for, case):
    issuer = client_for(Role.ISSUER)
    assert issuer.get(f"/pelacakan/kasus/{case.pk}/").status_code == 200


def test_every_read_and_export_is_audited(officer, officer_client, case):
    AuditEvent.objects.all().delete()

    officer_client.get("/pelacakan/")
    officer_client.get(f"/pelacakan/kasus/{case.pk}/")
    officer_client.get(f"/api/v1/tracing/cases/{case.pk}")
    officer_client.get(f"/api/v1/tracing/cases/{case.pk}/contacts")
    officer_client.get(f"/pelacakan/kasus/{case.pk}/ekspor.xlsx")
    officer_client.get(f"/api/v1/tracing/cases/{case.pk}/export?format=csv")

    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.object_id) for e in events] == [
        ("tracing.case.list", ""),
        ("tracing.case.read", str(case.pk)),
        ("tracing.contacts.read", str(case.pk)),
        # The case page shows the messages' recipients too (masked).
        ("tracing.notifications.read", str(case.pk)),
        ("tracing.case.read", str(case.pk)),
        ("tracing.contacts.read", str(case.pk)),
        ("tracing.contacts.export", str(case.pk)),
        ("tracing.contacts.export", str(case.pk)),
    ]
    assert all(e.actor == officer for e in events)
    assert all(e.ip == "127.0.0.1" for e in events)
    assert events[0].detail["count"] == 1
    assert events[2].detail["rows"] == 1
    assert [(e.detail["format"], e.detail["rows"]) for e in events[-2:]] == [
        ("xlsx", 1),
        ("csv", 1),
    ]


def test_exports_need_their_own_capability(make_user, city, case, monkeypatch):
    from jejak.accounts import capabilities

    officer = make_user(Role.HEALTH_OFFICER, region=city)
    reduced = capabilities.ROLE_CAPABILITIES[Role.HEALTH_OFFICER] - {
        capabilities.Cap.EXPORT_CONTACTS
    }
    monkeypatch.setitem(capabilities.ROLE_CAPABILITIES, Role.HEALTH_OFFICER, reduced)
    c = Client()
    c.force_login(officer)
    assert c.get(f"/pelacakan/kasus/{case.pk}/ekspor.csv").status_code == 403
    assert c.get(f"/api/v1/tracing/cases/{case.pk}/export").status_code == 403
    assert not AuditEvent.objects.filter(action="tracing.contacts.export").exists()


def test_the_services_check_the_jurisdiction_again(other_officer, case):
    from jejak.tracing.errors import TracingError

    calls = [
        lambda: search.search_contacts(case=case, actor=other_officer),
        lambda: designation.designate_contacts(case=case, actor=other_officer),
        lambda: exports.export_contacts(case=case, actor=other_officer, fmt="csv"),
        lambda: cases.close_case(case=case, actor=other_officer),
        lambda: cases.change_window(
            case=case, actor=other_officer, start=at(-1), end=at(0), reason="x"
        ),
    ]
    for call in calls:
        with pytest.raises(TracingError) as refused:
            call()
        assert refused.value.code == "case_not_found"
    assert not AuditEvent.objects.filter(actor=other_officer).exists()
