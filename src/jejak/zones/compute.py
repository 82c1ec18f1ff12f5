"""Computing the zones: weekly new confirmed cases per 100,000 residents per kecamatan,
classified by the thresholds in force, stored as one `ZoneSnapshot` row per kecamatan.

- A new confirmed case is a person (a NIK's blind index) whose first positive lab result
  in the last 90 days has its specimen taken in the week before the computation: a second
  positive test of the same illness is not a second case, a positive result older than
  the week is not counted.
- The case is counted in the kecamatan where the person lives: the civil registry's
  region for the NIK when the registry extract holds it (`identity.Resident`), else the
  kecamatan the NIK was issued in (its first six digits, which the health import keeps
  as `LabResult.nik_district`). A case with neither is counted as unplaced.
- A kecamatan gets a row when it has a population or a case. Without a population its
  rate and zone are unknown; without thresholds in force, its zone is unknown.

Run by `jejak compute-zones` and by `jejak run-periodic` every hour (apps.py). Reads
only blind indexes and region codes, never a NIK; one audit row per computation says
what was counted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from jejak.audit import service as audit
from jejak.health.models import LabOutcome, LabResult
from jejak.health.retention import LAB_RESULTS
from jejak.identity.models import Resident
from jejak.regions.models import Region, RegionLevel
from jejak.zones import thresholds as zone_thresholds
from jejak.zones.models import UNKNOWN, Population, ZoneSnapshot

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser

WINDOW = dt.timedelta(days=7)
# Screening's "recovered" span: a positive result within it of an earlier one is the same
# illness, not a new case.
SAME_ILLNESS = dt.timedelta(days=90)
# Registry look-ups per query: under SQLite's 999 variables.
QUERY_CHUNK = 500
# How often `jejak run-periodic` recomputes.
EVERY_SECONDS = 3600.0


def lab_lookback(now: dt.datetime) -> dict[str, dt.timedelta | None]:
    """How far back the count reads lab results (health/retention.py keeps them)."""
    return {LAB_RESULTS: WINDOW + SAME_ILLNESS}


@dataclass(frozen=True)
class Computed:
    computed_at: dt.datetime
    districts: int  # snapshot rows written
    cases: int  # new cases counted in a kecamatan with a row
    unplaced: int  # new cases whose kecamatan is not known
    elsewhere: int  # new cases in a kecamatan missing from the region table
    thresholds: str  # the set's slug, "" when none is in force

    def counts(self) -> dict[str, int]:
        return {
            "districts": self.districts,
            "cases": self.cases,
            "unplaced": self.unplaced,
            "elsewhere": self.elsewhere,
        }


def district_code(region_code: str) -> str | None:
    """The kecamatan of a Kemendagri code ("36.71.01.1001" -> "36.71.01"); None above it."""
    parts = region_code.split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else None


def new_cases(*, now: dt.datetime) -> dict[str, str | None]:
    """The people (blind indexes) who became new confirmed cases in the week before `now`,
    each with the kecamatan where they live (None when unknown)."""
    start = now - WINDOW
    first: dict[str, dt.datetime] = {}
    issued_in: dict[str, str] = {}
    positives = LabResult.objects.filter(
        result=LabOutcome.POSITIVE, specimen_at__gt=start - SAME_ILLNESS, specimen_at__lte=now
    ).values_list("nik_index", "specimen_at", "nik_district")
    for index, specimen_at, district in positives:
        if index not in first or specimen_at < first[index]:
            first[index] = specimen_at
        if district:
            issued_in.setdefault(index, district)
    cases = sorted(index for index, at in first.items() if at > start)
    lives_in = dict(issued_in)
    for chunk in _chunks(cases):
        for index, region_code in Resident.objects.filter(nik_index__in=chunk).values_list(
            "nik_index", "region_code"
        ):
            if found := district_code(region_code):
                lives_in[index] = found
    return {index: lives_in.get(index) for index in cases}


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), QUERY_CHUNK):
        yield items[start : start + QUERY_CHUNK]


def populations(*, year: int) -> dict[int, Population]:
    """Each kecamatan's latest population up to `year`, by region id (one query)."""
    latest: dict[int, Population] = {}
    rows = Population.objects.filter(year__lte=year).select_related("region")
    for row in rows.order_by("region_id", "-year"):
        latest.setdefault(row.region_id, row)
    return latest


def compute_zones(*, now: dt.datetime | None = None, actor: RequestUser | None = None) -> Computed:
    """Compute and store every kecamatan's figure as of `now` (default: this moment)."""
    now = now or timezone.now()
    thresholds = zone_thresholds.in_force(now)
    slug = thresholds.slug if thresholds else ""
    cases_of = new_cases(now=now)
    per_district = Counter(code for code in cases_of.values() if code is not None)
    unplaced = sum(1 for code in cases_of.values() if code is None)
    people = populations(year=timezone.localtime(now).year)
    districts = {p.region.code: p.region for p in people.values()}
    districts.update(
        (region.code, region)
        for region in Region.objects.filter(level=RegionLevel.DISTRICT, code__in=per_district)
    )
    rows = []
    for code in sorted(districts):
        region = districts[code]
        cases = per_district.get(code, 0)
        row = ZoneSnapshot(
            region=region,
            computed_at=now,
            window_start=now - WINDOW,
            window_end=now,
            cases=cases,
            zone=UNKNOWN,
            thresholds=slug,
        )
        population = people.get(region.pk)
        if population is not None:
            row.population = population.population
            row.population_year = population.year
            row.population_is_estimate = population.is_estimate
            row.weekly_rate = cases * zone_thresholds.PER / population.population
            if thresholds is not None:
                found = zone_thresholds.classify(
                    thresholds.document, cases=cases, population=population.population
                )
                row.level, row.zone = found.level, found.zone
        rows.append(row)
    elsewhere = sum(count for code, count in per_district.items() if code not in districts)
    result = Computed(
        computed_at=now,
        districts=len(rows),
        cases=sum(per_district.values()) - elsewhere,
        unplaced=unplaced,
        elsewhere=elsewhere,
        thresholds=slug,
    )
    with transaction.atomic():
        ZoneSnapshot.objects.bulk_create(rows)
        audit.record(
            actor=actor,
            action="zones.compute",
            computed_at=now.isoformat(),
            thresholds=slug,
            districts=result.districts,
            cases=result.cases,
            unplaced=result.unplaced,
            elsewhere=result.elsewhere,
        )
    return result


def periodic_step() -> dict[str, int]:
    """`jejak run-periodic`'s step (apps.py): compute now, report the counts."""
    return compute_zones().counts()
