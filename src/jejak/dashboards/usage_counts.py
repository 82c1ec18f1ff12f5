"""Usage numbers of the dashboards and the weekly report: check-ins per day, decisions,
refusals by reason, black-status alerts, capacity refusals and the least compliant
venues, over a `scope` of venues and a period of Asia/Jakarta days (metrics.py explains
both). Pure read-only queries returning plain dataclasses.

Whole past days that are rolled up are read from the per-day rollups, the others (today,
days not rolled up yet) from the check-ins: rollups.py, `Parts`. Both give the same
numbers (tests/test_rollups.py)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from jejak.checkins.errors import DENIAL_REASON_NAMES, Decision, DenialReason
from jejak.checkins.models import ADMITTED, BlackStatusAlert
from jejak.dashboards.metrics import (
    IN_SERVICE,
    counts_per_day,
    day_bounds,
    sector_root,
)
from jejak.dashboards.rollups import Parts
from jejak.regions.models import Region
from jejak.screening.models import Colour
from jejak.sectors.models import Sector
from jejak.venues.models import Venue, VenueQuerySet, VenueStatus

# --- usage -------------------------------------------------------------------------------


@dataclass
class DailyCount:
    day: dt.date
    key: str  # sector slug or venue short code
    name: str
    total: int = 0
    admitted: int = 0
    denied: int = 0


def checkins_per_day(
    scope: VenueQuerySet,
    start: dt.date,
    end: dt.date,
    *,
    by: str = "sector",
    language: str = "id",
    area: Region | None = None,
) -> list[DailyCount]:
    """Check-in decisions per day and per top-level sector (`by="sector"`) or venue
    (`by="venue"`), refusals included; only days with at least one scan appear.
    `area`: a region holding every venue of `scope`, when known (rollups.py, `Parts`)."""
    if by not in ("sector", "venue"):
        raise ValueError(f"by must be 'sector' or 'venue', not {by!r}")
    group = sector_root("venue__") if by == "sector" else F("venue")
    parts = Parts.of(start, end, area=area)
    items: list[Mapping[str, Any]] = list(
        parts.counts(scope)
        .annotate(g=group)
        .values("day", "g", "decision")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for run in parts.live_runs():
        checkins = run.checkins(scope).annotate(g=group)
        (first, last), *_ = run.live
        if first == last:
            # One day (today, as a rule): every row is that day's, so the database
            # groups without the per-row hour text counts_per_day needs for several.
            items += [
                {"day": first, **item}
                for item in checkins.values("g", "decision").annotate(n=Count("id")).order_by()
            ]
        else:
            items += counts_per_day(checkins, ["g", "decision"], first, last)
    names: dict[int, tuple[str, str]]
    rows: dict[tuple[dt.date, int], DailyCount] = {}
    ids = {item["g"] for item in items}
    if by == "sector":
        names = {s.pk: (s.slug, s.name(language)) for s in Sector.objects.filter(pk__in=ids)}
    else:
        names = {
            pk: (code, name)
            for pk, code, name in Venue.objects.filter(pk__in=ids).values_list(
                "pk", "short_code", "name"
            )
        }
    for item in items:
        key, name = names[item["g"]]
        row = rows.setdefault((item["day"], item["g"]), DailyCount(item["day"], key, name))
        row.total += item["n"]
        if item["decision"] in ADMITTED:
            row.admitted += item["n"]
        else:
            row.denied += item["n"]
    return sorted(rows.values(), key=lambda r: (r.day, r.key))


@dataclass
class DecisionCount:
    decision: str
    colour: str
    count: int


def decisions(
    scope: VenueQuerySet, start: dt.date, end: dt.date, *, area: Region | None = None
) -> list[DecisionCount]:
    """Check-ins by outcome and colour, every combination listed (zeros included) in a
    fixed order: allowed, allowed after a staff check, denied; hijau..hitam."""
    parts = Parts.of(start, end, area=area)
    found: Counter[tuple[str, str]] = Counter()
    for item in (
        parts.checkins(scope).values("decision", "colour").annotate(n=Count("id")).order_by()
    ):
        found[(item["decision"], item["colour"])] += item["n"]
    for item in (
        parts.counts(scope).values("decision", "colour").annotate(n=Sum("count")).order_by()
    ):
        found[(item["decision"], item["colour"])] += item["n"]
    colours = [str(c) for c in Colour] + sorted({c for _, c in found} - set(Colour))
    return [DecisionCount(str(d), c, found[(str(d), c)]) for d in Decision for c in colours]


@dataclass
class ReasonCount:
    reason: str
    label: str
    count: int


def refusals_by_reason(
    scope: VenueQuerySet, start: dt.date, end: dt.date, *, area: Region | None = None
) -> list[ReasonCount]:
    """Refused check-ins per denial reason (a refusal with two reasons counts under both),
    every reason listed, most frequent first."""
    # Reasons are a JSON list; grouping by the whole list keeps this one query whatever
    # the database, and there are only a handful of distinct combinations.
    parts = Parts.of(start, end, area=area)
    combos = (
        parts.checkins(scope)
        .filter(decision=Decision.DENIED)
        .values("reasons")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: Counter[str] = Counter()
    for item in combos:
        for reason in item["reasons"] or []:
            counts[reason] += item["n"]
    # The rollups keep each list joined with commas.
    rolled = (
        parts.counts(scope)
        .filter(decision=Decision.DENIED)
        .values("reasons")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for item in rolled:
        for reason in filter(None, item["reasons"].split(",")):
            counts[reason] += item["n"]
    codes = [str(r) for r in DenialReason] + sorted(set(counts) - set(DenialReason))
    rows = [
        ReasonCount(code, str(DENIAL_REASON_NAMES.get(code, code)), counts[code]) for code in codes
    ]
    return sorted(rows, key=lambda r: -r.count)


@dataclass
class VenueCount:
    """A per-venue count (black-status alerts, capacity refusals)."""

    short_code: str
    name: str
    sector: str
    count: int
    days: int  # distinct days with at least one
    last_at: dt.datetime | None
    open: int = 0  # alerts not yet acknowledged (alerts only)


def _venue_labels(ids: Iterable[int], language: str) -> dict[int, tuple[str, str, str]]:
    venues = Venue.objects.filter(pk__in=set(ids)).select_related("sector__parent")
    return {v.pk: (v.short_code, v.name, v.sector.root.name(language)) for v in venues}


def black_alerts(
    scope: VenueQuerySet, start: dt.date, end: dt.date, *, language: str = "id"
) -> list[VenueCount]:
    """Black-status alerts per venue in the period, most first."""
    since, until = day_bounds(start, end)
    tz = timezone.get_default_timezone()
    grouped = (
        BlackStatusAlert.objects.filter(
            venue__in=scope.values("pk"), created_at__gte=since, created_at__lt=until
        )
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("venue", "day")
        .annotate(
            n=Count("id"),
            open=Count("id", filter=Q(acknowledged_at__isnull=True)),
            last=Max("created_at"),
        )
        .order_by()
    )
    return _per_venue(grouped, language)


def capacity_refusals(
    scope: VenueQuerySet,
    start: dt.date,
    end: dt.date,
    *,
    language: str = "id",
    area: Region | None = None,
) -> list[VenueCount]:
    """Check-ins refused because the venue was full, per venue, most first."""
    tz = timezone.get_default_timezone()
    parts = Parts.of(start, end, area=area)
    full = DenialReason.CAPACITY_FULL.value
    grouped = (
        parts.checkins(scope)
        .filter(decision=Decision.DENIED, reasons__icontains=full)
        .annotate(day=TruncDate("scanned_at", tzinfo=tz))
        .values("venue", "day")
        .annotate(n=Count("id"), last=Max("scanned_at"))
        .order_by()
    )
    rolled = (
        parts.counts(scope)
        .filter(decision=Decision.DENIED, reasons__icontains=full)
        .values("venue", "day")
        .annotate(n=Sum("count"), last=Max("last_at"))
        .order_by()
    )
    return _per_venue([*grouped, *rolled], language)


def _per_venue(grouped: Iterable[Any], language: str) -> list[VenueCount]:
    items = list(grouped)
    labels = _venue_labels((i["venue"] for i in items), language)
    rows: dict[int, VenueCount] = {}
    for item in items:
        code, name, sector = labels[item["venue"]]
        row = rows.setdefault(item["venue"], VenueCount(code, name, sector, 0, 0, None))
        row.count += item["n"]
        row.days += 1
        row.open += item.get("open", 0)
        if row.last_at is None or item["last"] > row.last_at:
            row.last_at = item["last"]
    return sorted(rows.values(), key=lambda r: (-r.count, r.short_code))


@dataclass
class VenueTotal:
    """One venue's check-ins over a period, refusals included."""

    venue: int  # primary key
    total: int = 0
    admitted: int = 0

    @property
    def denied(self) -> int:
        return self.total - self.admitted


