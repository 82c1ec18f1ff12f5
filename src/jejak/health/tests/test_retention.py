"""Health records go after their period counted from their own date, but never while a
colour (or the zones' weekly count) may still read them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.core.tests.retention_tools import purge
from jejak.health import retention
from jejak.health.models import (
    Designation,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)
from jejak.screening.tests.factories import local

DAY = dt.timedelta(days=1)


def record(model, *, index: str = "i" * 64, **fields):
    return model.objects.create(nik_index=index, source="manual", **fields)


def lab_result(days: float, result: str = "negative") -> LabResult:
    return record(
        LabResult,
        index=f"lab{days}".ljust(64, "x"),
        method="pcr",
        result=result,
        specimen_at=timezone.now() - days * DAY,
    )


def test_the_shipped_rules_and_the_zones_set_each_kinds_period(db, settings):
    settings.JEJAK_HEALTH_RECORD_RETENTION_DAYS = 90
    settings.JEJAK_DESIGNATION_RETENTION_DAYS = 90
    now = timezone.now()
    # Doses count for ever while a rule set in force counts doses (2022-07-17 does).
    assert retention.period(retention.DOSES, retention.HEALTH_SETTING, now) is None
    # Zones read positives back 7 + 90 days; "recovered" reads 90 days, plus the day an
    # offline scan may be late.
    assert retention.period(retention.LAB_RESULTS, retention.HEALTH_SETTING, now) == 97 * DAY
    assert retention.period(retention.DESIGNATIONS, retention.DESIGNATION_SETTING, now) == 91 * DAY
    assert retention.period(retention.QUARANTINES, retention.HEALTH_SETTING, now) == 90 * DAY


def test_health_records_past_their_period_go_and_the_rest_stay(db, settings):
    settings.JEJAK_HEALTH_RECORD_RETENTION_DAYS = 90
    today = timezone.localdate()
    old_lab, recent_lab = lab_result(98), lab_result(96)
    first_dose = record(
        VaccinationDose, dose_number=1, given_on=today - dt.timedelta(days=900), product="Sinovac"
    )
    old_quarantine = record(
        TravelQuarantine,
        starts_on=today - dt.timedelta(days=110),
        ends_on=today - dt.timedelta(days=92),
    )
    recent_quarantine = record(
        TravelQuarantine,
        index="q" * 64,
        starts_on=today - dt.timedelta(days=100),
        ends_on=today - dt.timedelta(days=89),
    )
    ended_exemption = record(
        VaccinationExemption,
        starts_on=today - dt.timedelta(days=400),
        ends_on=today - dt.timedelta(days=92),
    )
    # Held: an open-ended exemption is in force, and a rule set reads exemptions.
    open_exemption = record(
        VaccinationExemption, index="e" * 64, starts_on=today - dt.timedelta(days=400)
    )

    assert purge("health-records", dry_run=True) == {
        "doses": 0,
        "lab_results": 1,
        "quarantines": 1,
        "exemptions": 1,
    }
    assert purge("health-records") == {
        "doses": 0,
        "lab_results": 1,
        "quarantines": 1,
        "exemptions": 1,
    }

    assert list(LabResult.objects.values_list("pk", flat=True)) == [recent_lab.pk]
    assert not LabResult.objects.filter(pk=old_lab.pk).exists()
    assert VaccinationDose.objects.filter(pk=first_dose.pk).exists()
    assert list(TravelQuarantine.objects.values_list("pk", flat=True)) == [recent_quarantine.pk]
    assert not TravelQuarantine.objects.filter(pk=old_quarantine.pk).exists()
    assert list(VaccinationExemption.objects.values_list("pk", flat=True)) == [open_exemption.pk]
    assert not VaccinationExemption.objects.filter(pk=ended_exemption.pk).exists()
    event = AuditEvent.objects.get(action="health.records_purged")
    assert event.detail["lab_results"] == 1 and event.detail["days"] == 90


def test_doses_go_once_no_rule_set_counts_them(db, settings, monkeypatch):
    settings.JEJAK_HEALTH_RECORD_RETENTION_DAYS = 90
    monkeypatch.setattr(retention, "LOOKBACKS", [])
    today = timezone.localdate()
    old = record(
        VaccinationDose, dose_number=1, given_on=today - dt.timedelta(days=92), product="Sinovac"
    )
    recent = record(
        VaccinationDose, dose_number=2, given_on=today - dt.timedelta(days=89), product="Sinovac"
    )
    # Nothing reads exemptions either: an open-ended one is dated by its start.
    stale = record(VaccinationExemption, starts_on=today - dt.timedelta(days=92))

    assert purge("health-records") == {
        "doses": 1,
        "lab_results": 0,
        "quarantines": 0,
        "exemptions": 1,
    }
    assert list(VaccinationDose.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not VaccinationDose.objects.filter(pk=old.pk).exists()
    assert not VaccinationExemption.objects.filter(pk=stale.pk).exists()


def test_designations_go_after_their_period(db, settings):
    settings.JEJAK_DESIGNATION_RETENTION_DAYS = 90
    now = timezone.now()

    def designation(days: float, kind: str = "close_contact") -> Designation:
        return record(
            Designation, index=f"d{days}".ljust(64, "x"), kind=kind, starts_at=now - days * DAY
        )

    # The rules read designations back 90 days ("recovered"), plus a day: 91.
    old, recent = designation(93), designation(90.5)
    old_positive = designation(93, "positive_case")

    assert purge("designations") == {"designations": 2}

    assert list(Designation.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Designation.objects.filter(pk__in=[old.pk, old_positive.pk]).exists()


@pytest.mark.parametrize("kind", [retention.LAB_RESULTS, retention.DESIGNATIONS])
def test_a_keep_predicate_holds_records_back(db, settings, monkeypatch, kind):
    settings.JEJAK_HEALTH_RECORD_RETENTION_DAYS = 90
    settings.JEJAK_DESIGNATION_RETENTION_DAYS = 90
    now = timezone.now()
    model = LabResult if kind == retention.LAB_RESULTS else Designation
    fields = (
        {"method": "pcr", "result": "negative", "specimen_at": now - 200 * DAY}
        if model is LabResult
        else {"kind": "close_contact", "starts_at": now - 200 * DAY}
    )
    kept = record(model, index="k" * 64, **fields)
    gone = record(model, index="g" * 64, **fields)
    seen = []

    def open_case(cutoff):
        seen.append(cutoff)
        return model.objects.filter(pk=kept.pk).values("pk")

    monkeypatch.setitem(retention.KEEP_PREDICATES, kind, [open_case])
    purge("health-records" if model is LabResult else "designations")

    assert list(model.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not model.objects.filter(pk=gone.pk).exists()
    assert seen and all(cutoff < now - 90 * DAY for cutoff in seen)


def test_quarantines_are_dated_by_their_last_day_in_jakarta(db, settings):
    settings.JEJAK_HEALTH_RECORD_RETENTION_DAYS = 1
    # Read by the colour while today is within it, plus the offline day: 1 day after.
    now = timezone.now()
    ending_today = record(TravelQuarantine, starts_on=local(now) - 5 * DAY, ends_on=local(now))
    ended = record(
        TravelQuarantine,
        index="o" * 64,
        starts_on=local(now) - 9 * DAY,
        ends_on=local(now) - 3 * DAY,
    )
    assert purge("health-records", now=now)["quarantines"] == 1
    assert list(TravelQuarantine.objects.values_list("pk", flat=True)) == [ending_today.pk]
    assert not TravelQuarantine.objects.filter(pk=ended.pk).exists()
