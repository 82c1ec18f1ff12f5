"""The public "around you" answer of a venue, for partner apps: GET
/api/v1/venues/{short_code}/around. Parse, call one service, respond."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from jejak.core.api_errors import ErrorOut
from jejak.venues.access import VenueNotFound
from jejak.venues.models import Venue, VenueStatus
from jejak.zones.around import CACHE_SECONDS, EXPOSURE_DAYS, Around, around

router = Router(tags=["zones"])

# Venues whose posters are up: the ones a visitor can stand in front of.
PUBLIC_STATUSES = (VenueStatus.ISSUED, VenueStatus.INSTALLED)


class AroundVenueOut(Schema):
    short_code: str
    name: str


class AroundCrowdOut(Schema):
    inside: int = Field(..., description="People checked in and not yet out, now.")
    capacity: int = Field(
        ..., description="The venue's capacity under the PPKM level in force (0: closed)."
    )
    percent: int | None = Field(..., description="inside / capacity, 0-100; null when 0.")
    level: str = Field(..., description="`sepi` (<50%), `sedang` (<80%), `ramai`, `penuh`.")
    label: str


class ExposureWindowOut(Schema):
    start: dt.datetime
    end: dt.datetime


class AroundExposureOut(Schema):
    recent_case: bool = Field(
        ...,
        description="A confirmed case was here within the last `days` days (a published "
        "exposure site).",
    )
    days: int
    windows: list[ExposureWindowOut] = Field(
        ..., description="When, latest first (at most 10); never who."
    )


class AroundZoneOut(Schema):
    district_code: str = Field(..., description="The venue's kecamatan (Kemendagri code).")
    district: str
    zone: str = Field(
        ..., description="`rendah`, `sedang`, `tinggi`, `sangat_tinggi`, or `unknown`."
    )
    level: int | None = Field(..., description="1-4 under the thresholds in force.")
    colour: str = Field(..., description="`hijau`, `kuning`, `oranye`, `merah`, `abu`.")
    label: str
    weekly_cases_per_100k: float | None = Field(
        ..., description="New confirmed cases per 100,000 residents in the week before."
    )
    population: int | None
    population_is_estimate: bool
    computed_at: dt.datetime | None
    thresholds: str = Field(..., description="The threshold set's slug, e.g. who-2021-06-14.")


class AroundOut(Schema):
    venue: AroundVenueOut
    crowd: AroundCrowdOut
    exposure: AroundExposureOut
    zone: AroundZoneOut
    checked_at: dt.datetime = Field(
        ..., description=f"When exposures and zone were read (cached up to {CACHE_SECONDS} s)."
    )


def around_out(found: Around) -> dict[str, Any]:
    zone = found.zone
    return {
        "venue": {"short_code": found.short_code, "name": found.name},
        "crowd": {
            "inside": found.crowd.inside,
            "capacity": found.crowd.capacity,
            "percent": found.crowd.percent,
            "level": found.crowd.level,
            "label": found.crowd.label,
        },
        "exposure": {
            "recent_case": found.recent_case,
            "days": EXPOSURE_DAYS,
            "windows": [{"start": w.start, "end": w.end} for w in found.exposures],
        },
        "zone": {
            "district_code": zone.district_code,
            "district": zone.district,
            "zone": zone.zone,
            "level": zone.level,
            "colour": zone.colour,
            "label": zone.label,
            "weekly_cases_per_100k": (
                round(zone.weekly_rate, 2) if zone.weekly_rate is not None else None
            ),
            "population": zone.population,
            "population_is_estimate": zone.population_is_estimate,
            "computed_at": zone.computed_at,
            "thresholds": zone.thresholds,
        },
        "checked_at": found.checked_at,
    }


@router.get(
    "/venues/{short_code}/around",
    auth=None,
    response={200: AroundOut, 404: ErrorOut},
    summary="Around a venue, before entering: crowd, recent confirmed case, risk zone "
    "(public; no personal data)",
)
def venue_around(request: HttpRequest, response: HttpResponse, short_code: str) -> dict[str, Any]:
    """What a visitor may know at the door of a venue whose codes are issued: the crowd
    now (people inside against the PPKM capacity), whether a confirmed case was there in
    the last 14 days (published exposure sites: date and time span only), and the risk
    zone of its kecamatan (weekly new confirmed cases per 100,000 residents, classified by
    the thresholds in force, with the time it was computed; docs/zones.md).

    Public, no personal data. Exposures and zone are cached for 60 s per venue; the crowd
    is live. Labels follow the request's language. A venue that does not exist or whose
    codes are not issued (or are suspended, revoked) answers 404 `venue_not_found`."""
    venue = (
        Venue.objects.filter(short_code=short_code[:32], status__in=PUBLIC_STATUSES)
        .select_related("region__parent")
        .first()
    )
    if venue is None:
        raise VenueNotFound()
    # The crowd moves: a phone may keep the answer half a minute, nothing shared longer.
    response["Cache-Control"] = "max-age=30"
    return around_out(around(venue))