def venue_totals(
    scope: VenueQuerySet, start: dt.date, end: dt.date, *, area: Region | None = None
) -> dict[int, VenueTotal]:
    """Check-ins per venue of `scope` over the period, by venue id; venues without any
    are left out. The database sums them: one grouped query on the rollups and one on
    the live days' check-ins, each at most one row per venue."""
    parts = Parts.of(start, end, area=area)
    admitted = Q(decision__in=ADMITTED)
    totals: dict[int, VenueTotal] = {}
    for venue, total, n_admitted in [
        *parts.counts(scope)
        .values("venue")
        .annotate(t=Sum("count"), a=Coalesce(Sum("count", filter=admitted), 0))
        .values_list("venue", "t", "a")
        .order_by(),
        *parts.checkins(scope)
        .values("venue")
        .annotate(t=Count("id"), a=Count("id", filter=admitted))
        .values_list("venue", "t", "a")
        .order_by(),
    ]:
        row = totals.setdefault(venue, VenueTotal(venue))
        row.total += total
        row.admitted += n_admitted
    return totals


@dataclass
class BusyVenue:
    short_code: str
    name: str
    total: int
    admitted: int
    denied: int


def busiest(totals: dict[int, VenueTotal], *, limit: int) -> list[BusyVenue]:
    """The `limit` venues of `totals` with the most check-ins (then by code): what the
    page shows of the venue table, whose export has every venue and day."""
    ranked = sorted(totals.values(), key=lambda t: -t.total)
    if len(ranked) > limit:
        # Ties at the cut are ordered by code: labels for them, not for every venue.
        cut = ranked[limit - 1].total
        ranked = [t for t in ranked if t.total >= cut]
    labels = {
        pk: (code, name)
        for pk, code, name in Venue.objects.filter(pk__in=[t.venue for t in ranked]).values_list(
            "pk", "short_code", "name"
        )
    }
    rows = [BusyVenue(*labels[t.venue], t.total, t.admitted, t.denied) for t in ranked]
    rows.sort(key=lambda r: (-r.total, r.short_code))
    return rows[:limit]


