"""Opening cases (by hand, from a lab result, from a contact), the window and its history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.health.models import Designation, LabResult
from jejak.health.service import import_health_file
from jejak.people.tests.factories import make_nik
from jejak.tracing import cases, search
from jejak.tracing.errors import TracingError
from jejak.tracing.models import CaseSource, CaseStatus, CaseWindowChange
from jejak.tracing.tests.conftest import JKT, NOW, T0, at, stay

pytestmark = pytest.mark.django_db


def test_an_officer_opens_a_case_by_nik_and_it_is_audited(officer, person):
    siti = person("Siti")
    nik = make_nik(born=siti.birth_date, sex=siti.sex, serial=int(siti.nik_masked[-4:]))

    case = cases.open_case_by_nik(
        nik=nik, actor=officer, specimen_date=T0.date(), isolation_started_at=at(1), now=NOW
    )

    assert (case.person, case.opened_by, case.source) == (siti, officer, CaseSource.MANUAL)
    assert case.home_region_code == "36.71"
    event = AuditEvent.objects.get(action="tracing.case.open")
    assert (event.actor, event.object_id) == (officer, str(case.pk))
    assert nik not in str(event.detail)
    # A case opened by hand designates the person a positive case from the specimen date.
    designation = Designation.objects.get(nik_index=siti.nik_index)
    assert designation.kind == "positive_case"
    assert designation.starts_at == dt.datetime(2021, 10, 19, tzinfo=JKT)


def test_an_unknown_nik_is_refused(officer):
    with pytest.raises(TracingError) as refused:
        cases.open_case_by_nik(nik="3671011205900099", actor=officer, specimen_date=T0.date())
    assert refused.value.code == "person_unknown"


def test_only_tracers_open_cases(make_user, person, city):
    admin = make_user(Role.CITY_ADMIN, region=city)
    with pytest.raises(PermissionDenied):
        cases.open_case(person=person(), actor=admin, specimen_date=T0.date())


def test_an_officer_cannot_open_a_case_outside_their_jurisdiction(other_officer, person):
    with pytest.raises(TracingError) as refused:
        cases.open_case(person=person(), actor=other_officer, specimen_date=T0.date(), now=NOW)
    assert refused.value.code == "not_in_jurisdiction"
    assert not AuditEvent.objects.filter(action="tracing.case.open").exists()


def test_one_open_case_per_person(officer, person):
    siti = person()
    cases.open_case(person=siti, actor=officer, specimen_date=T0.date(), now=NOW)
    with pytest.raises(TracingError) as refused:
        cases.open_case(person=siti, actor=officer, specimen_date=T0.date(), now=NOW)
    assert refused.value.code == "already_a_case"


def test_dates_in_the_future_are_refused(officer, person):
    with pytest.raises(TracingError) as refused:
        cases.open_case(
            person=person(), actor=officer, specimen_date=NOW.date() + dt.timedelta(days=1), now=NOW
        )
    assert refused.value.code == "date_in_future"


def test_a_positive_lab_result_opens_a_case_by_itself(person):
    siti = person()
    result = LabResult.objects.create(
        nik_index=siti.nik_index, source="manual", method="pcr", result="positive",
        specimen_at=at(hours=-2),
    )  # fmt: skip

    case = cases.open_case_from_result(lab_result=result, now=NOW)

    assert case is not None
    assert (case.source, case.lab_result, case.opened_by) == (CaseSource.LAB_RESULT, result, None)
    assert case.specimen_date == T0.date()
    # The result itself makes the person black; no extra designation is written.
    assert not Designation.objects.exists()
    # A second result for the same person does not open a second case.
    assert cases.open_case_from_result(lab_result=result, now=NOW) is None


def test_negative_old_or_unregistered_results_open_nothing(person):
    siti = person()
    negative = LabResult.objects.create(
        nik_index=siti.nik_index, source="manual", method="pcr", result="negative", specimen_at=T0
    )
    old = LabResult.objects.create(
        nik_index=siti.nik_index, source="manual", method="pcr", result="positive",
        specimen_at=T0 - dt.timedelta(days=30),
    )  # fmt: skip
    stranger = LabResult.objects.create(
        nik_index="not-registered", source="manual", method="pcr", result="positive", specimen_at=T0
    )
    for result in (negative, old, stranger):
        assert cases.open_case_from_result(lab_result=result, now=NOW) is None


def test_a_result_opens_a_case_only_while_less_than_14_days_old(person):
    # Issue 20: docs/tracing.md says "less than 14 days old", to the second.
    siti = person()
    exactly = LabResult.objects.create(
        nik_index=siti.nik_index, source="manual", method="pcr", result="positive",
        specimen_at=NOW - dt.timedelta(days=14),
    )  # fmt: skip
    assert cases.open_case_from_result(lab_result=exactly, now=NOW) is None
    just_under = LabResult.objects.create(
        nik_index=siti.nik_index, source="manual", method="pcr", result="positive",
        specimen_at=NOW - dt.timedelta(days=14) + dt.timedelta(seconds=1),
    )  # fmt: skip
    assert cases.open_case_from_result(lab_result=just_under, now=NOW) is not None


def test_the_health_import_opens_cases_for_new_positive_results(
    officer, person, django_capture_on_commit_callbacks
):
    siti = person()
    nik = make_nik(born=siti.birth_date, sex=siti.sex, serial=int(siti.nik_masked[-4:]))
    specimen = dt.datetime.now(JKT).replace(microsecond=0) - dt.timedelta(hours=3)
    sheet = (
        "nik,record_type,datetime,method,result\n"
        f"{nik},lab_result,{specimen.isoformat()},pcr,positive\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = import_health_file(sheet.encode(), actor=officer, filename="lab.csv")

    assert report.ok, report.problems
    [case] = siti.cases.all()
    assert case.source == CaseSource.LAB_RESULT


def test_a_second_generation_case_names_its_parent(officer, person, hotel):
    first, contact_person = person("Kasus"), person("Kontak")
    stay(first, hotel, at(0), at(1))
    stay(contact_person, hotel, at(0), at(1))
    case = cases.open_case(person=first, actor=officer, specimen_date=T0.date(), now=NOW)
    [contact] = search.search_contacts(case=case, actor=officer, now=NOW)

    child = cases.open_case_from_contact(
        contact=contact, actor=officer, specimen_date=NOW.date(), now=NOW
    )

    assert (child.parent_case, child.person, child.source) == (case, contact_person, "contact")
    assert list(case.child_cases.all()) == [child]


def test_changing_the_window_keeps_the_old_one_and_the_reason(officer, person):
    case = cases.open_case(person=person(), actor=officer, specimen_date=T0.date(), now=NOW)
    old = (case.window_start, case.window_end)

    cases.change_window(
        case=case, actor=officer, start=at(days=-5), end=at(days=1),
        reason="Gejala ringan sejak 14 Oktober", now=NOW,
    )  # fmt: skip

    change = CaseWindowChange.objects.get(case=case)
    assert (change.old_start, change.old_end) == old
    assert (change.new_start, change.new_end) == (at(days=-5), at(days=1))
    assert change.changed_by == officer
    event = AuditEvent.objects.get(action="tracing.case.window")
    assert event.detail["reason"] == "Gejala ringan sejak 14 Oktober"


@pytest.mark.parametrize(
    ("start", "end", "reason", "code"),
    [
        (at(0), at(0), "x", "window_invalid"),
        (at(days=-30), at(0), "x", "window_too_long"),
        (at(-1), at(0), "  ", "reason_required"),
    ],
)
def test_bad_windows_are_refused(officer, person, start, end, reason, code):
    case = cases.open_case(person=person(), actor=officer, specimen_date=T0.date(), now=NOW)
    with pytest.raises(TracingError) as refused:
        cases.change_window(case=case, actor=officer, start=start, end=end, reason=reason)
    assert refused.value.code == code
    assert not CaseWindowChange.objects.exists()


def test_a_closed_case_cannot_be_searched(officer, person):
    case = cases.open_case(person=person(), actor=officer, specimen_date=T0.date(), now=NOW)
    cases.close_case(case=case, actor=officer)
    assert case.status == CaseStatus.CLOSED
    with pytest.raises(TracingError) as refused:
        search.search_contacts(case=case, actor=officer)
    assert refused.value.code == "case_closed"


def test_retention_keeps_the_visits_of_a_case_until_it_is_closed(officer, person, hotel):
    from jejak.checkins import retention
    from jejak.checkins.models import CheckIn

    siti = person("Siti")
    visit = stay(siti, hotel, at(-24), at(-23))
    case = cases.open_case(person=siti, actor=officer, specimen_date=T0.date(), now=NOW)
    assert case.visits.filter(checkin=visit).exists()
    other = stay(person("Budi"), hotel, at(-24), at(-23))  # nobody's case holds it

    later = NOW + dt.timedelta(days=60)
    assert retention.purge_expired_checkins(now=later)["checkins"] == 1
    assert list(CheckIn.objects.values_list("pk", flat=True)) == [visit.pk]
    assert not CheckIn.objects.filter(pk=other.pk).exists()

    cases.close_case(case=case, actor=officer)
    assert retention.purge_expired_checkins(now=later)["checkins"] == 1
    assert not CheckIn.objects.exists()


def test_dates_at_the_calendars_edge_are_refused_not_a_server_error(officer, person):
    with pytest.raises(TracingError) as refused:
        cases.open_case(person=person(), actor=officer, specimen_date=dt.date(1, 1, 1), now=NOW)
    assert refused.value.code == "date_out_of_range"
    case = cases.open_case(person=person(), actor=officer, specimen_date=T0.date(), now=NOW)
    year_one = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(TracingError) as refused:
        cases.change_window(
            case=case,
            actor=officer,
            start=year_one,
            end=year_one + dt.timedelta(days=3),
            reason="x",
        )
    assert refused.value.code == "date_out_of_range"


def test_the_api_answers_400_to_a_year_one_specimen_date(officer_client, person):
    from jejak.people.tests.factories import make_nik

    siti = person("Siti")
    nik = make_nik(born=siti.birth_date, sex=siti.sex, serial=int(siti.nik_masked[-4:]))
    response = officer_client.post(
        "/api/v1/tracing/cases",
        {"nik": nik, "specimen_date": "0001-01-01"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "date_out_of_range")


def test_retention_keeps_the_visits_of_an_unhandled_cluster(officer, person, hotel):
    from jejak.checkins import retention
    from jejak.checkins.models import CheckIn
    from jejak.tracing.models import ClusterAlert

    during = stay(person("Siti"), hotel, at(-24), at(-23))
    before = stay(person("Budi"), hotel, at(-24 * 5), at(-24 * 5 + 1))  # days earlier
    alert = ClusterAlert.objects.create(venue=hotel, period_start=at(-30), period_end=at(0))

    later = NOW + dt.timedelta(days=60)
    assert retention.purge_expired_checkins(now=later)["checkins"] == 1
    assert list(CheckIn.objects.values_list("pk", flat=True)) == [during.pk]
    assert not CheckIn.objects.filter(pk=before.pk).exists()

    ClusterAlert.objects.filter(pk=alert.pk).update(acknowledged_at=NOW)
    assert retention.purge_expired_checkins(now=later)["checkins"] == 1
    assert not CheckIn.objects.exists()
