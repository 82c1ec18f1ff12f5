"""Where the demo's venues stand: a point inside each venue's kecamatan.

Kota Tangerang's 13 kecamatan with an approximate centre (a point well inside each, read
off public maps; not survey data) and a radius small enough that a point within it stays
inside the kecamatan: less than half the distance to the nearest other centre, so a
venue is always nearer its own kecamatan's centre than any other. A venue the catalogue
does not place gets a point in that disc, drawn from its short code: the same point on
every build.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from jejak.demo.catalogue import DemoVenue

KM_PER_DEGREE = 111.32
SEED = 2021


@dataclass(frozen=True)
class Kecamatan:
    code: str
    name: str
    latitude: float
    longitude: float
    radius_km: float


KECAMATAN: dict[str, Kecamatan] = {
    k.code: k
    for k in (
        Kecamatan("36.71.01", "Tangerang", -6.1800, 106.6300, 1.2),
        Kecamatan("36.71.02", "Jatiuwung", -6.1980, 106.5720, 1.3),
        Kecamatan("36.71.03", "Batuceper", -6.1550, 106.6600, 1.2),
        Kecamatan("36.71.04", "Benda", -6.1340, 106.7030, 0.8),
        Kecamatan("36.71.05", "Cipondoh", -6.1870, 106.6830, 1.4),
        Kecamatan("36.71.06", "Ciledug", -6.2290, 106.7120, 0.9),
        Kecamatan("36.71.07", "Karawaci", -6.1800, 106.6040, 1.2),
        Kecamatan("36.71.08", "Periuk", -6.1680, 106.5750, 1.1),
        Kecamatan("36.71.09", "Cibodas", -6.2070, 106.6000, 1.1),
        Kecamatan("36.71.10", "Neglasari", -6.1430, 106.6280, 1.3),
        Kecamatan("36.71.11", "Pinang", -6.2220, 106.6650, 1.5),
        Kecamatan("36.71.12", "Karangtengah", -6.2140, 106.7000, 0.9),
        Kecamatan("36.71.13", "Larangan", -6.2360, 106.7350, 1.0),
    )
}


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact enough within a city."""
    dy = (lat1 - lat2) * KM_PER_DEGREE
    dx = (lon1 - lon2) * KM_PER_DEGREE * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def point_in(kecamatan: str, key: str, *, seed: int = SEED) -> tuple[float, float]:
    """A point (latitude, longitude, 6 decimals as the model stores) in the kecamatan's
    disc, uniform over its area, the same for the same key and seed."""
    k = KECAMATAN[kecamatan]
    rng = random.Random(f"{seed}:{key}")  # noqa: S311 (demo positions, not security)
    # sqrt: uniform over the disc's area, not crowded at its centre.
    r = k.radius_km * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    dlat = r * math.sin(angle) / KM_PER_DEGREE
    dlon = r * math.cos(angle) / (KM_PER_DEGREE * math.cos(math.radians(k.latitude)))
    return round(k.latitude + dlat, 6), round(k.longitude + dlon, 6)


def placed(venues: Iterable[DemoVenue], *, seed: int = SEED) -> list[DemoVenue]:
    """The venues, each without coordinates given a point inside its kecamatan (copies:
    the catalogue's own rows are left alone). A venue registered at city level only is
    left without: nothing says where it is."""
    out = []
    for venue in venues:
        if venue.latitude is None and venue.region in KECAMATAN:
            latitude, longitude = point_in(venue.region, venue.short_code, seed=seed)
            venue = replace(venue, latitude=latitude, longitude=longitude)
        out.append(venue)
    return out
