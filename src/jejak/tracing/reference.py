"""Starting weights for the twelve reference sectors (editable in admin afterwards).

Indoor rooms weigh 1.0; restaurants more, because people eat unmasked at one table for
long; large halls and terminals (high ceilings, moving crowds) less; tourist sites, mostly
open air, least. Cluster periods follow CLEA's idea of an exposure time per venue type,
in days: places people visit briefly and once (shops, restaurants, terminals) get a short
period, places the same people return to every day (offices, schools, apartments) a long
one, so that a cluster means the same room rather than the same city.
"""

from __future__ import annotations

from decimal import Decimal

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
