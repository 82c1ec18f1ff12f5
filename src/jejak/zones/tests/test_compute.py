"""The computation: which positive results are a kecamatan's new cases this week, the
rate per 100,000 and the zone, stored per kecamatan; and how it is run."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.checkins import periodic
from jejak.health.models import LabOutcome, LabResult
from jejak.health.service import import_health_file
from jejak.health.tests.helpers import bundle, upload
from jejak.identity.models import Resident
from jejak.zones.compute import compute_zones, new_cases
from jejak.zones.models import UNKNOWN, ThresholdSet, ZoneSnapshot
from jejak.zones.service import latest_zones
from jejak.zones.tests.conftest import nik_in, positive, set_population

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2021, 7, 15, 12, 0, tzinfo=dt.UTC)


def snapshot(code: str) -> ZoneSnapshot:
    return ZoneSnapshot.objects.select_related("region").get(region__code=code)


@pytest.mark.parametrize(
    ("cases", "level", "zone"),
    [(19, 1, "rendah"), (20, 2, "sedang"), (49, 2, "sedang"), (50, 3, "tinggi"),
     (149, 3, "tinggi"), (150, 4, "sangat_tinggi")],
)  # fmt: skip
def test_the_bounds_20_50_150_per_100000(city, district, make_positives, cases, level, zone):
    set_population(district("36.71.05", "Cipondoh"), 100_000)
    make_positives("36.71.05", cases, now=NOW)
    result = compute_zones(now=NOW)
    row = snapshot("36.71.05")
    assert (row.cases, row.weekly_rate, row.level, row.zone) == (cases, float(cases), level, zone)
    assert row.thresholds == result.thresholds == "who-2021-06-14"
    assert (row.computed_at, row.window_start, row.window_end) == (
        NOW,
        NOW - dt.timedelta(days=7),
        NOW,
    )


def test_a_rate_is_per_100000_of_the_kecamatan_population(city, district, make_positives):
    set_population(district("36.71.04", "Benda"), 83_530)
    make_positives("36.71.04", 17, now=NOW)  # 20.35 per 100,000
    compute_zones(now=NOW)
    row = snapshot("36.71.04")
    assert round(row.weekly_rate, 2) == 20.35
    assert row.level == 2


def test_without_a_population_the_zone_is_unknown(city, district, make_positives):
    district("36.71.05", "Cipondoh")
    make_positives("36.71.05", 3, now=NOW)
    compute_zones(now=NOW)
    row = snapshot("36.71.05")
    assert row.cases == 3
    assert (row.population, row.weekly_rate, row.level, row.zone) == (None, None, None, UNKNOWN)


def test_a_kecamatan_without_cases_is_level_1(city):
    set_population(city.children.get(code="36.71.01"), 165_000, estimate=True)
    compute_zones(now=NOW)
    row = snapshot("36.71.01")
    assert (row.cases, row.weekly_rate, row.level, row.zone) == (0, 0.0, 1, "rendah")
    assert row.population_is_estimate and row.population_year == 2020
    # Karawaci has neither a population nor a case: no row.
    assert not ZoneSnapshot.objects.filter(region__code="36.71.02").exists()


def test_results_older_than_the_week_are_not_counted(city):
    set_population(city.children.get(code="36.71.01"), 100_000)
    positive(nik_in("36.71.01"), days_ago=6.9, now=NOW)
    positive(nik_in("36.71.01"), days_ago=7, now=NOW)  # the window's start is excluded
    positive(nik_in("36.71.01"), days_ago=8, now=NOW)
    positive(nik_in("36.71.01"), days_ago=30, now=NOW)
    positive(nik_in("36.71.01"), days_ago=-1, now=NOW)  # after `now`: a later week's
    positive(nik_in("36.71.01"), days_ago=1, now=NOW, result=LabOutcome.NEGATIVE)
    compute_zones(now=NOW)
    assert snapshot("36.71.01").cases == 1


def test_a_person_is_one_case_and_a_second_positive_of_the_same_illness_is_none(city):
    set_population(city.children.get(code="36.71.01"), 100_000)
    twice = nik_in("36.71.01")
    positive(twice, days_ago=1, now=NOW)
    LabResult.objects.create(
        nik_index=LabResult.objects.get().nik_index,
        source="csv",
        method="antigen",
        result="positive",
        specimen_at=NOW - dt.timedelta(days=2),
        nik_district="36.71.01",
    )
    still_ill = nik_in("36.71.01")
    positive(still_ill, days_ago=10, now=NOW)  # first positive last week
    positive(still_ill, days_ago=2, now=NOW)  # tested again this week
    assert len(new_cases(now=NOW)) == 1
    compute_zones(now=NOW)
    assert snapshot("36.71.01").cases == 1


def test_the_registry_region_comes_before_the_nik_district(city):
    tangerang, karawaci = city.children.order_by("code")
    set_population(tangerang, 100_000)
    set_population(karawaci, 100_000)
    moved = nik_in("36.71.01")  # issued in Tangerang, lives in Karawaci
    positive(moved, days_ago=1, now=NOW)
    Resident.objects.create(
        nik_index=LabResult.objects.get().nik_index,
        nik_encrypted=b"-",
        full_name="X",
        birth_date=dt.date(1990, 1, 1),
        sex="M",
        family_card_index="kk",
        region_code="36.71.02.1001",
    )
    positive(nik_in("36.71.01"), days_ago=1, now=NOW)
    compute_zones(now=NOW)
    assert snapshot("36.71.01").cases == 1
    assert snapshot("36.71.02").cases == 1


def test_cases_without_a_known_kecamatan_are_counted_apart(city, district):
    set_population(city.children.get(code="36.71.01"), 100_000)
    positive(nik_in("36.71.01"), days_ago=1, now=NOW, district="")  # stored before kept
    positive(nik_in("31.71.01"), days_ago=1, now=NOW)  # Jakarta: not in the region table
    result = compute_zones(now=NOW)
    assert (result.cases, result.unplaced, result.elsewhere) == (0, 1, 1)
    assert snapshot("36.71.01").cases == 0
    event = AuditEvent.objects.get(action="zones.compute")
    assert event.detail["unplaced"] == 1 and event.detail["elsewhere"] == 1
    assert "nik" not in str(event.detail).lower()


def test_without_thresholds_in_force_every_zone_is_unknown(city):
    ThresholdSet.objects.all().delete()
    set_population(city.children.get(code="36.71.01"), 100_000)
    result = compute_zones(now=NOW)
    row = snapshot("36.71.01")
    assert result.thresholds == row.thresholds == ""
    assert (row.weekly_rate, row.level, row.zone) == (0.0, None, UNKNOWN)


def test_the_latest_population_year_is_used(city):
    tangerang = city.children.get(code="36.71.01")
    set_population(tangerang, 100_000, year=2010)
    set_population(tangerang, 200_000, year=2020)
    positive(nik_in("36.71.01"), days_ago=1, now=NOW)
    compute_zones(now=NOW)
    assert snapshot("36.71.01").population == 200_000


def test_each_computation_adds_rows_and_the_latest_is_read(city):
    set_population(city.children.get(code="36.71.01"), 100_000)
    compute_zones(now=NOW - dt.timedelta(hours=1))
    for _ in range(25):
        positive(nik_in("36.71.01"), days_ago=1, now=NOW)
    compute_zones(now=NOW)
    assert ZoneSnapshot.objects.count() == 2
    [latest] = latest_zones(within="36.71")
    assert (latest.district_code, latest.district, latest.zone) == (
        "36.71.01",
        "Tangerang",
        "sedang",
    )
    assert latest.computed_at == NOW and latest.weekly_rate == 25.0
    assert latest_zones(within="36.74") == []


def test_the_health_import_keeps_the_nik_district_and_it_is_counted(city):
    set_population(city.children.get(code="36.71.02"), 100_000)
    when = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    nik = nik_in("36.71.02")
    sheet = (
        "nik,record_type,date,end_date,datetime,dose_number,product,product_code,method,result,lab,reason\n"
        f"{nik},lab_result,,,{when},,,,pcr,positive,Labkesda,\n"
    )
    report = import_health_file(io.BytesIO(sheet.encode()), actor=None)
    assert report.ok, report.problems
    assert LabResult.objects.get().nik_district == "36.71.02"
    compute_zones()
    assert snapshot("36.71.02").cases == 1


def test_the_fhir_import_keeps_the_nik_district():
    report = import_health_file(upload(bundle()), actor=None)
    assert report.ok, report.problems
    results = list(LabResult.objects.values_list("nik_district", flat=True))
    assert results and all(code.startswith("36.71.") and len(code) == 8 for code in results)


def test_the_command_computes_and_says_what_it_counted(city):
    set_population(city.children.get(code="36.71.01"), 100_000)
    out = io.StringIO()
    call_command("compute_zones", stdout=out)
    assert "1 kecamatan computed" in out.getvalue()
    assert "who-2021-06-14" in out.getvalue()
    assert ZoneSnapshot.objects.count() == 1


def test_run_periodic_computes_the_zones_hourly(city):
    set_population(city.children.get(code="36.71.01"), 100_000)
    plan = periodic.steps()
    [step] = [s for s in plan if s.name == "zones"]
    assert step.every == 3600
    results = periodic.run_round(plan)
    assert results["zones"] == {"districts": 1, "cases": 0, "unplaced": 0, "elsewhere": 0}
    assert "zones" not in periodic.run_round(plan)  # not again within the hour
    assert ZoneSnapshot.objects.count() == 1