@dataclass
class Compliance:
    """A venue whose codes are out there, and how much they are used."""

    short_code: str
    name: str
    sector: str  # top-level sector slug
    sector_name: str
    status: str
    entrances: int
    issued_on: dt.date | None  # first day codes were issued
    days: int  # days of the period the codes were out (from issued_on)
    checkins: int  # decisions in the period, refusals included: the code was scanned
    per_day: float
    per_entrance_per_day: float


def least_compliant(
    scope: VenueQuerySet,
    start: dt.date,
    end: dt.date,
    *,
    limit: int | None = 20,
    language: str = "id",
    totals: dict[int, VenueTotal] | None = None,
    area: Region | None = None,
) -> list[Compliance]:
    """Venues with issued or installed codes, fewest scans per entrance per day first
    (then fewest scans, then code). Days count from the first issue of codes when that
    falls inside the period, so a venue issued yesterday is not ranked on a month.
    `totals`: venue_totals() of `scope` (or wider) when the caller has them already."""
    in_service = scope.filter(status__in=IN_SERVICE)
    # Plain values, not model instances: a city has thousands of venues in service and
    # the page shows twenty of them.
    venues = list(
        in_service.annotate(
            root=sector_root(),
            n_entrances=Count("entry_points", distinct=True),
            first_issued=Min(
                "transitions__at", filter=Q(transitions__to_status=VenueStatus.ISSUED)
            ),
        )
        .values_list("pk", "short_code", "name", "status", "root", "n_entrances", "first_issued")
        .order_by()
    )
    if totals is None:
        totals = venue_totals(in_service, start, end, area=area)
    tz = timezone.get_default_timezone()
    ranked = []
    for pk, code, name, status, root, entrances, first_issued in venues:
        issued_on = timezone.localtime(first_issued, tz).date() if first_issued else None
        first_day = max(start, issued_on) if issued_on else start
        days = max((end - first_day).days + 1, 0)
        if days == 0:
            continue  # codes out after the period: nothing to answer for yet
        n = totals[pk].total if pk in totals else 0
        per_day = n / days
        per_entrance = round(per_day / entrances, 2) if entrances else 0.0
        ranked.append(
            ((per_entrance, n, code), (code, name, root, status, entrances, issued_on, days))
        )
    ranked.sort(key=lambda r: r[0])
    shown = ranked[:limit] if limit is not None else ranked
    sectors = {
        s.pk: s.root
        for s in Sector.objects.filter(pk__in={r[1][2] for r in shown}).select_related("parent")
    }
    rows = []
    for (per_entrance, n, _code), (code, name, root, status, entrances, issued_on, days) in shown:
        rows.append(
            Compliance(
                short_code=code,
                name=name,
                sector=sectors[root].slug,
                sector_name=sectors[root].name(language),
                status=status,
                entrances=entrances,
                issued_on=issued_on,
                days=days,
                checkins=n,
                per_day=round(n / days, 2),
                per_entrance_per_day=per_entrance,
            )
        )
    return rows
