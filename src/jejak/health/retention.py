"""How long health records are kept (docs/retention.md); registered in apps.py, run by
`jejak run-periodic`.

Jejak holds copies of records made elsewhere (labs, vaccination sites, the health
office) to compute colours; it is not the medical record, which the facilities keep
under Permenkes 24/2022. So a record goes once it can no longer change what Jejak
computes and its period has passed, counted from the record's own date:

- doses from the day given, lab results from the specimen, travel quarantines and
  exemptions from their last day (an open-ended exemption is in force: it stays while
  a rule set reads exemptions): JEJAK_HEALTH_RECORD_RETENTION_DAYS;
- designations (positive case, close contact) from their start:
  JEJAK_DESIGNATION_RETENTION_DAYS.

The apps that read records say how far back they look, each from its AppConfig.ready,
by appending to `LOOKBACKS` a callable of `now` returning {kind: span}: the record can
change their result until `span` after its date; None means at any age (a dose counts
for ever while a rule set counts doses). Screening gives its rule sets' reach, zones
its weekly case count's. A record within any reach stays, whatever the setting.

Records a case still needs are kept by `KEEP_PREDICATES[kind]`, as for check-ins
(checkins/retention.py): callables of the cutoff returning a queryset of the ids to keep
(one column, no NULLs: it is used as `NOT IN`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from jejak.core import retention
from jejak.health.models import (
    Designation,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)

HEALTH_SETTING = "JEJAK_HEALTH_RECORD_RETENTION_DAYS"
DESIGNATION_SETTING = "JEJAK_DESIGNATION_RETENTION_DAYS"

DOSES, LAB_RESULTS, DESIGNATIONS, QUARANTINES, EXEMPTIONS = (
    "doses",
    "lab_results",
    "designations",
    "quarantines",
    "exemptions",
)

Lookback = Callable[[dt.datetime], Mapping[str, dt.timedelta | None]]
LOOKBACKS: list[Lookback] = []

KeepPredicate = Callable[[dt.datetime], QuerySet[Any]]
KEEP_PREDICATES: dict[str, list[KeepPredicate]] = {LAB_RESULTS: [], DESIGNATIONS: []}

FOREVER = None


def reach(kind: str, now: dt.datetime) -> tuple[bool, dt.timedelta | None]:
    """(whether any reader reads this kind, how long after its date a record may still
    change a result: None for at any age)."""
    read = False
    longest = dt.timedelta(0)
    for lookback in LOOKBACKS:
        spans = lookback(now)
        if kind not in spans:
            continue
        read = True
        span = spans[kind]
        if span is FOREVER:
            return True, FOREVER
        longest = max(longest, span)
    return read, longest


def period(kind: str, setting: str, now: dt.datetime) -> dt.timedelta | None:
    """How long after its date a record of `kind` is kept: its setting, or longer while
    a reader still looks back that far; None: kept at any age."""
    _read, span = reach(kind, now)
    if span is FOREVER:
        return None
    return max(dt.timedelta(days=retention.days(setting)), span)


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _held(rows: QuerySet[Any], kind: str, before: dt.datetime) -> QuerySet[Any]:
    for keep in KEEP_PREDICATES.get(kind, []):
        rows = rows.exclude(pk__in=keep(before))
    return rows


def expired_health_records(now: dt.datetime) -> dict[str, QuerySet[Any]]:
    """The doses, lab results, quarantines and exemptions past retention, by kind."""
    expired: dict[str, QuerySet[Any]] = {}
    keep = period(DOSES, HEALTH_SETTING, now)
    expired[DOSES] = (
        VaccinationDose.objects.none()
        if keep is None
        # A date: the whole day lies before the cutoff.
        else VaccinationDose.objects.filter(given_on__lt=_local_day(now - keep))
    )
    keep = period(LAB_RESULTS, HEALTH_SETTING, now)
    expired[LAB_RESULTS] = (
        LabResult.objects.none()
        if keep is None
        else _held(LabResult.objects.filter(specimen_at__lt=now - keep), LAB_RESULTS, now - keep)
    )
    keep = period(QUARANTINES, HEALTH_SETTING, now)
    expired[QUARANTINES] = (
        TravelQuarantine.objects.none()
        if keep is None
        else TravelQuarantine.objects.filter(ends_on__lt=_local_day(now - keep))
    )
    keep = period(EXEMPTIONS, HEALTH_SETTING, now)
    if keep is None:
        expired[EXEMPTIONS] = VaccinationExemption.objects.none()
    else:
        last_day = _local_day(now - keep)
        ended = Q(ends_on__lt=last_day)
        read, _span = reach(EXEMPTIONS, now)
        if not read:
            # Nothing reads exemptions: an open-ended one is dated by its start.
            ended |= Q(ends_on__isnull=True, starts_on__lt=last_day)
        expired[EXEMPTIONS] = VaccinationExemption.objects.filter(ended)
    return expired


def expired_designations(now: dt.datetime) -> QuerySet[Designation]:
    keep = period(DESIGNATIONS, DESIGNATION_SETTING, now)
    if keep is None:
        return Designation.objects.none()
    return _held(Designation.objects.filter(starts_at__lt=now - keep), DESIGNATIONS, now - keep)


def purge_health_records(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Doses, lab results, travel quarantines and exemptions past retention."""
    counts = {
        kind: retention.count_or_delete(rows, dry_run=dry_run, name=kind)
        for kind, rows in expired_health_records(now).items()
    }
    if not dry_run:
        days = retention.days(HEALTH_SETTING)
        retention.record_purge(
            "health.records_purged", before=now - dt.timedelta(days=days), days=days, counts=counts
        )
    return counts


def purge_designations(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Positive-case and close-contact designations past retention."""
    counts = {
        DESIGNATIONS: retention.count_or_delete(
            expired_designations(now), dry_run=dry_run, name=DESIGNATIONS
        )
    }
    if not dry_run:
        days = retention.days(DESIGNATION_SETTING)
        retention.record_purge(
            "health.designations_purged",
            before=now - dt.timedelta(days=days),
            days=days,
            counts=counts,
        )
    return counts
