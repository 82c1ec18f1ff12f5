"""PPKM levels per region (history, effective dates) and the sector rules of each level.

Both are data the issuer and city admins change without a deploy; the check-in decision
reads them through `ppkm.service.policy_for`, which keeps them in process memory.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.IntegerChoices):
    LEVEL_1 = 1, _("Level 1")
    LEVEL_2 = 2, _("Level 2")
    LEVEL_3 = 3, _("Level 3")
    LEVEL_4 = 4, _("Level 4")


class ChildrenRule(models.TextChoices):
    ALLOWED = "allowed", _("Boleh masuk")
    WITH_PARENT = "with_parent", _("Harus didampingi orang tua")
    NEGATIVE_TEST = "negative_test", _("Harus menunjukkan hasil tes negatif")
    DENIED = "denied", _("Tidak boleh masuk")


class LevelAssignment(models.Model):
    """A region's PPKM level from a date on. Never edited: a change is a new row, so the
    history of levels stays readable and past decisions stay explainable."""

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="ppkm_levels"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    # A date, not a datetime: the level changes at local midnight (Asia/Jakarta) of it.
    effective_from = models.DateField(_("berlaku mulai"))
    reason = models.CharField(_("dasar/alasan"), max_length=300)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "penetapan level PPKM")
        verbose_name_plural = pgettext_lazy("model name plural", "penetapan level PPKM")
        ordering = ["region__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "effective_from"], name="ppkm_level_one_per_region_and_date"
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=4), name="ppkm_level_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region}: Level {self.level} from {self.effective_from:%Y-%m-%d}"


class SectorRule(models.Model):
    """What one PPKM level allows in one sector (or sub-category): capacity, hours,
    colours admitted, maximum stay, children. `version` grows on every change and is
    stored with each check-in decision."""

    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    sector = models.ForeignKey(
        "sectors.Sector", on_delete=models.PROTECT, related_name="ppkm_rules"
    )
    capacity_percent = models.PositiveSmallIntegerField(
        _("kapasitas (%)"), validators=[MaxValueValidator(100)]
    )
    # "75% or 75 people" (places of worship): the smaller of the two.
    capacity_max_people = models.PositiveIntegerField(
        _("kapasitas maksimal (orang)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    guest_colours = models.JSONField(_("warna pengunjung yang boleh masuk"), default=list)
    employee_colours = models.JSONField(_("warna karyawan yang boleh masuk"), default=list)
    # Guests of these colours enter only after an extra check by staff (kuning, where the
    # sector allows it); a subset of guest_colours.
    staff_check_colours = models.JSONField(_("warna dengan pemeriksaan petugas"), default=list)
    # None/None: open all day. Only closes_at: from 00:00. closes_at <= opens_at: the
    # window crosses midnight (night dine-in 18:00-00:00).
    opens_at = models.TimeField(_("buka"), null=True, blank=True)
    closes_at = models.TimeField(_("tutup"), null=True, blank=True)
    max_stay_minutes = models.PositiveIntegerField(
        _("lama kunjungan maksimal (menit)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
    )
    children_rule = models.CharField(
        _("anak-anak"), max_length=20, choices=ChildrenRule.choices, default=ChildrenRule.ALLOWED
    )
    children_age_below = models.PositiveSmallIntegerField(_("batas usia anak"), default=12)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "aturan sektor")
        verbose_name_plural = pgettext_lazy("model name plural", "aturan sektor")
        ordering = ["level", "sector__position", "sector__slug"]
        constraints = [
            models.UniqueConstraint(fields=["level", "sector"], name="ppkm_rule_one_per_level"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=4), name="ppkm_rule_level_1_to_4"
            ),
            models.CheckConstraint(
                condition=models.Q(capacity_percent__lte=100), name="ppkm_rule_percent_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.level} · {self.sector} (v{self.version})"
