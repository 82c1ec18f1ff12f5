"""A case from elsewhere that visited a venue of your region opens to you only as far as
that venue: its visits there, the contacts made there, their messages and exposure
sites; not the rest of the case, its exports or its designations."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from jejak.audit.models import AuditEvent
from jejak.notifications.models import Message
from jejak.tracing import cases, designation, notices, search
from jejak.tracing.models import CaseStatus, Contact, ExposureSite
from jejak.tracing.tests.conftest import NOW, T0, at, stay

pytestmark = pytest.mark.django_db


@pytest.fixture
def mall(other_city):
    from jejak.venues.tests.factories import VenueFactory

    return VenueFactory(region=other_city.children.first(), name="Mal Selatan")


@pytest.fixture
def split_case(person, hotel, mall):
    """A Kota Tangerang resident at the Kota Tangerang hotel, then at a Tangerang Selatan
    mall, with a close contact and a brief visitor at each, and one person at both."""
    case_person = person("Kasus Dua Kota")
    people = {
        name: person(name)
        for name in ("Kontak Hotel", "Sekilas Hotel", "Kontak Mal", "Sekilas Mal", "Kontak Dua")
    }
    stay(case_person, hotel, at(0), at(1))
    stay(case_person, mall, at(3), at(4))
    stay(people["Kontak Hotel"], hotel, at(0), at(1))
    stay(people["Sekilas Hotel"], hotel, at(hours=1, minutes=25), at(2))
    stay(people["Kontak Mal"], mall, at(3), at(4))
    stay(people["Sekilas Mal"], mall, at(hours=4, minutes=25), at(5))
    stay(people["Kontak Dua"], hotel, at(0), at(1))
    stay(people["Kontak Dua"], mall, at(3), at(4))
    case = cases.open_case(
        person=case_person, actor=None, specimen_date=T0.date(), isolation_started_at=at(days=1),
        now=NOW,
    )  # fmt: skip
    search.search_contacts(case=case, actor=None, now=NOW)
    return case, people


MALL_SIDE = {"Kontak Mal", "Sekilas Mal", "Kontak Dua"}
ALL = MALL_SIDE | {"Kontak Hotel", "Sekilas Hotel"}


def contact_of(case, people, name):
    return Contact.objects.get(case=case, person=people[name])


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_a_venue_citys_officer_sees_only_the_visits_and_contacts_of_their_venues(
    other_client, split_case
):
    case, _people = split_case

    detail = other_client.get(f"/api/v1/tracing/cases/{case.pk}").json()
    contacts = other_client.get(f"/api/v1/tracing/cases/{case.pk}/contacts").json()

    assert {c["person"]["full_name"] for c in contacts} == MALL_SIDE
    both = next(c for c in contacts if c["person"]["full_name"] == "Kontak Dua")
    assert [v["venue"] for v in both["visits"]] == ["Mal Selatan"]
    assert [v["venue"] for v in detail["visits"]] == ["Mal Selatan"]
    assert (detail["contacts"], detail["close_contacts"]) == (3, 2)
    assert detail["partial"] is True


def test_the_home_regions_officer_sees_the_whole_case(officer_client, split_case):
    case, _people = split_case

    detail = officer_client.get(f"/api/v1/tracing/cases/{case.pk}").json()
    contacts = officer_client.get(f"/api/v1/tracing/cases/{case.pk}/contacts").json()

    assert detail["partial"] is False
    assert {v["venue"] for v in detail["visits"]} == {"Hotel Cisadane", "Mal Selatan"}
    assert {c["person"]["full_name"] for c in contacts} == ALL
    both = next(c for c in contacts if c["person"]["full_name"] == "Kontak Dua")
    assert {v["venue"] for v in both["visits"]} == {"Hotel Cisadane", "Mal Selatan"}


def test_a_venue_citys_officer_cannot_export_the_whole_case(
    other_officer, other_client, split_case
):
    case, _people = split_case

    as_csv = other_client.get(f"/api/v1/tracing/cases/{case.pk}/export?format=csv")
    as_xlsx = other_client.get(f"/pelacakan/kasus/{case.pk}/ekspor.xlsx")

    table = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert {row[1] for row in table[1:]} == MALL_SIDE
    assert "Hotel Cisadane" not in as_csv.content.decode()
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == MALL_SIDE
    exports = AuditEvent.objects.filter(actor=other_officer, action="tracing.contacts.export")
    assert [(e.detail["rows"], e.detail["partial"]) for e in exports.order_by("id")] == [
        (3, True),
        (3, True),
    ]


def test_designating_a_contact_outside_their_venues_is_refused_and_audited(
    other_officer, other_client, split_case
):
    case, people = split_case
    outside = contact_of(case, people, "Kontak Hotel")
    inside = contact_of(case, people, "Kontak Mal")

    response = post(
        other_client,
        f"/api/v1/tracing/cases/{case.pk}/designate",
        {"contacts": [inside.pk, outside.pk]},
    )

    assert response.status_code == 404
    assert response.json()["code"] == "contact_not_found"
    assert not Contact.objects.filter(designated_at__isnull=False).exists()
    assert not Message.objects.exists()
    [row] = AuditEvent.objects.filter(actor=other_officer, action="tracing.refused")
    assert (row.object_id, row.detail) == (
        str(case.pk),
        {
            "attempt": "tracing.contacts.designate",
            "code": "contact_not_found",
            "contacts": [outside.pk],
        },
    )


def test_designating_all_designates_and_informs_only_at_their_venues(
    other_officer, other_client, split_case
):
    case, _people = split_case

    response = post(other_client, f"/api/v1/tracing/cases/{case.pk}/designate")

    assert response.json() == {"designated": 2, "informed": 1, "sites_published": 1}
    designated = Contact.objects.filter(case=case, designated_at__isnull=False)
    informed = Contact.objects.filter(case=case, informed_at__isnull=False)
    assert {c.person.full_name for c in designated} == {"Kontak Mal", "Kontak Dua"}
    assert {c.person.full_name for c in informed} == {"Sekilas Mal"}
    published = ExposureSite.objects.filter(case=case, published_at__isnull=False)
    assert [s.venue.name for s in published] == ["Mal Selatan"]
    case.refresh_from_db()
    # The rest of the case is still to be notified by its home region.
    assert case.status == CaseStatus.CONTACTS_IDENTIFIED
    audit = AuditEvent.objects.get(actor=other_officer, action="tracing.contacts.designate")
    assert audit.detail["partial"] is True


def test_the_notification_listing_shows_only_messages_to_their_contacts(
    officer, other_client, split_case
):
    case, _people = split_case
    designation.designate_contacts(case=case, actor=officer)
    ref = notices.case_ref(case)
    theirs = Message.objects.filter(ref=ref, to_person__full_name__in=MALL_SIDE)
    assert Message.objects.filter(ref=ref).count() > theirs.count() > 0

    listed = other_client.get(f"/api/v1/tracing/cases/{case.pk}/notifications").json()

    assert len(listed) == theirs.count()
    page = other_client.get(f"/pelacakan/kasus/{case.pk}/").content.decode()
    assert "Kontak Hotel" not in page and "Sekilas Hotel" not in page


def test_the_page_shows_only_their_part_and_no_whole_case_actions(other_client, split_case):
    case, _people = split_case

    page = other_client.get(f"/pelacakan/kasus/{case.pk}/").content.decode()

    assert "Kontak Mal" in page and "Kontak Dua" in page and "Mal Selatan" in page
    assert "Kontak Hotel" not in page and "Hotel Cisadane" not in page
    assert 'id="partial-view"' in page
    assert f"/pelacakan/kasus/{case.pk}/jendela/" not in page
    assert f"/pelacakan/kasus/{case.pk}/tutup/" not in page


def test_moving_the_window_or_closing_needs_the_whole_case(other_officer, other_client, split_case):
    case, _people = split_case

    window = post(
        other_client,
        f"/api/v1/tracing/cases/{case.pk}/window",
        {"start": at(-1).isoformat(), "end": at(5).isoformat(), "reason": "tes"},
    )
    close = post(other_client, f"/api/v1/tracing/cases/{case.pk}/close")

    assert (window.status_code, window.json()["code"]) == (403, "home_region_only")
    assert (close.status_code, close.json()["code"]) == (403, "home_region_only")
    case.refresh_from_db()
    assert case.status != CaseStatus.CLOSED and not case.window_changes.exists()
    refused = AuditEvent.objects.filter(actor=other_officer, action="tracing.refused")
    assert [r.detail["attempt"] for r in refused.order_by("id")] == [
        "tracing.case.window",
        "tracing.case.close",
    ]


def test_a_second_generation_case_needs_a_contact_they_see(other_officer, other_client, split_case):
    case, people = split_case
    outside = contact_of(case, people, "Kontak Hotel")

    response = post(
        other_client, f"/api/v1/tracing/contacts/{outside.pk}/case", {"specimen_date": "2021-10-20"}
    )

    assert (response.status_code, response.json()["code"]) == (404, "contact_not_found")
    refused = AuditEvent.objects.get(actor=other_officer, action="tracing.refused")
    assert refused.detail == {
        "attempt": "tracing.contact.access",
        "code": "contact_not_found",
        "contact": outside.pk,
    }


def test_a_third_citys_officer_sees_nothing_of_it(make_user, split_case):
    from django.test import Client

    from jejak.accounts.roles import Role
    from jejak.regions.tests.factories import city_with_districts

    case, _people = split_case
    third = Client()
    third.force_login(
        make_user(
            Role.HEALTH_OFFICER,
            region=city_with_districts(code="36.03", name="Kabupaten Tangerang"),
        )
    )
    assert third.get(f"/api/v1/tracing/cases/{case.pk}/contacts").status_code == 404
    assert third.get("/api/v1/tracing/cases").json() == []


def test_contacts_found_before_the_upgrade_get_their_venues_from_their_explanation(
    other_client, split_case, mall
):
    import importlib

    from django.apps import apps

    from jejak.tracing.models import ContactVenue

    case, _people = split_case
    ContactVenue.objects.all().delete()
    assert other_client.get(f"/api/v1/tracing/cases/{case.pk}/contacts").json() == []

    migration = importlib.import_module("jejak.tracing.migrations.0003_contact_venues")
    migration.fill_from_visits(apps, None)

    contacts = other_client.get(f"/api/v1/tracing/cases/{case.pk}/contacts").json()
    assert {c["person"]["full_name"] for c in contacts} == MALL_SIDE
    assert ContactVenue.objects.filter(venue=mall).count() == 3
