"""Risk zones per kecamatan: the populations they are computed over (importable data,
official or estimated), the thresholds that classify them (versioned documents with
effective dates, like screening's rule sets), and one snapshot row per kecamatan per
computation. See docs/zones.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Zone(models.TextChoices):
    """A kecamatan's risk zone; the thresholds document maps each level to one of these."""

    RENDAH = "rendah", _("Risiko rendah")
    SEDANG = "sedang", _("Risiko sedang")
    TINGGI = "tinggi", _("Risiko tinggi")
    SANGAT_TINGGI = "sangat_tinggi", _("Risiko sangat tinggi")


# Not a zone a document can give: no population for the kecamatan, or no figure yet.
UNKNOWN = "unknown"
UNKNOWN_LABEL = _("Belum diketahui")

# The colour each zone is drawn in (the map, the citizen's pages, the API's `colour`).
ZONE_COLOURS = {
    Zone.RENDAH: "hijau",
    Zone.SEDANG: "kuning",
    Zone.TINGGI: "oranye",
    Zone.SANGAT_TINGGI: "merah",
    UNKNOWN: "abu",
}


def zone_label(code: str) -> str:
    return str(Zone(code).label) if code in Zone.values else str(UNKNOWN_LABEL)


def zone_colour(code: str) -> str:
    return ZONE_COLOURS.get(code, "abu")


class Population(models.Model):
    """A kecamatan's population in one year, from a named source: BPS's census (SP2020)
    or its yearly "Dalam Angka", or an estimate marked as one. `jejak import-populations`
    writes these; the computation uses the latest year of each kecamatan."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, related_name="populations"
    )
    year = models.PositiveSmallIntegerField()
    population = models.PositiveIntegerField()
    source = models.CharField(max_length=200)
    is_estimate = models.BooleanField(default=False)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "jumlah penduduk")
        verbose_name_plural = pgettext_lazy("model name plural", "jumlah penduduk")
        ordering = ["region__code", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="population_region_year")
        ]

    def __str__(self) -> str:
        kind = "estimate" if self.is_estimate else "official"
        return f"{self.region_id} {self.year}: {self.population} ({kind})"


class ThresholdSet(models.Model):
    """The weekly-incidence thresholds in force over a range of time (document format
    "jejak-zones/1", validated by zones/thresholds.py). A change is a new set with a new
    slug; every snapshot names the set that classified it."""

    slug = models.SlugField(max_length=50, unique=True)  # e.g. "who-2021-06-14"
    name = models.CharField(max_length=150)
    effective_from = models.DateTimeField()
    effective_until = models.DateTimeField(null=True, blank=True)
    document = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "ambang zona")
        verbose_name_plural = pgettext_lazy("model name plural", "ambang zona")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.slug} ({self.effective_from:%Y-%m-%d})"


class ZoneSnapshot(models.Model):
    """One kecamatan's figure of one computation: weekly new confirmed cases per 100,000
    residents over the week before `computed_at`, and the zone it falls in. No person
    is named: only counts."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField(db_index=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    cases = models.PositiveIntegerField()
    # Null when the kecamatan has no population: its zone is then unknown.
    population = models.PositiveIntegerField(null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(null=True, blank=True)
    population_is_estimate = models.BooleanField(default=False)
    weekly_rate = models.FloatField(null=True, blank=True)  # cases per 100,000 per week
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    zone = models.CharField(
        max_length=15, choices=[*Zone.choices, (UNKNOWN, UNKNOWN_LABEL)], default=UNKNOWN
    )
    thresholds = models.CharField(max_length=50, blank=True)  # the ThresholdSet's slug

    class Meta:
        verbose_name = pgettext_lazy("model name", "zona risiko")
        verbose_name_plural = pgettext_lazy("model name plural", "zona risiko")
        ordering = ["-computed_at", "region_id"]
        indexes = [models.Index(fields=["region", "-computed_at"], name="zone_latest")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.computed_at:%Y-%m-%d %H:%M} {self.zone}"
