"""The officer's whole flow through the API and through the pages, and the public views."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jejak.people.tests.factories import make_nik
from jejak.tracing import cases, search
from jejak.tracing.models import Case, CaseStatus, CaseVisit, Contact, ExposureSite
from jejak.tracing.tests.conftest import JKT, NOW, T0, at, stay

pytestmark = pytest.mark.django_db


def nik_of(person) -> str:
    return make_nik(born=person.birth_date, sex=person.sex, serial=int(person.nik_masked[-4:]))


@pytest.fixture
def visitors(person, hotel):
    """A future case and two people at the hotel with them yesterday: the API opens cases
    with the default window, which ends now."""
    case_person, close, brief = person("Kasus"), person("Dekat"), person("Sekilas")
    # Yesterday mid-morning in Jakarta, not 24 hours ago: a stay across local midnight is
    # explained per day (infectiousness goes by day), two intervals instead of one.
    yesterday = timezone.now().astimezone(JKT).date() - dt.timedelta(days=1)
    start = dt.datetime.combine(yesterday, dt.time(10, 0), tzinfo=JKT)
    stay(case_person, hotel, start, start + dt.timedelta(hours=1))
    stay(close, hotel, start, start + dt.timedelta(hours=1))
    stay(brief, hotel, start + dt.timedelta(minutes=80), start + dt.timedelta(hours=2))
    return case_person, close, brief


def post(client: Client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def test_the_api_flow_from_opening_to_notification(officer_client, visitors):
    case_person, _close, _brief = visitors
    today = timezone.localdate().isoformat()

    opened = post(
        officer_client,
        "/api/v1/tracing/cases",
        {"nik": nik_of(case_person), "specimen_date": today},
    )
    assert opened.status_code == 201, opened.json()
    case_id = opened.json()["id"]
    assert opened.json()["person"]["nik_masked"] == case_person.nik_masked
    assert len(opened.json()["visits"]) == 1

    found = post(officer_client, f"/api/v1/tracing/cases/{case_id}/search").json()
    assert [c["person"]["full_name"] for c in found] == ["Dekat", "Sekilas"]
    assert [c["is_close"] for c in found] == [True, False]
    assert found[0]["visits"][0]["venue"] == "Hotel Cisadane"
    assert found[0]["minutes"] == 60
    # The explanation names the minimum each venue's time was compared with (issue 20).
    explained = found[0]["visits"][0]
    assert (explained["seconds"], explained["duration"], explained["min_contact_minutes"]) == (
        3600,
        "60:00",
        15,
    )
    assert found[0]["seconds"] == 3600

    done = post(officer_client, f"/api/v1/tracing/cases/{case_id}/designate").json()
    assert done == {"designated": 1, "informed": 1, "sites_published": 1}
    statuses = officer_client.get(f"/api/v1/tracing/cases/{case_id}/notifications").json()
    assert {s["channel"] for s in statuses} == {"inapp"}
    assert all(s["status"] in ("pending", "sent") for s in statuses)
    detail = officer_client.get(f"/api/v1/tracing/cases/{case_id}").json()
    assert detail["status"] == "notified"

    public = Client().get("/api/v1/exposure-sites")
    assert public.status_code == 200
    assert "public" in public["Cache-Control"]
    [site] = public.json()
    assert site["venue"] == "Hotel Cisadane" and site["district"] == "Tangerang"
    assert "Kasus" not in public.content.decode()


def test_api_refusals_carry_stable_codes(officer_client, visitors, person):
    case_person, _close, _brief = visitors
    stranger = make_nik(born=case_person.birth_date, serial=9999)
    assert (
        post(
            officer_client,
            "/api/v1/tracing/cases",
            {"nik": stranger, "specimen_date": "2021-10-19"},
        ).json()["code"]
        == "person_unknown"
    )
    assert (
        post(
            officer_client, "/api/v1/tracing/cases", {"nik": "12", "specimen_date": "2021-10-19"}
        ).status_code
        == 422
    )
    future = post(
        officer_client,
        "/api/v1/tracing/cases",
        {"nik": nik_of(case_person), "specimen_date": "2999-01-01"},
    )
    assert (future.status_code, future.json()["code"]) == (400, "date_in_future")
    case = cases.open_case(
        person=case_person, actor=None, specimen_date=T0.date(), isolation_started_at=at(1), now=NOW
    )
    early = post(officer_client, f"/api/v1/tracing/cases/{case.pk}/designate")
    assert (early.status_code, early.json()["code"]) == (409, "not_searched")
    window = post(
        officer_client,
        f"/api/v1/tracing/cases/{case.pk}/window",
        {"start": at(1).isoformat(), "end": at(0).isoformat(), "reason": "x"},
    )
    assert (window.status_code, window.json()["code"]) == (400, "window_invalid")
    naive = post(
        officer_client,
        f"/api/v1/tracing/cases/{case.pk}/window",
        {"start": "2021-10-18T00:00", "end": "2021-10-19T00:00", "reason": "x"},
    )
    assert naive.status_code == 422
    assert officer_client.get("/api/v1/tracing/cases/abc").status_code == 422


def test_a_second_generation_case_through_the_api(officer_client, visitors):
    case_person, close, _brief = visitors
    case = cases.open_case(person=case_person, actor=None, specimen_date=timezone.localdate())
    search.search_contacts(case=case, actor=None)
    contact = Contact.objects.get(case=case, person=close)

    child = post(
        officer_client,
        f"/api/v1/tracing/contacts/{contact.pk}/case",
        {"specimen_date": timezone.localdate().isoformat()},
    )

    assert child.status_code == 201
    assert child.json()["parent_case"] == case.pk
    assert child.json()["source"] == "contact"


def test_the_pages_flow(officer_client, visitors):
    case_person, close, brief = visitors
    today = timezone.localdate().isoformat()

    opened = officer_client.post(
        "/pelacakan/", {"nik": nik_of(case_person), "specimen_date": today}
    )
    case = Case.objects.get()
    assert opened.status_code == 302 and opened["Location"] == f"/pelacakan/kasus/{case.pk}/"

    officer_client.post(f"/pelacakan/kasus/{case.pk}/cari/")
    page = officer_client.get(f"/pelacakan/kasus/{case.pk}/").content.decode()
    assert "Dekat" in page and "Sekilas" in page and "Hotel Cisadane" in page
    assert "60:00 menit (minimum 15)" in page

    brief_contact = Contact.objects.get(person=brief)
    officer_client.post(
        f"/pelacakan/kasus/{case.pk}/tetapkan/", {"contact": [str(brief_contact.pk)]}
    )
    brief_contact.refresh_from_db()
    assert brief_contact.designated_at is not None
    assert Contact.objects.get(person=close).designated_at is None
    case.refresh_from_db()
    assert case.status == CaseStatus.NOTIFIED
    assert ExposureSite.objects.filter(published_at__isnull=False).count() == 1

    officer_client.post(f"/pelacakan/kasus/{case.pk}/tetapkan/", {"all": "1"})
    assert Contact.objects.get(person=close).designated_at is not None

    public = Client().get("/paparan/").content.decode()
    assert "Hotel Cisadane" in public and "Kasus" not in public.replace("kasus", "")

    second = officer_client.post(
        f"/pelacakan/kasus/{case.pk}/generasi-kedua/",
        {"contact": str(Contact.objects.get(person=close).pk), "specimen_date": today},
    )
    child = Case.objects.get(parent_case=case)
    assert second["Location"] == f"/pelacakan/kasus/{child.pk}/"

    officer_client.post(f"/pelacakan/kasus/{case.pk}/tutup/")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_the_window_form_records_its_reason(officer_client, visitors):
    case_person, _close, _brief = visitors
    case = cases.open_case(person=case_person, actor=None, specimen_date=timezone.localdate())
    response = officer_client.post(
        f"/pelacakan/kasus/{case.pk}/jendela/",
        {"start": "2021-10-17T00:00", "end": "2021-10-20T10:00", "reason": "Tanggal gejala baru"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.window_changes.get().reason == "Tanggal gejala baru"
    assert not CaseVisit.objects.filter(case=case).exists()
