"""The numbers behind the city's dashboards and weekly report: pure read-only queries.

Every function takes a `scope` (the venues the caller may see, already narrowed by the
dashboard's filters: `venues_visible_to(user)` then sector and kecamatan) and, for usage,
a period of Asia/Jakarta days `start`..`end` (both inclusive). They return plain
dataclasses, so the pages, the API, the exports and the PDF report all print the same
numbers. Nothing here checks permissions: the scope is the permission.

A check-in's day is the Asia/Jakarta day of its scan (`scanned_at`): every decision has
one, refusals included, and an offline scan belongs to the day it happened, not the day
it was uploaded.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Case, CharField, Count, F, QuerySet, When
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from jejak.checkins.models import CheckIn
from jejak.regions.models import Region, RegionLevel
from jejak.sectors.models import Sector
from jejak.venues.models import VenueQuerySet, VenueStatus, VenueTransition
from jejak.venues.rollout import Counts, Row

__all__ = [
    "Counts",
    "Row",
    "day_bounds",
    "days_between",
    "rollout_by_kecamatan",
    "rollout_by_sector",
    "rollout_total",
    "rollout_trend",
    "venue_points",
]

# A kecamatan's Kemendagri code is three parts, "36.71.01": eight characters.
KECAMATAN_CODE_LENGTH = 8
# Codes that are "out there" and should be scanned: issued and still valid.
IN_SERVICE = (VenueStatus.ISSUED, VenueStatus.INSTALLED)


# --- periods -----------------------------------------------------------------------------


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in Asia/Jakarta, as aware datetimes."""
    tz = timezone.get_default_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def checkins_between(scope: VenueQuerySet, start: dt.date, end: dt.date) -> QuerySet[CheckIn]:
    since, until = day_bounds(start, end)
    return CheckIn.objects.filter(
        venue__in=scope.values("pk"), scanned_at__gte=since, scanned_at__lt=until
    )


def counts_per_day(
    rows: QuerySet[Any], fields: list[str], start: dt.date, end: dt.date, at: str = "scanned_at"
) -> list[dict[str, Any]]:
    """`rows` grouped by `fields` and by Asia/Jakarta day: one dict per group and day with
    at least one row, with `day` and the count `n`.

    The database groups by the UTC hour, read as text ("2021-11-01 03"): both SQLite and
    PostgreSQL (whose sessions Django keeps in UTC) print timestamps that way natively,
    where truncating to a local date would run a function per row (on SQLite a Python
    one: seconds for a city's month of check-ins). Python then moves each hour to its
    local day, which is exact for any zone whose offset is whole hours, as Indonesia's are.
    """
    tz = timezone.get_default_timezone()
    hour = Substr(Cast(at, CharField()), 1, 13)
    local: dict[str, dt.date] = {}
    totals: Counter[tuple[Any, ...]] = Counter()
    for item in rows.annotate(hour=hour).values("hour", *fields).annotate(n=Count("id")).order_by():
        text = item["hour"]
        if text not in local:
            utc = dt.datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
            local[text] = utc.astimezone(tz).date()
        totals[(local[text], *(item[f] for f in fields))] += item["n"]
    return [
        {"day": key[0], **dict(zip(fields, key[1:], strict=True)), "n": n}
        for key, n in totals.items()
        if start <= key[0] <= end
    ]


def sector_root(prefix: str = "") -> Any:
    """The top-level sector id of a venue's sector (sub-categories roll up to their parent)."""
    return Case(
        When(**{f"{prefix}sector__parent__isnull": False}, then=F(f"{prefix}sector__parent")),
        default=F(f"{prefix}sector"),
    )


def _top_sectors(sectors: Iterable[Sector] | None) -> list[Sector]:
    if sectors is None:
        return list(Sector.objects.filter(parent__isnull=True))
    return [s for s in sectors if s.parent_id is None]


# --- rollout -----------------------------------------------------------------------------


def rollout_by_sector(
    scope: VenueQuerySet, *, sectors: Iterable[Sector] | None = None, language: str = "id"
) -> list[Row]:
    """Codes (one per entrance) per top-level sector at each workflow stage: the
    article's table. `sectors` lists the rows to show (default: all twelve, zeros kept
    so a sector with nothing stands out)."""
    rows = {s.pk: Row(s.slug, s.name(language)) for s in _top_sectors(sectors)}
    grouped = (
        scope.annotate(sector_root=sector_root())
        .values("sector_root", "status")
        .annotate(n=Count("entry_points"))
        .order_by()
    )
    for item in grouped:
        if (row := rows.get(item["sector_root"])) is not None:
            row.counts.add(item["status"], item["n"])
    return list(rows.values())


