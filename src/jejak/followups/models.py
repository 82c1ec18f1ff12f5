"""What a sector agency (OPD) did to push a lagging venue: a call, a letter, a visit,
with a deadline the venue was given and the outcome."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FollowUpKind(models.TextChoices):
    CONTACTED = "contacted", _("Dihubungi")
    LETTER_SENT = "letter_sent", _("Surat dikirim")
    VISIT = "visit", _("Kunjungan")


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def overdue(self, *, today: dt.date | None = None) -> FollowUpQuerySet:
        """Not done and the deadline's day is over (a deadline of today is still open)."""
        today = today or timezone.localdate()
        return self.filter(done=False, deadline__lt=today)

    def open(self) -> FollowUpQuerySet:
        return self.filter(done=False)


class FollowUp(models.Model):
    venue = models.ForeignKey(
        "venues.Venue", on_delete=models.CASCADE, related_name="followups", verbose_name=_("tempat")
    )
    kind = models.CharField(_("jenis"), max_length=20, choices=FollowUpKind.choices)
    notes = models.TextField(_("catatan"), blank=True)
    # The day by which the venue promised (or was told) to act; local (Asia/Jakarta) date.
    deadline = models.DateField(_("tenggat"), null=True, blank=True)
    outcome = models.TextField(_("hasil"), blank=True)
    done = models.BooleanField(_("selesai"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("petugas"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("model name", "tindak lanjut")
        verbose_name_plural = pgettext_lazy("model name plural", "tindak lanjut")
        ordering = ["deadline", "-created_at"]
        indexes = [
            # Overdue lists scan only the open ones, by deadline.
            models.Index(fields=["deadline"], condition=Q(done=False), name="followup_open"),
        ]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.kind} {self.deadline or ''}"

    def is_overdue(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return not self.done and self.deadline is not None and self.deadline < today
