from __future__ import annotations

from typing import ClassVar

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class Reason(TextChoices):
    NOT_FOUND = "export_not_found", _("Permintaan unduhan tidak ditemukan.")
    NOT_READY = "export_not_ready", _("Data Anda masih disiapkan; coba lagi sebentar lagi.")
    EXPIRED = "export_expired", _("Tautan unduhan sudah kedaluwarsa; minta salinan baru.")


class ExportError(ReasonedError):
    """A refused look at or download of an export."""

    reasons = Reason
    statuses: ClassVar[dict[str, int]] = {
        Reason.NOT_FOUND: 404,
        Reason.NOT_READY: 409,
        Reason.EXPIRED: 410,
    }