def rollout_by_kecamatan(scope: VenueQuerySet) -> list[Row]:
    """Codes per kecamatan at each stage. Venues registered at city level only (no
    kecamatan known) form a row keyed by the city's code."""
    grouped = (
        scope.annotate(area=Substr("region__code", 1, KECAMATAN_CODE_LENGTH))
        .values("area", "status")
        .annotate(n=Count("entry_points"))
        .order_by()
    )
    rows: dict[str, Row] = {}
    for item in grouped:
        rows.setdefault(item["area"], Row(item["area"], "")).counts.add(item["status"], item["n"])
    names = dict(Region.objects.filter(code__in=rows).values_list("code", "name"))
    for code, row in rows.items():
        row.name = names.get(code, "")
    return sorted(rows.values(), key=lambda r: r.key)


def rollout_total(rows: Iterable[Row]) -> Counts:
    total = Counts()
    for row in rows:
        for stage, n in asdict(row.counts).items():
            setattr(total, stage, getattr(total, stage) + n)
    return total


@dataclass
class TrendPoint:
    day: dt.date
    counts: Counts = field(default_factory=Counts)


def rollout_trend(scope: VenueQuerySet, start: dt.date, end: dt.date) -> list[TrendPoint]:
    """Codes at each stage at the end of every day of the period, replayed from the
    workflow history (`VenueTransition`). A venue counts its current entrances on every
    day (entrances added later are counted back in time: the history does not record
    them), and a venue whose status was never changed through the workflow stays
    "registered", which no stage counts."""
    entrances = dict(scope.annotate(n=Count("entry_points")).values_list("pk", "n").order_by())
    _, until = day_bounds(start, end)
    history = (
        VenueTransition.objects.filter(venue__in=scope.values("pk"), at__lt=until)
        .order_by("at", "id")
        .values_list("venue_id", "at", "to_status")
    )
    tz = timezone.get_default_timezone()
    status: dict[int, str] = {}
    counts = Counts()
    days = days_between(start, end)
    points: list[TrendPoint] = []
    for venue_id, at, to_status in history:
        # Every day that ended before this step keeps the counts as they were.
        moment = timezone.localtime(at, tz).date()
        while len(points) < len(days) and days[len(points)] < moment:
            points.append(TrendPoint(days[len(points)], Counts(**asdict(counts))))
        n = entrances.get(venue_id, 0)
        if venue_id in status:
            counts.add(status[venue_id], -n)
        status[venue_id] = to_status
        counts.add(to_status, n)
    while len(points) < len(days):
        points.append(TrendPoint(days[len(points)], Counts(**asdict(counts))))
    return points


# --- map ---------------------------------------------------------------------------------


@dataclass
class VenuePoint:
    short_code: str
    name: str
    sector: str
    sector_name: str
    status: str
    latitude: float | None
    longitude: float | None
    checkins: int  # decisions in the period
    # The kecamatan the venue lies in ("" for a venue registered at city level only): the
    # map labels each kecamatan where its venues are, a readable map without tiles.
    kecamatan: str = ""
    kecamatan_name: str = ""


def venue_points(
    scope: VenueQuerySet, start: dt.date, end: dt.date, *, language: str = "id"
) -> list[VenuePoint]:
    """Every venue in scope with its position (None when unknown), its kecamatan and its
    scans in the period: what the map colours by status or by usage."""
    used = dict(
        checkins_between(scope, start, end)
        .values("venue")
        .annotate(n=Count("id"))
        .values_list("venue", "n")
        .order_by()
    )
    venues = list(
        scope.select_related("sector__parent")
        .annotate(area=Substr("region__code", 1, KECAMATAN_CODE_LENGTH))
        .order_by("short_code")
    )
    areas = dict(
        Region.objects.filter(
            code__in={v.area for v in venues}, level=RegionLevel.DISTRICT
        ).values_list("code", "name")
    )
    points = []
    for v in venues:
        root = v.sector.root
        points.append(
            VenuePoint(
                short_code=v.short_code,
                name=v.name,
                sector=root.slug,
                sector_name=root.name(language),
                status=v.status,
                latitude=float(v.latitude) if v.latitude is not None else None,
                longitude=float(v.longitude) if v.longitude is not None else None,
                checkins=used.get(v.pk, 0),
                kecamatan=v.area if v.area in areas else "",
                kecamatan_name=areas.get(v.area, ""),
            )
        )
    return points


def as_dicts(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Dataclass rows as plain dicts (JSON, templates)."""
    out = []
    for row in rows:
        d = asdict(row)
        if isinstance(row, Row | TrendPoint):
            d.update(d.pop("counts"))
        out.append(d)
    return out
