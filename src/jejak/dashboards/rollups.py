"""Per-day rollups of the check-ins (models.py) and where the usage numbers read them.

A closed Asia/Jakarta day is rolled up as soon as it ends: its check-ins grouped by
venue, decision, colour and denial reasons, one aggregate query on that day's rows (one
partition on PostgreSQL). An offline scan may still arrive for it later: the server
takes scans up to 24 hours old whose clock is at most two minutes ahead
(checkins/scan.py), so a day's check-ins can change until 24 h 2 min after its end.
Yesterday's rollup is therefore provisional and is computed again, once, when that time
(plus a margin for a request still in flight) has passed; the day is then final and never
recomputed by the periodic step. Between the two, the dashboards may miss yesterday's
offline scans uploaded after midnight (docs/dashboards.md, "Rollups").

`Parts` splits a period between the days rolled up (read from the rollups) and the
others, today always among them (read from the check-ins as before), so every function of
usage_counts.py gives the numbers a scan of the check-ins would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from jejak.checkins.models import CheckIn
from jejak.checkins.scan import CLOCK_SKEW, MAX_SCAN_AGE
from jejak.dashboards.metrics import day_bounds
from jejak.dashboards.models import DailyVenueCount, RolledDay
from jejak.regions.models import Region
from jejak.venues.models import Venue, VenueQuerySet

# How long after its end a day's check-ins may still change (late offline scans), with
# five minutes for a check-in request that started before that and commits after.
SETTLE = MAX_SCAN_AGE + CLOCK_SKEW + dt.timedelta(minutes=5)
# The periodic step looks for work every 10 minutes: a day is rolled up at most 10
# minutes after midnight, and its final recomputation 10 minutes after it settles.
EVERY_SECONDS = 600

Range = tuple[dt.date, dt.date]


def settled(day: dt.date, now: dt.datetime) -> bool:
    """No check-in can be added to `day` any more."""
    return day_bounds(day, day)[1] + SETTLE <= now


def roll_day(day: dt.date, *, now: dt.datetime | None = None) -> int:
    """(Re)compute `day`'s rollup from its check-ins; returns the check-ins counted."""
    now = now or timezone.now()
    since, until = day_bounds(day, day)
    groups = (
        CheckIn.objects.filter(scanned_at__gte=since, scanned_at__lt=until)
        .values("venue", "venue__region__code", "decision", "colour", "reasons")
        .annotate(n=Count("id"), last=Max("scanned_at"))
        .order_by()
    )
    rows: dict[tuple[int, str, str, str], DailyVenueCount] = {}
    for g in groups:
        reasons = ",".join(g["reasons"] or [])
        key = (g["venue"], g["decision"], g["colour"], reasons)
        if (row := rows.get(key)) is None:
            rows[key] = DailyVenueCount(
                day=day,
                venue_id=g["venue"],
                region_code=g["venue__region__code"],
                decision=g["decision"],
                colour=g["colour"],
                reasons=reasons,
                count=g["n"],
                last_at=g["last"],
            )
        else:  # two JSON spellings of the same list
            row.count += g["n"]
            row.last_at = max(row.last_at, g["last"])
    total = sum(r.count for r in rows.values())
    with transaction.atomic():
        DailyVenueCount.objects.filter(day=day).delete()
        DailyVenueCount.objects.bulk_create(rows.values(), batch_size=2000)
        RolledDay.objects.update_or_create(
            day=day,
            defaults={"rolled_at": now, "final": settled(day, now), "checkins": total},
        )
    return total


