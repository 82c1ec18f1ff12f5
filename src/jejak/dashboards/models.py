"""Per-day rollups of the check-ins, so the usage dashboard reads a few aggregate rows
for each whole past day instead of scanning its check-ins (docs/dashboards.md,
"Rollups"). Counts only: no person, no time finer than the day's last refusal."""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class DailyVenueCount(models.Model):
    """Check-ins of one venue on one Asia/Jakarta day (of `scanned_at`) with one decision,
    colour and list of denial reasons: what every function of usage_counts.py groups by."""

    day = models.DateField()
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="+")
    # The venue's region code (kelurahan, kecamatan or city), following the venue when it
    # moves (rollups.py, `follow_move`): a city's or a kecamatan's dashboard reads its own
    # rows by one prefix range of the `area` index, not the province's whole days joined
    # with its venues (docs/performance.md, "bench-national").
    region_code = models.CharField(max_length=20, default="")
    decision = models.CharField(max_length=30)
    colour = models.CharField(max_length=10)
    # The check-ins' `reasons` list joined with commas, in its order ("" when admitted):
    # a refusal with two reasons is one row, counted under both by refusals_by_reason.
    reasons = models.CharField(max_length=200, blank=True)
    count = models.PositiveIntegerField()
    # The last scan of the group: capacity refusals show the latest per venue.
    last_at = models.DateTimeField()

    class Meta:
        verbose_name = pgettext_lazy("model name", "jumlah check-in harian per tempat")
        verbose_name_plural = pgettext_lazy(
            "model name plural", "jumlah check-in harian per tempat"
        )
        # A day is replaced whole in one transaction; the key also serves the reads,
        # which all filter on the day.
        constraints = [
            models.UniqueConstraint(
                fields=["day", "venue", "decision", "colour", "reasons"],
                name="dailyvenuecount_key",
            )
        ]
        indexes = [
            # `region_code LIKE '36.71.%'` on PostgreSQL, whatever the database's
            # collation (a plain btree serves prefixes only under the C collation).
            models.Index(
                fields=["region_code", "day"],
                opclasses=["varchar_pattern_ops", "date_ops"],
                name="dailyvenuecount_area",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} venue={self.venue_id} {self.decision}/{self.colour}: {self.count}"


class RolledDay(models.Model):
    """A day whose check-ins are rolled up in DailyVenueCount. `final` once no offline
    scan can still arrive for it (rollups.py, `settled_before`)."""

    day = models.DateField(unique=True)
    rolled_at = models.DateTimeField()
    final = models.BooleanField(default=False)
    checkins = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = pgettext_lazy("model name", "hari yang sudah direkap")
        verbose_name_plural = pgettext_lazy("model name plural", "hari yang sudah direkap")

    def __str__(self) -> str:
        return f"{self.day} ({'final' if self.final else 'provisional'})"
