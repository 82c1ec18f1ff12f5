"""A citizen's request for a copy of their data (UU 27/2022 Art. 7 and 13): built in the
background, downloaded from a link that expires (docs/rights.md)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PUBLIC_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def new_public_id() -> str:
    """16 random base32 characters: how an export is named in URLs and the API."""
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(16))


class ExportFormat(models.TextChoices):
    JSON = "json", "JSON"
    PDF = "pdf", "PDF"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Menunggu")
    RUNNING = "running", _("Sedang dibuat")
    READY = "ready", _("Siap diunduh")
    FAILED = "failed", _("Gagal")
    EXPIRED = "expired", _("Kedaluwarsa")


class ExportRequest(models.Model):
    """One export of one account's data. Written only by rights/service.py.

    The built document is kept encrypted in the row (core.crypto, bound to the row's
    public id) until `expires_at`; then the periodic purge drops the content and, later,
    the row."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    rows = models.PositiveIntegerField(default=0)  # the size estimate that queued it
    content = models.BinaryField(null=True, blank=True)
    size = models.PositiveIntegerField(default=0)  # bytes of the document in clear
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "permintaan salinan data")
        verbose_name_plural = pgettext_lazy("model name plural", "permintaan salinan data")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "created_at"], name="export_by_account")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.format} {self.status}"
