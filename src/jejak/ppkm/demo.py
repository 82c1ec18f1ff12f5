"""The demo's PPKM history: Kota Tangerang on Level 2 under Inmendagri 53/2021, then
Level 1 from 2 November 2021."""

from __future__ import annotations

import datetime as dt

from jejak.ppkm.models import LevelAssignment
from jejak.ppkm.service import assign_level
from jejak.regions.models import Region

CITY = "36.71"
LEVELS: list[tuple[dt.date, int, str]] = [
    (
        dt.date(2021, 10, 19),
        2,
        "Inmendagri 53/2021: PPKM Level 2 Jawa-Bali, 19 Oktober - 1 November 2021; "
        "Surat Edaran Wali Kota Tangerang.",
    ),
    (
        dt.date(2021, 11, 2),
        1,
        "Kota Tangerang turun ke PPKM Level 1 mulai 2 November 2021 "
        "(perpanjangan PPKM Jawa-Bali sesudah Inmendagri 53/2021).",
    ),
]


def seed_demo_levels() -> None:
    """Assign the demo city's levels through the service (as the system); idempotent."""
    city = Region.objects.get(code=CITY)
    for effective_from, level, reason in LEVELS:
        if not LevelAssignment.objects.filter(region=city, effective_from=effective_from).exists():
            assign_level(
                region=city, level=level, effective_from=effective_from, actor=None, reason=reason
            )


def reset_demo_levels() -> None:
    """Remove every level assignment (the demo reset); sector rules are reference data."""
    LevelAssignment.objects.all().delete()
