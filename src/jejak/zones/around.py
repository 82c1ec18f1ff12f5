""" "Around you, before you enter": what a visitor at a venue's door may know without
anyone being identified. The crowd now (people inside against the PPKM capacity), whether
a confirmed case was there in the last 14 days (the published exposure sites: when, never
who), and the risk zone of the venue's kecamatan (its latest computed figure).

Read at every door (the poster's page, the result screen, partner apps through
`GET /api/v1/venues/{short_code}/around`), so it is cheap: the exposures and the zone,
which change at most hourly, come from the Django cache (CACHE_SECONDS per venue; a
Redis outage is a miss, settings.py); the crowd is read live, two indexed queries, the
same figure the check-in preview and the confirmation show, so the panel never
disagrees with the check-in answer beside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jejak.checkins import occupancy
from jejak.tracing.public import LISTED_FOR, windows_at_venue
from jejak.venues.models import Venue
from jejak.zones.service import ZoneFigure, zone_of_region

CACHE_SECONDS = 60
# Bumped when the cached value's shape changes, so a deploy never reads the old one.
CACHE_FORMAT = 1
EXPOSURE_DAYS = LISTED_FOR.days
MAX_WINDOWS = 10

# How full the venue is, against its capacity under the PPKM level in force.
CROWD_LEVELS: list[tuple[float, str]] = [(0.5, "sepi"), (0.8, "sedang"), (1.0, "ramai")]
FULL = "penuh"
CROWD_LABELS = {
    "sepi": _("Sepi"),
    "sedang": _("Sedang"),
    "ramai": _("Ramai"),
    FULL: _("Penuh"),
}


@dataclass(frozen=True)
class Crowd:
    inside: int
    capacity: int  # 0: the PPKM level in force admits no visitors here
    percent: int | None
    level: str  # sepi, sedang, ramai, penuh

    @property
    def label(self) -> str:
        return str(CROWD_LABELS[self.level])


@dataclass(frozen=True)
class ExposureWindow:
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Around:
    short_code: str
    name: str
    crowd: Crowd
    exposures: tuple[ExposureWindow, ...]  # latest first
    zone: ZoneFigure
    # When the cached part (exposures, zone) was read; the crowd is as of the request.
    checked_at: dt.datetime

    @property
    def recent_case(self) -> bool:
        return bool(self.exposures)


def crowd_of(inside: int, capacity: int) -> Crowd:
    if capacity <= 0:
        return Crowd(inside, max(0, capacity), None, FULL)
    ratio = inside / capacity
    level = next((name for bound, name in CROWD_LEVELS if ratio < bound), FULL)
    return Crowd(inside, capacity, min(100, round(100 * ratio)), level)


def _cache_key(venue: Venue) -> str:
    # The creation time as well as the id: a venue rebuilt under a reused id (a database
    # rebuilt, `jejak demo --reset`) never reads its predecessor's figures.
    created = int(venue.created_at.timestamp() * 1_000_000)
    return f"zones:around:{CACHE_FORMAT}:{venue.pk}:{created}"


def _slow_part(venue: Venue, now: dt.datetime) -> dict[str, Any]:
    windows = windows_at_venue(venue.pk, now=now, limit=MAX_WINDOWS)
    return {
        "exposures": [(start, end) for start, end in windows],
        "zone": zone_of_region(venue.region).as_data(),
        "checked_at": now,
    }


def around(venue: Venue, *, now: dt.datetime | None = None) -> Around:
    """What is around `venue` now. `venue.region` is read (select_related it)."""
    now = now or timezone.now()
    key = _cache_key(venue)
    slow = cache.get(key)
    if slow is None:
        slow = _slow_part(venue, now)
        cache.set(key, slow, CACHE_SECONDS)
    live = occupancy.crowd(venue=venue, now=now)
    return Around(
        short_code=venue.short_code,
        name=venue.name,
        crowd=crowd_of(live["inside"], live["capacity"]),
        exposures=tuple(ExposureWindow(start, end) for start, end in slow["exposures"]),
        zone=ZoneFigure(**slow["zone"]),
        checked_at=slow["checked_at"],
    )


def forget(venue: Venue) -> None:
    """Drop the venue's cached part (tests; an officer's correction that cannot wait)."""
    cache.delete(_cache_key(venue))


def around_by_code(short_code: str, *, now: dt.datetime | None = None) -> Around | None:
    """`around` for the venue with this short code (one query more); None if none has it."""
    venue = Venue.objects.filter(short_code=short_code).select_related("region__parent").first()
    return around(venue, now=now) if venue is not None else None
