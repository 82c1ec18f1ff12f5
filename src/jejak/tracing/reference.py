"""Starting weights for the twelve reference sectors (editable in admin afterwards).

Indoor rooms weigh 1.0; restaurants more, because people eat unmasked at one table for
long; large halls and terminals (high ceilings, moving crowds) less; tourist sites, mostly
open air, least. Cluster periods follow CLEA's idea of an exposure time per venue type,
in days: places people visit briefly and once (shops, restaurants, terminals) get a short
period, places the same people return to every day (offices, schools, apartments) a long
one, so that a cluster means the same room rather than the same city.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

# The tracing profiles Jejak ships (profiles.py reads them from here too).
SHIPPED_PROFILES = Path(__file__).parent / "pathogens"

# slug: (setting, weight, minimum contact minutes, cluster period in days)
WEIGHTS: dict[str, tuple[str, Decimal, int, int]] = {
    "kantor-pemerintahan": ("indoor", Decimal("1.0"), 15, 14),
    "sarana-olahraga": ("mixed", Decimal("0.8"), 15, 7),
    "sekolah": ("indoor", Decimal("1.0"), 15, 14),
    "tempat-wisata": ("outdoor", Decimal("0.3"), 15, 3),
    "rumah-sakit": ("indoor", Decimal("1.0"), 15, 14),
    "puskesmas": ("indoor", Decimal("1.0"), 15, 14),
    "pusat-perbelanjaan": ("indoor", Decimal("0.8"), 15, 3),
    "toko": ("indoor", Decimal("1.0"), 15, 3),
    "apartemen": ("indoor", Decimal("0.8"), 15, 14),
    "hotel": ("indoor", Decimal("1.0"), 15, 7),
    "rumah-makan": ("indoor", Decimal("1.2"), 15, 3),
    "terminal": ("mixed", Decimal("0.6"), 15, 3),
}


def ensure_weights(weight_model: type, sector_model: type) -> None:
    """Create the rows of the reference sectors that have none; existing rows, possibly
    edited by a health office, are left alone."""
    for slug, (setting, weight, minutes, days) in WEIGHTS.items():
        sector = sector_model.objects.filter(slug=slug).first()  # type: ignore[attr-defined]
        if sector is None:
            continue
        weight_model.objects.get_or_create(  # type: ignore[attr-defined]
            sector=sector,
            defaults={
                "setting": setting,
                "weight": weight,
                "min_contact_minutes": minutes,
                "cluster_period_days": days,
            },
        )


def legacy_profile(weights: list[tuple[str, Decimal, int]]) -> dict[str, Any]:
    """The rules of every search before tracing profiles, with a database's own sector
    weights and minimums ((slug, weight, minutes)), so its earlier searches stay
    explained by what made them."""
    return {
        "format": "jejak-tracing/1",
        "slug": "legacy",
        "version": 1,
        "name": "COVID-19 (sebelum profil)",
        "pathogen": "SARS-CoV-2",
        "disease": "COVID-19",
        "description": (
            "The rules of every search before tracing profiles: 15 minutes (each sector's "
            "minimum) summed over the whole window, a proportional tail of at most 30 "
            "minutes, every day equally infectious, every stay of the case counted; "
            "officers designated by hand."
        ),
        "case_window": {"days_before_onset": 2},
        "case_min_stay_minutes": 0,
        "tail": {"rule": "proportional", "minutes": 30},
        "threshold": {"rule": "minutes", "minutes": 15, "within_hours": None},
        "infectiousness": {"by_day": {}, "otherwise": "1.0"},
        "sectors": {
            slug: {"weight": str(weight), "min_contact_minutes": minutes}
            for slug, weight, minutes in sorted(weights)
        },
        "designation_days": None,
        "auto_open_days": 14,
        "automation": {"designate": "none", "min_score": "15.0"},
    }


def ensure_profiles(profile_model: type, weight_model: type) -> dict[str, Any]:
    """Store the legacy profile (from the sector table) and the shipped ones, each version
    that is missing; returns the rows by slug."""
    weights = list(
        weight_model.objects.values_list(  # type: ignore[attr-defined]
            "sector__slug", "weight", "min_contact_minutes"
        )
    )
    documents = [legacy_profile(weights)] + [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SHIPPED_PROFILES.glob("*.json"))
    ]
    rows = {}
    for doc in documents:
        rows[doc["slug"]], _created = profile_model.objects.get_or_create(  # type: ignore[attr-defined]
            slug=doc["slug"],
            version=doc["version"],
            defaults={"name": doc["name"], "pathogen": doc["pathogen"], "document": doc},
        )
    return rows
