"""Reading the zones: one kecamatan's latest figure (for a venue's "around you") and every
kecamatan's latest figures (for the map and the citizen's home). Counts only, no person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, OuterRef, Subquery

from jejak.regions.models import Region
from jejak.zones.compute import district_code
from jejak.zones.models import UNKNOWN, ZoneSnapshot, zone_colour, zone_label


@dataclass(frozen=True)
class ZoneFigure:
    """A kecamatan's latest zone, as a visitor or a partner app reads it. Only codes and
    numbers: labels come in the reader's language (`label`, `colour`)."""

    district_code: str
    district: str  # the kecamatan's name, "" when the venue's kecamatan is not known
    zone: str  # a Zone value, or "unknown"
    level: int | None
    weekly_rate: float | None  # new confirmed cases per 100,000 per week
    population: int | None
    population_is_estimate: bool
    computed_at: dt.datetime | None
    thresholds: str  # the threshold set's slug

    @property
    def known(self) -> bool:
        return self.zone != UNKNOWN

    @property
    def label(self) -> str:
        return zone_label(self.zone)

    @property
    def colour(self) -> str:
        return zone_colour(self.zone)

    def as_data(self) -> dict[str, Any]:
        """Plain values, for a cache that must not hold class instances across deploys."""
        return {
            "district_code": self.district_code,
            "district": self.district,
            "zone": self.zone,
            "level": self.level,
            "weekly_rate": self.weekly_rate,
            "population": self.population,
            "population_is_estimate": self.population_is_estimate,
            "computed_at": self.computed_at,
            "thresholds": self.thresholds,
        }


def unknown_zone(code: str = "", name: str = "") -> ZoneFigure:
    return ZoneFigure(code, name, UNKNOWN, None, None, None, False, None, "")


def _figure(row: ZoneSnapshot) -> ZoneFigure:
    return ZoneFigure(
        district_code=row.region.code,
        district=row.region.name,
        zone=row.zone,
        level=row.level,
        weekly_rate=row.weekly_rate,
        population=row.population,
        population_is_estimate=row.population_is_estimate,
        computed_at=row.computed_at,
        thresholds=row.thresholds,
    )


def zone_of_region(region: Region) -> ZoneFigure:
    """The latest figure of the kecamatan `region` lies in (a kelurahan's kecamatan, the
    kecamatan itself); unknown above a kecamatan or before any computation. One query."""
    code = district_code(region.code)
    if code is None:
        return unknown_zone()
    row = (
        ZoneSnapshot.objects.filter(region__code=code)
        .select_related("region")
        .order_by("-computed_at")
        .first()
    )
    if row is None:
        # A kelurahan's parent is its kecamatan (free when select_related).
        kecamatan = region if region.code == code else region.parent
        return unknown_zone(code, kecamatan.name if kecamatan is not None else "")
    return _figure(row)


def latest_zones(*, within: str | None = None) -> list[ZoneFigure]:
    """Every kecamatan's latest figure, in code order; `within` narrows to a region's
    subtree ("36.71": Kota Tangerang). For the map and the citizen's home. One query."""
    latest = (
        ZoneSnapshot.objects.filter(region_id=OuterRef("region_id"))
        .values("region_id")
        .annotate(at=Max("computed_at"))
        .values("at")
    )
    rows = ZoneSnapshot.objects.filter(computed_at=Subquery(latest)).select_related("region")
    if within:
        rows = rows.filter(Region(code=within).subtree_q("region"))
    figures: dict[int, ZoneFigure] = {}
    for row in rows.order_by("region__code", "-pk"):
        # Two computations at the same instant: the later row.
        figures.setdefault(row.region_id, _figure(row))
    return list(figures.values())
