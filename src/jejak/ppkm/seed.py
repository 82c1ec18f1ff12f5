"""The sector rules every deployment starts with: Level 2 from Inmendagri 53/2021, Level 1
from Kota Tangerang's move on 2 Nov 2021, Levels 3 and 4 conservative values to be
reviewed by the issuer. docs/ppkm.md explains each value and marks the assumptions.

Used by the data migration (with historical models) and by tests that flush the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

# Sub-categories for what the PPKM table names and the article's twelve sectors lack.
# (slug, name_id, name_en, parent slug); never top-level, so the rollout keeps twelve rows.
SUBSECTORS: list[tuple[str, str, str, str]] = [
    ("bioskop", "Bioskop", "Cinemas", "pusat-perbelanjaan"),
    ("supermarket", "Supermarket", "Supermarkets", "toko"),
    ("pusat-kebugaran", "Pusat Kebugaran", "Gyms", "sarana-olahraga"),
    ("taman", "Taman", "Parks", "tempat-wisata"),
    # Day and night dine-in have different hours under the same level, so restaurants that
    # open in the evening are a sub-category with their own (midnight-crossing) window.
    ("rumah-makan-malam", "Rumah Makan Malam", "Night restaurants", "rumah-makan"),
]

HK = ["hijau", "kuning"]
HKM = ["hijau", "kuning", "merah"]
H = ["hijau"]


class Rule(NamedTuple):
    capacity_percent: int
    closes_at: dt.time | None = None
    opens_at: dt.time | None = None
    max_stay_minutes: int | None = None
    children_rule: str = "allowed"
    guest_colours: list[str] = HK
    employee_colours: list[str] = HKM
    capacity_max_people: int | None = None

    def fields(self) -> dict[str, Any]:
        values = self._asdict()
        # Yellow guests always go through the extra staff check where they are admitted.
        values["staff_check_colours"] = [c for c in self.guest_colours if c in ("kuning", "merah")]
        return values


def _t(hour: int) -> dt.time:
    return dt.time(hour, 0)


# Sectors without a line in the PPKM table: open with screening, full capacity.
DEFAULT = Rule(100)
# Health facilities must not turn away the unvaccinated: red guests enter after a check
# (black is never admitted at the general entrance; see docs/ppkm.md).
HEALTH = Rule(100, guest_colours=HKM)

RULES: dict[str, dict[int, Rule]] = {
    "kantor-pemerintahan": {1: DEFAULT, 2: DEFAULT, 3: DEFAULT, 4: DEFAULT},
    "sekolah": {1: DEFAULT, 2: DEFAULT, 3: DEFAULT, 4: DEFAULT},
    "rumah-sakit": {1: HEALTH, 2: HEALTH, 3: HEALTH, 4: HEALTH},
    "puskesmas": {1: HEALTH, 2: HEALTH, 3: HEALTH, 4: HEALTH},
    "apartemen": {1: DEFAULT, 2: DEFAULT, 3: DEFAULT, 4: DEFAULT},
    "terminal": {1: DEFAULT, 2: DEFAULT, 3: DEFAULT, 4: DEFAULT},
    "pusat-perbelanjaan": {
        1: Rule(100, closes_at=_t(22), children_rule="with_parent"),
        2: Rule(50, closes_at=_t(21), children_rule="with_parent"),
        3: Rule(25, closes_at=_t(20), children_rule="denied"),
        4: Rule(0, closes_at=_t(17), children_rule="denied"),
    },
    "bioskop": {
        1: Rule(70, closes_at=_t(22), children_rule="with_parent", employee_colours=HK),
        2: Rule(70, closes_at=_t(21), children_rule="with_parent", employee_colours=HK),
        3: Rule(25, closes_at=_t(20), children_rule="denied", guest_colours=H, employee_colours=HK),
        4: Rule(0, closes_at=_t(17), children_rule="denied", guest_colours=H, employee_colours=HK),
    },
    "rumah-makan": {
        1: Rule(75, closes_at=_t(22), max_stay_minutes=60),
        2: Rule(50, closes_at=_t(21), max_stay_minutes=60),
        3: Rule(25, closes_at=_t(20), max_stay_minutes=30),
        4: Rule(0, closes_at=_t(20), max_stay_minutes=20),
    },
    "rumah-makan-malam": {
        1: Rule(75, opens_at=_t(18), closes_at=_t(0), max_stay_minutes=60),
        2: Rule(50, opens_at=_t(18), closes_at=_t(0), max_stay_minutes=60),
        3: Rule(25, opens_at=_t(18), closes_at=_t(21), max_stay_minutes=30),
        4: Rule(0, opens_at=_t(18), closes_at=_t(20), max_stay_minutes=20),
    },
    "tempat-wisata": {
        1: Rule(50, children_rule="with_parent"),
        2: Rule(25, children_rule="with_parent"),
        3: Rule(0, children_rule="denied"),
        4: Rule(0, children_rule="denied"),
    },
    "taman": {
        1: Rule(50, children_rule="with_parent"),
        2: Rule(25, children_rule="with_parent"),
        3: Rule(0, children_rule="denied"),
        4: Rule(0, children_rule="denied"),
    },
    "sarana-olahraga": {1: Rule(75), 2: Rule(50), 3: Rule(25), 4: Rule(0)},
    "pusat-kebugaran": {1: Rule(75), 2: Rule(50), 3: Rule(25, guest_colours=H), 4: Rule(0)},
    "hotel": {
        1: Rule(75, children_rule="with_parent"),
        2: Rule(50, children_rule="negative_test"),
        3: Rule(25, children_rule="negative_test"),
        4: Rule(25, children_rule="negative_test"),
    },
    "supermarket": {
        1: Rule(100, closes_at=_t(22)),
        2: Rule(75, closes_at=_t(21)),
        3: Rule(50, closes_at=_t(20)),
        4: Rule(50, closes_at=_t(20)),
    },
    "toko": {
        1: Rule(100, closes_at=_t(22)),
        2: Rule(75, closes_at=_t(21)),
        3: Rule(50, closes_at=_t(20)),
        4: Rule(50, closes_at=_t(20)),
    },
}


def ensure_subsectors(sector_model: Any) -> None:
    """Create the PPKM sub-categories under their parent sectors (idempotent)."""
    for position, (slug, name_id, name_en, parent_slug) in enumerate(SUBSECTORS, start=100):
        parent = sector_model.objects.get(slug=parent_slug)
        sector_model.objects.get_or_create(
            slug=slug,
            defaults={
                "name_id": name_id,
                "name_en": name_en,
                "parent": parent,
                "position": position,
            },
        )


def ensure_rules(sector_model: Any, rule_model: Any) -> None:
    """Create the sub-categories and any missing seeded rule; existing rules (perhaps
    edited by the issuer) are left alone."""
    ensure_subsectors(sector_model)
    sectors = {s.slug: s for s in sector_model.objects.all()}
    for slug, by_level in RULES.items():
        for level, rule in by_level.items():
            rule_model.objects.get_or_create(
                level=level, sector=sectors[slug], defaults=rule.fields()
            )
