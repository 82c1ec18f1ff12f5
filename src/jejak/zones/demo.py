"""The demo's zones (`jejak demo`): Kota Tangerang's 13 kecamatan populations, then a
first computation. Cipondoh and Benda are the SP2020 census figures (DOMAIN.md); the
other eleven are marked as estimates that, with those two, add up to the census total
of about 1.895 million."""

from __future__ import annotations

from pathlib import Path

from jejak.zones.compute import Computed, compute_zones
from jejak.zones.populations import import_populations

DEMO_POPULATIONS = Path(__file__).resolve().parent / "data" / "kota-tangerang-populations.csv"


def load_demo_zones() -> Computed:
    """Import the demo populations (after the demo's regions) and compute the zones."""
    report = import_populations(DEMO_POPULATIONS)
    if not report.ok:
        raise RuntimeError(f"demo populations refused: {report.errors[:5]}")
    return compute_zones()
