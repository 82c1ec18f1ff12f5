"""Every dashboard table as headers and rows: what the CSV/XLSX exports, the API and the
weekly report print. One name per table; the name is part of the export's URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from jejak.dashboards import metrics, usage_counts
from jejak.dashboards.filters import Filters, area_for, sectors_for
from jejak.venues.models import VenueQuerySet
from jejak.venues.rollout import COLUMNS

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser


@dataclass
class Table:
    name: str
    headers: list[str]
    rows: list[list[Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.name,
            "rows": [dict(zip(self.headers, r, strict=True)) for r in self.rows],
        }


Builder = Callable[[Any, VenueQuerySet, Filters, str], Table]


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _rollout_rows(rows: list[metrics.Row], key: str) -> tuple[list[str], list[list[Any]]]:
    total = metrics.rollout_total(rows)
    body = [[r.key, r.name, *asdict(r.counts).values()] for r in rows]
    body.append(["total", "", *asdict(total).values()])
    return [key, "name", *COLUMNS], body


def rollout_sector(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
    sectors = [f.sector] if f.sector else sectors_for(user)
    rows = metrics.rollout_by_sector(scope, sectors=sectors, language=lang)
    return Table("rollout-sector", *_rollout_rows(rows, "sector"))


def rollout_kecamatan(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
    return Table(
        "rollout-kecamatan", *_rollout_rows(metrics.rollout_by_kecamatan(scope), "kecamatan")
    )


def rollout_trend(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
    points = metrics.rollout_trend(scope, f.start, f.end)
    return Table(
        "rollout-trend",
        ["day", *COLUMNS],
        [[p.day.isoformat(), *asdict(p.counts).values()] for p in points],
    )


def _checkins(by: str) -> Builder:
    def build(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
        rows = usage_counts.checkins_per_day(
            scope, f.start, f.end, by=by, language=lang, area=area_for(user, f)
        )
        return Table(
            f"checkins-{by}",
            ["day", by, "name", "total", "admitted", "denied"],
            [[r.day.isoformat(), r.key, r.name, r.total, r.admitted, r.denied] for r in rows],
        )

    return build


def decisions(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
    rows = usage_counts.decisions(scope, f.start, f.end, area=area_for(user, f))
    return Table(
        "decisions",
        ["decision", "colour", "count"],
        [[r.decision, r.colour, r.count] for r in rows],
    )


def refusals(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
    rows = usage_counts.refusals_by_reason(scope, f.start, f.end, area=area_for(user, f))
    return Table("refusals", ["reason", "count"], [[r.reason, r.count] for r in rows])


def black_alerts(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
    rows = usage_counts.black_alerts(scope, f.start, f.end, language=lang)
    return Table(
        "black-alerts",
        ["venue", "name", "sector", "alerts", "days", "unacknowledged", "last"],
        [
            [r.short_code, r.name, r.sector, r.count, r.days, r.open, _local(r.last_at)]
            for r in rows
        ],
    )


def capacity_refusals(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
    rows = usage_counts.capacity_refusals(
        scope, f.start, f.end, language=lang, area=area_for(user, f)
    )
    return Table(
        "capacity-refusals",
        ["venue", "name", "sector", "refusals", "days", "last"],
        [[r.short_code, r.name, r.sector, r.count, r.days, _local(r.last_at)] for r in rows],
    )


def least_compliant(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
    rows = usage_counts.least_compliant(
        scope, f.start, f.end, limit=None, language=lang, area=area_for(user, f)
    )
    return Table(
        "least-compliant",
        [
            "rank",
            "venue",
            "name",
            "sector",
            "status",
            "entrances",
            "issued_on",
            "days",
            "checkins",
            "per_day",
            "per_entrance_per_day",
        ],
        [
            [
                n,
                r.short_code,
                r.name,
                r.sector_name,
                r.status,
                r.entrances,
                r.issued_on.isoformat() if r.issued_on else "",
                r.days,
                r.checkins,
                r.per_day,
                r.per_entrance_per_day,
            ]
            for n, r in enumerate(rows, start=1)
        ],
    )


def venues(user: RequestUser, scope: VenueQuerySet, f: Filters, lang: str) -> Table:
    rows = metrics.venue_points(scope, f.start, f.end, language=lang)
    return Table(
        "venues",
        ["venue", "name", "sector", "status", "latitude", "longitude", "checkins"],
        [
            [r.short_code, r.name, r.sector_name, r.status, r.latitude, r.longitude, r.checkins]
            for r in rows
        ],
    )


TABLES: dict[str, Builder] = {
    "rollout-sector": rollout_sector,
    "rollout-kecamatan": rollout_kecamatan,
    "rollout-trend": rollout_trend,
    "checkins-sector": _checkins("sector"),
    "checkins-venue": _checkins("venue"),
    "decisions": decisions,
    "refusals": refusals,
    "black-alerts": black_alerts,
    "capacity-refusals": capacity_refusals,
    "least-compliant": least_compliant,
    "venues": venues,
}


def build(
    name: str, *, user: RequestUser, scope: VenueQuerySet, filters: Filters, language: str
) -> Table:
    return TABLES[name](user, scope, filters, language)
