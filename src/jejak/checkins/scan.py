"""The checks of a scan that need no lock: its time (offline scans within 24 hours,
phones' clocks within two minutes) and, when the phone sends it, its distance from the venue."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from jejak.checkins.errors import CheckInError, Refusal
from jejak.venues.models import Venue

MAX_SCAN_AGE = dt.timedelta(hours=24)
# Phones' clocks drift; a scan "from the future" within this is taken as now.
CLOCK_SKEW = dt.timedelta(minutes=2)


def _max_distance_m() -> float:
    return float(settings.JEJAK_CHECKIN_MAX_DISTANCE_M)


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float = 0.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; plenty for a 1 km radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, a)))


def check_location(venue: Venue, location: Location | None) -> None:
    # The location is compared here and dropped: it is never stored or logged.
    if location is None or venue.latitude is None or venue.longitude is None:
        return
    away = distance_m(location.lat, location.lon, float(venue.latitude), float(venue.longitude))
    if away - max(0.0, location.accuracy_m) > _max_distance_m():
        raise CheckInError(Refusal.TOO_FAR)


def check_scan_time(scanned_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    if timezone.is_naive(scanned_at):
        raise CheckInError(Refusal.SCAN_IN_FUTURE, "scanned_at needs a time zone.")
    if scanned_at > now + CLOCK_SKEW:
        raise CheckInError(Refusal.SCAN_IN_FUTURE)
    if scanned_at < now - MAX_SCAN_AGE:
        raise CheckInError(Refusal.SCAN_TOO_OLD)
    return min(scanned_at, now)
