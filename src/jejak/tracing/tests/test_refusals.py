"""An officer of another region learns nothing about whether a person is a case: the
jurisdiction is decided before anything that could tell, and every refusal is audited
with the masked NIK only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.people.tests.factories import make_nik
from jejak.tracing import cases
from jejak.tracing.models import Case
from jejak.tracing.tests.conftest import stay

pytestmark = pytest.mark.django_db


def nik_of(person) -> str:
    return make_nik(born=person.birth_date, sex=person.sex, serial=int(person.nik_masked[-4:]))


def open_by_api(client, nik: str):
    return client.post(
        "/api/v1/tracing/cases",
        {"nik": nik, "specimen_date": timezone.localdate().isoformat()},
        content_type="application/json",
    )


@pytest.fixture
def open_case_of_resident(person, hotel):
    """A Kota Tangerang resident with an open case, who never visited Tangerang Selatan."""
    resident = person("Kasus Rahasia")
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    stay(resident, hotel, start, start + dt.timedelta(hours=1))
    case = cases.open_case(person=resident, actor=None, specimen_date=timezone.localdate())
    return resident, case


def refusals(actor):
    return list(AuditEvent.objects.filter(actor=actor, action="tracing.refused").order_by("id"))


def test_another_citys_officer_cannot_learn_that_a_person_is_an_open_case(
    other_officer, other_client, person, open_case_of_resident
):
    resident, _case = open_case_of_resident
    not_a_case = person("Bukan Kasus")

    to_the_case = open_by_api(other_client, nik_of(resident))
    to_the_other = open_by_api(other_client, nik_of(not_a_case))

    assert to_the_case.status_code == to_the_other.status_code == 403
    assert to_the_case.json() == to_the_other.json()
    assert to_the_case.json()["code"] == "not_in_jurisdiction"
    assert Case.objects.count() == 1


def test_the_refused_opening_is_audited_with_the_masked_nik_only(
    other_officer, other_client, open_case_of_resident
):
    resident, _case = open_case_of_resident
    nik = nik_of(resident)

    open_by_api(other_client, nik)

    [row] = refusals(other_officer)
    assert row.detail == {
        "attempt": "tracing.case.open",
        "code": "not_in_jurisdiction",
        "nik_masked": resident.nik_masked,
    }
    assert row.ip == "127.0.0.1"
    assert nik not in json.dumps(row.detail) and nik not in row.object_id


def test_an_unregistered_nik_of_another_region_is_refused_like_a_registered_one(
    other_officer, other_client, officer_client
):
    unknown = make_nik(born=dt.date(1985, 1, 2), serial=4242)

    assert open_by_api(other_client, unknown).json()["code"] == "not_in_jurisdiction"
    # Its home region may hear that nobody registered it.
    assert open_by_api(officer_client, unknown).json()["code"] == "person_unknown"
    [row] = refusals(other_officer)
    assert row.detail["nik_masked"] == "3671********4242"


def test_the_home_regions_officer_still_hears_that_the_person_is_a_case(
    officer_client, open_case_of_resident
):
    resident, _case = open_case_of_resident
    response = open_by_api(officer_client, nik_of(resident))
    assert response.status_code == 409
    assert response.json()["code"] == "already_a_case"


def test_the_page_refuses_the_same_way(other_officer, other_client, open_case_of_resident):
    resident, _case = open_case_of_resident
    page = other_client.post(
        "/pelacakan/",
        {"nik": nik_of(resident), "specimen_date": timezone.localdate().isoformat()},
    ).content.decode()
    assert "tidak berdomisili dan tidak berkunjung" in page
    assert "sudah menjadi kasus" not in page
    assert [r.detail["code"] for r in refusals(other_officer)] == ["not_in_jurisdiction"]


def test_an_officer_who_visited_venue_region_may_open_the_case(
    other_officer, other_client, person, other_city
):
    from jejak.venues.tests.factories import VenueFactory

    mall = VenueFactory(region=other_city.children.first(), name="Mal Selatan")
    visitor = person("Pengunjung")
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    stay(visitor, mall, start, start + dt.timedelta(hours=1))

    response = open_by_api(other_client, nik_of(visitor))

    assert response.status_code == 201
    assert response.json()["partial"] is True
    assert not refusals(other_officer)


def test_looking_up_a_case_outside_the_jurisdiction_is_audited(
    other_officer, other_client, open_case_of_resident
):
    _resident, case = open_case_of_resident

    assert other_client.get(f"/api/v1/tracing/cases/{case.pk}").status_code == 404
    assert other_client.get(f"/pelacakan/kasus/{case.pk}/").status_code == 404

    rows = refusals(other_officer)
    assert [r.detail for r in rows] == [
        {"attempt": "tracing.case.access", "code": "case_not_found", "case": case.pk}
    ] * 2