def follow_move(
    sender: type[Venue],
    instance: Venue,
    created: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    """`post_save` of a venue: its rollup rows take its region's code, so the area
    filter of `Parts.counts` keeps giving what the venues' own regions give. Venues
    move rarely; a save that cannot have moved it costs nothing."""
    if created or (update_fields is not None and "region" not in update_fields):
        return
    code = instance.region.code
    DailyVenueCount.objects.filter(venue=instance).exclude(region_code=code).update(
        region_code=code
    )


def pending(
    now: dt.datetime, *, start: dt.date | None = None, end: dt.date | None = None
) -> list[dt.date]:
    """Closed days (from `start`, by default the first check-in's day or the day after the
    last final one, to `end`, by default yesterday) not rolled up yet, or rolled up
    provisionally and settled since."""
    tz = timezone.get_default_timezone()
    yesterday = timezone.localdate(now, tz) - dt.timedelta(days=1)
    end = min(end, yesterday) if end else yesterday
    if start is None:
        last_final = RolledDay.objects.filter(final=True).aggregate(d=Max("day"))["d"]
        first = CheckIn.objects.aggregate(at=Min("scanned_at"))["at"]
        if first is None:
            return []
        start = timezone.localtime(first, tz).date()
        if last_final is not None:
            start = max(start, last_final + dt.timedelta(days=1))
    if start > end:
        return []
    state = dict(RolledDay.objects.filter(day__gte=start, day__lte=end).values_list("day", "final"))
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    return [d for d in days if d not in state or (not state[d] and settled(d, now))]


def roll_pending(now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic step: roll up what `pending` lists."""
    now = now or timezone.now()
    days = pending(now)
    checkins = sum(roll_day(day, now=now) for day in days)
    if len(days) > 1 and connection.vendor == "postgresql":
        # The first run after the migration fills an empty table with weeks of rows;
        # until autovacuum's next analyze the planner takes it for empty still and joins
        # each row to the venues one by one (a week's reads 5-7 times slower, measured).
        # ANALYZE samples the table: milliseconds.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DailyVenueCount._meta.db_table}")
    return {"days": len(days), "checkins": checkins}


def _runs(days: Iterable[dt.date]) -> list[Range]:
    """Sorted days as runs of consecutive days."""
    runs: list[Range] = []
    for day in sorted(days):
        if runs and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


@dataclass
class Parts:
    """A period split between days read from the rollups and days read from check-ins."""

    rolled: list[Range]
    live: list[Range]
    # A region holding every venue of the scopes read (the dashboard's city or
    # kecamatan), or None: it narrows the rollup rows by their own index first.
    area: Region | None = None

    @classmethod
    def of(cls, start: dt.date, end: dt.date, *, area: Region | None = None) -> Parts:
        today = timezone.localdate()
        rolled = set(
            RolledDay.objects.filter(day__gte=start, day__lt=min(end + dt.timedelta(days=1), today))
            .values_list("day", flat=True)
            .order_by()
        )
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        return cls(rolled=_runs(rolled), live=_runs(d for d in days if d not in rolled), area=area)

    def counts(self, scope: VenueQuerySet) -> QuerySet[DailyVenueCount]:
        """The rollup rows of the rolled days, for the venues of `scope`."""
        if not self.rolled:
            return DailyVenueCount.objects.none()
        q = Q()
        for s, e in self.rolled:
            q |= Q(day__gte=s, day__lte=e)
        rows = DailyVenueCount.objects.filter(q, venue__in=scope.values("pk"))
        if self.area is not None:
            rows = rows.filter(self.area.codes_q("region_code"))
        return rows

    def live_runs(self) -> list[Parts]:
        """Each run of consecutive live days as a part of its own (today's, as a rule)."""
        return [Parts(rolled=[], live=[run], area=self.area) for run in self.live]

    def checkins(self, scope: VenueQuerySet) -> QuerySet[CheckIn]:
        """The check-ins of the other days, for the venues of `scope`."""
        if not self.live:
            return CheckIn.objects.none()
        q = Q()
        for s, e in self.live:
            since, until = day_bounds(s, e)
            q |= Q(scanned_at__gte=since, scanned_at__lt=until)
        return CheckIn.objects.filter(q, venue__in=scope.values("pk"))
