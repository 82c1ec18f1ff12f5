"""Closed cases, exposure sites and handled cluster alerts go after their periods; what an
open case, an unhandled cluster or a designation in force still needs stays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from jejak.audit.models import AuditEvent
from jejak.core.tests.retention_tools import purge
from jejak.health.models import Designation, LabResult
from jejak.tracing import cases
from jejak.tracing.models import Case, CaseStatus, ClusterAlert, Contact, ExposureSite
from jejak.tracing.tests.conftest import NOW, T0

DAY = dt.timedelta(days=1)


def case_of(person, *, closed_at: dt.datetime | None = None, parent: Case | None = None) -> Case:
    return Case.objects.create(
        person=person,
        source="manual",
        parent_case=parent,
        specimen_date=T0.date(),
        isolation_started_at=T0,
        window_start=T0 - 2 * DAY,
        window_end=T0,
        status=CaseStatus.CLOSED if closed_at else CaseStatus.OPEN,
        closed_at=closed_at,
    )


def contact_of(case: Case, person, designation: Designation | None = None) -> Contact:
    return Contact.objects.create(
        case=case,
        person=person,
        score=Decimal("30.0"),
        seconds=1800,
        is_close=True,
        last_exposure_at=T0 - DAY,
        designation=designation,
    )


def site_of(case: Case, venue, *, window_end: dt.datetime) -> ExposureSite:
    return ExposureSite.objects.create(
        venue=venue,
        case=case,
        window_start=window_end - dt.timedelta(hours=2),
        window_end=window_end,
        published_at=window_end,
    )


def test_closed_cases_go_with_their_contacts_after_their_period(person, hotel, settings):
    settings.JEJAK_CASE_RETENTION_DAYS = 90
    later = NOW + 100 * DAY
    old = case_of(person("Siti"), closed_at=later - 91 * DAY)
    contact_of(old, person("Budi"))
    site_of(old, hotel, window_end=T0)
    recent = case_of(person("Dewi"), closed_at=later - 89 * DAY)
    contact_of(recent, person("Agus"))
    still_open = case_of(person("Rafi"))  # opened long ago, never closed

    assert purge("cases", now=later, dry_run=True) == {
        "cases": 1,
        "contacts": 1,
        "exposure_sites": 1,
    }
    assert purge("cases", now=later) == {"cases": 1, "contacts": 1, "exposure_sites": 1}

    assert set(Case.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
    assert list(Contact.objects.values_list("case_id", flat=True)) == [recent.pk]
    assert not ExposureSite.objects.exists()
    event = AuditEvent.objects.get(action="tracing.cases_purged")
    assert event.detail["cases"] == 1 and event.detail["contacts"] == 1


def test_a_closed_case_stays_while_something_still_needs_it(person, hotel, settings):
    settings.JEJAK_CASE_RETENTION_DAYS = 90
    later = NOW + 200 * DAY
    closed = later - 120 * DAY
    # A contact of it became a case that is still open.
    parent = case_of(person("Siti"), closed_at=closed)
    case_of(person("Budi"), parent=parent)
    # A cluster alert nobody has handled counts it.
    clustered = case_of(person("Dewi"), closed_at=closed)
    alert = ClusterAlert.objects.create(venue=hotel, period_start=T0, period_end=T0 + DAY)
    alert.cases.add(clustered)
    # One of its contacts is still designated (not lifted, within the colours' reach).
    designating = case_of(person("Agus"), closed_at=closed)
    rafi = person("Rafi")
    in_force = Designation.objects.create(
        nik_index=rafi.nik_index, source="tracing", kind="close_contact", starts_at=later - 5 * DAY
    )
    contact_of(designating, rafi, designation=in_force)
    # Nothing holds this one.
    free = case_of(person("Sri"), closed_at=closed)

    assert purge("cases", now=later)["cases"] == 1
    assert set(Case.objects.filter(status=CaseStatus.CLOSED).values_list("pk", flat=True)) == {
        parent.pk,
        clustered.pk,
        designating.pk,
    }
    assert not Case.objects.filter(pk=free.pk).exists()

    # Once released, they go at the next run.
    Case.objects.exclude(status=CaseStatus.CLOSED).update(
        status=CaseStatus.CLOSED, closed_at=closed
    )
    ClusterAlert.objects.update(acknowledged_at=later)
    Designation.objects.filter(pk=in_force.pk).update(ended_at=later - DAY)
    assert purge("cases", now=later)["cases"] == 4
    assert not Case.objects.exists()


def test_exposure_sites_go_after_their_period_unless_their_case_is_open(person, hotel, settings):
    settings.JEJAK_EXPOSURE_SITE_RETENTION_DAYS = 21
    later = NOW + 60 * DAY
    closed = case_of(person("Siti"), closed_at=NOW)
    still_open = case_of(person("Budi"))
    old = site_of(closed, hotel, window_end=later - 22 * DAY)
    recent = site_of(closed, hotel, window_end=later - 20 * DAY)
    held = site_of(still_open, hotel, window_end=later - 40 * DAY)

    assert purge("exposure-sites", now=later) == {"exposure_sites": 1}

    assert set(ExposureSite.objects.values_list("pk", flat=True)) == {recent.pk, held.pk}
    assert not ExposureSite.objects.filter(pk=old.pk).exists()


def test_exposure_sites_stay_the_fourteen_days_the_public_list_shows(person, hotel, settings):
    settings.JEJAK_EXPOSURE_SITE_RETENTION_DAYS = 3
    later = NOW + 60 * DAY
    closed = case_of(person("Siti"), closed_at=NOW)
    listed = site_of(closed, hotel, window_end=later - 13 * DAY)
    assert purge("exposure-sites", now=later) == {"exposure_sites": 0}
    assert ExposureSite.objects.filter(pk=listed.pk).exists()


def test_cluster_alerts_go_after_their_period_once_handled(hotel, settings):
    settings.JEJAK_CLUSTER_RETENTION_DAYS = 90
    later = NOW + 200 * DAY

    def alert(acknowledged_days_ago: float | None) -> ClusterAlert:
        return ClusterAlert.objects.create(
            venue=hotel,
            period_start=T0,
            period_end=T0 + DAY,
            acknowledged_at=None
            if acknowledged_days_ago is None
            else later - acknowledged_days_ago * DAY,
        )

    old, recent, unhandled = alert(91), alert(89), alert(None)

    assert purge("clusters", now=later) == {"clusters": 1}

    assert set(ClusterAlert.objects.values_list("pk", flat=True)) == {recent.pk, unhandled.pk}
    assert not ClusterAlert.objects.filter(pk=old.pk).exists()


def test_an_open_case_holds_its_lab_results_and_designations(officer, person, settings):
    settings.JEJAK_HEALTH_RECORD_RETENTION_DAYS = 90
    settings.JEJAK_DESIGNATION_RETENTION_DAYS = 90
    siti, budi = person("Siti"), person("Budi")
    result = LabResult.objects.create(
        nik_index=siti.nik_index,
        source="manual",
        method="pcr",
        result="positive",
        specimen_at=T0,
    )
    case = cases.open_case(
        person=siti, actor=officer, specimen_date=T0.date(), lab_result=result, now=NOW
    )
    own = Designation.objects.create(
        nik_index=siti.nik_index, source="tracing", kind="positive_case", starts_at=T0 + DAY
    )
    contacts = Designation.objects.create(
        nik_index=budi.nik_index, source="tracing", kind="close_contact", starts_at=T0
    )
    contact_of(case, budi, designation=contacts)
    stranger = LabResult.objects.create(
        nik_index="s" * 64, source="manual", method="pcr", result="negative", specimen_at=T0
    )

    later = NOW + 300 * DAY
    assert purge("health-records", now=later)["lab_results"] == 1
    assert purge("designations", now=later)["designations"] == 0
    assert list(LabResult.objects.values_list("pk", flat=True)) == [result.pk]
    assert not LabResult.objects.filter(pk=stranger.pk).exists()
    assert set(Designation.objects.values_list("pk", flat=True)) >= {own.pk, contacts.pk}

    cases.close_case(case=case, actor=officer, now=NOW + DAY)
    assert purge("health-records", now=later)["lab_results"] == 1
    purge("designations", now=later)
    assert not LabResult.objects.exists()
    assert not Designation.objects.exists()
