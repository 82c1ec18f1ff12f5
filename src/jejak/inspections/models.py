"""Satpol PP inspections of venues: the plan, the checklist, findings, photos, the crowd
at the time of the visit, the sanction, and the temporary closures that block check-ins."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("Direncanakan")
    DONE = "done", _("Selesai")
    CANCELLED = "cancelled", _("Dibatalkan")


class Sanction(models.TextChoices):
    NONE = "none", _("Tidak ada")
    VERBAL_WARNING = "verbal_warning", _("Teguran lisan")
    WRITTEN_WARNING = "written_warning", _("Teguran tertulis")
    TEMPORARY_CLOSURE = "temporary_closure", _("Penutupan sementara")


class ChecklistItem(models.TextChoices):
    POSTER_EVERY_ENTRANCE = "poster_every_entrance", _("Poster QR di setiap pintu masuk")
    VISITORS_SCANNED = "visitors_scanned", _("Pengunjung memindai di pintu")
    STATUS_SCREENS_CHECKED = "status_screens_checked", _("Layar status diperiksa petugas")
    CAPACITY_AND_HOURS = "capacity_and_hours", _("Kapasitas dan jam buka dipatuhi")
    HEALTH_PROTOCOL = "health_protocol", _("Protokol kesehatan")


class ChecklistResult(models.TextChoices):
    PASS = "pass", _("Sesuai")
    FAIL = "fail", _("Tidak sesuai")
    NA = "na", _("Tidak berlaku")


class InspectionQuerySet(models.QuerySet["Inspection"]):
    def recorded(self) -> InspectionQuerySet:
        return self.filter(status=InspectionStatus.DONE)


class Inspection(models.Model):
    venue = models.ForeignKey(
        "venues.Venue",
        on_delete=models.CASCADE,
        related_name="inspections",
        verbose_name=_("tempat"),
    )
    status = models.CharField(
        max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.PLANNED
    )
    planned_for = models.DateField(_("tanggal rencana"))
    # The finding this visit checks again (a re-inspection), if any.
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reinspections",
        verbose_name=_("pemeriksaan sebelumnya"),
    )
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visited_at = models.DateTimeField(_("waktu kunjungan"), null=True, blank=True)
    findings = models.TextField(_("temuan"), blank=True)
    # The venue's live occupancy when the officer recorded the visit (crowd()).
    occupancy_inside = models.IntegerField(null=True, blank=True)
    occupancy_capacity = models.IntegerField(null=True, blank=True)
    sanction = models.CharField(
        _("sanksi"), max_length=20, choices=Sanction.choices, default=Sanction.NONE
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("model name", "pemeriksaan")
        verbose_name_plural = pgettext_lazy("model name plural", "pemeriksaan")
        ordering = ["-planned_for", "-pk"]
        indexes = [models.Index(fields=["status", "planned_for"], name="inspection_status_date")]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.planned_for} {self.status}"

    @property
    def failed_items(self) -> list[InspectionCheck]:
        return [c for c in self.checks.all() if c.result == ChecklistResult.FAIL]


class InspectionCheck(models.Model):
    """One checklist item of a recorded inspection."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="checks")
    item = models.CharField(max_length=30, choices=ChecklistItem.choices)
    result = models.CharField(max_length=4, choices=ChecklistResult.choices)
    note = models.CharField(_("catatan"), max_length=500, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "butir periksa")
        verbose_name_plural = pgettext_lazy("model name plural", "butir periksa")
        ordering = ["inspection_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspection_check_once")
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.item} {self.result}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    # Under MEDIA_ROOT, served only through a view that checks jurisdiction.
    image = models.ImageField(upload_to="inspections/%Y/%m/")
    caption = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "foto pemeriksaan")
        verbose_name_plural = pgettext_lazy("model name plural", "foto pemeriksaan")
        ordering = ["inspection_id", "pk"]

    def __str__(self) -> str:
        return f"{self.inspection_id} {self.image.name}"


class Closure(models.Model):
    """A temporary closure ordered by an inspection: no check-in at the venue from
    `starts_at` (included) to `ends_at` (excluded), unless lifted earlier."""

    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="closures")
    inspection = models.OneToOneField(
        Inspection, null=True, blank=True, on_delete=models.SET_NULL, related_name="closure"
    )
    starts_at = models.DateTimeField(_("mulai"))
    ends_at = models.DateTimeField(_("selesai"))
    reason = models.TextField(_("alasan"), blank=True)
    lifted_at = models.DateTimeField(_("dicabut pada"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "penutupan sementara")
        verbose_name_plural = pgettext_lazy("model name plural", "penutupan sementara")
        ordering = ["venue_id", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="closure_period")
        ]
        indexes = [models.Index(fields=["ends_at"], name="closure_ends")]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"

    @property
    def effective_end(self) -> dt.datetime:
        """When check-ins open again: the planned end, or the lifting if earlier."""
        if self.lifted_at is not None and self.lifted_at < self.ends_at:
            return max(self.lifted_at, self.starts_at)
        return self.ends_at

    def covers(self, at: dt.datetime) -> bool:
        return self.starts_at <= at < self.effective_end
