"""`jejak compute-zones`: compute every kecamatan's risk zone now (docs/zones.md).
`jejak run-periodic` does the same every hour."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jejak.zones.compute import compute_zones


class Command(BaseCommand):
    help = (
        "Compute each kecamatan's weekly new confirmed cases per 100,000 residents and its "
        "risk zone under the thresholds in force, and store them as snapshots."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = compute_zones()
        if not result.thresholds:
            self.stderr.write("No thresholds in force: every zone is unknown.")
        self.stdout.write(
            f"{result.districts} kecamatan computed at {result.computed_at:%Y-%m-%d %H:%M} UTC "
            f"({result.thresholds or 'no thresholds'}): {result.cases} new cases placed, "
            f"{result.unplaced} without a known kecamatan, {result.elsewhere} in kecamatan "
            "not in the region table."
        )
