"""A visitor's request to close their account and erase their data (UU 27/2022 Art. 8
and 43), answered by the system within 3 x 24 hours (docs/erasure.md).

The request outlives the account (the account goes), so it names its people only by
their NIK blind indexes, and what a legal hold still keeps by class, reason and date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jejak.people.models import new_public_id

# The time within which the request is answered: 3 x 24 hours.
ANSWER_PERIOD = dt.timedelta(hours=72)


class ErasureStatus(models.TextChoices):
    RECEIVED = "received", _("Diterima")
    PARTLY_ERASED = "partly_erased", _("Sebagian dihapus (ada yang ditahan)")
    COMPLETED = "completed", _("Selesai")


class ErasureRequest(models.Model):
    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept when the account goes: the log and the replay name the account by its id.
    account_ref = models.BigIntegerField()
    # Blind indexes of the account's people (profile and dependants): never a NIK.
    nik_indexes = models.JSONField(default=list)
    requested_at = models.DateTimeField(default=timezone.now)
    # requested_at + 72 hours, set on the first save.
    deadline = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=ErasureStatus.choices, default=ErasureStatus.RECEIVED
    )
    # When the first erasure ran (the answer) and when nothing was left held.
    answered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # What a legal hold keeps: [{"class", "reason", "count", "until" (ISO date or null)}].
    holds = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "permintaan penghapusan")
        verbose_name_plural = pgettext_lazy("model name plural", "permintaan penghapusan")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "deadline"], name="erasure_pending")]

    def __str__(self) -> str:
        return f"erasure {self.public_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.deadline is None:
            self.deadline = self.requested_at + ANSWER_PERIOD
        super().save(*args, **kwargs)

    @property
    def pending(self) -> bool:
        return self.status != ErasureStatus.COMPLETED

    def overdue(self, now: dt.datetime | None = None) -> bool:
        """Not answered (nothing erased yet) and the 72 hours are over. A request partly
        erased has been answered: what stays is held by law, with its date."""
        return self.answered_at is None and (now or timezone.now()) > self.deadline
