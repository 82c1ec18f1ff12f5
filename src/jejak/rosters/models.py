"""Venues' staff rosters: who may check in as an employee (`visitor_type: employee`) where.

An employee is held to looser rules than a guest (colours, opening hours, capacity), so
the claim is only believed for a person on the venue's roster at the scan time. A roster
entry names the person by the phone number of their visitor account or by their NIK
(counted only once the registry has verified that person's identity). Both are stored
as people's are: encrypted, found by a keyed hash, shown masked.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RosterEntry(models.Model):
    """One person on one venue's staff roster from `valid_from` until `valid_until`
    (local dates, both included), or until a manager ends the entry (`ended_at`).

    Written only through rosters/service.py. Ended entries are kept for
    JEJAK_ROSTER_RETENTION_DAYS (retention.py): a decision made before the end was
    right, and the roster's recent history is part of the audit trail."""

    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="+")
    # Exactly one of the two identifiers (rosters_one_identifier).
    phone_index = models.CharField(max_length=64, blank=True)
    phone_encrypted = models.BinaryField(null=True, blank=True)
    phone_masked = models.CharField(max_length=20, blank=True)
    nik_index = models.CharField(max_length=64, blank=True)
    nik_encrypted = models.BinaryField(null=True, blank=True)
    nik_masked = models.CharField(max_length=16, blank=True)
    role = models.CharField(_("jabatan"), max_length=100)
    valid_from = models.DateField(_("berlaku mulai"))
    valid_until = models.DateField(_("berlaku sampai"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "entri daftar karyawan")
        verbose_name_plural = pgettext_lazy("model name plural", "entri daftar karyawan")
        ordering = ["venue_id", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(phone_index="") & ~Q(nik_index=""))
                | (~Q(phone_index="") & Q(nik_index="")),
                name="rosters_one_identifier",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="rosters_period_ordered",
            ),
        ]
        # The check-in path finds entries from a person's NIK index or account's phone
        # index (a handful of rows each), then narrows to the venue.
        indexes = [
            models.Index(fields=["nik_index", "venue"], name="rosters_by_nik"),
            models.Index(fields=["phone_index", "venue"], name="rosters_by_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.masked} ({self.role})"

    @property
    def masked(self) -> str:
        return self.phone_masked or self.nik_masked

    @property
    def kind(self) -> str:
        return "phone" if self.phone_index else "nik"

    def valid_at(self, at: dt.datetime) -> bool:
        """Whether the entry covers the moment `at` (a scan's time)."""
        return covers(self.valid_from, self.valid_until, self.ended_at, at)


def covers(
    valid_from: dt.date, valid_until: dt.date | None, ended_at: dt.datetime | None, at: dt.datetime
) -> bool:
    """The roster's rule for a moment: within the local dates, and before any end."""
    day = timezone.localtime(at).date()
    if day < valid_from or (valid_until is not None and day > valid_until):
        return False
    return ended_at is None or at < ended_at
