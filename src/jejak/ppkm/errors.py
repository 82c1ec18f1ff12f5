"""Why a PPKM change is refused: stable codes shared by the services, the page and admin."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class PpkmErrorCode(TextChoices):
    FORBIDDEN = "forbidden", _("Anda tidak berwenang mengubah data PPKM ini.")
    OUTSIDE_JURISDICTION = "outside_jurisdiction", _("Wilayah ini di luar kewenangan Anda.")
    INVALID_LEVEL = "invalid_level", _("Level PPKM harus 1 sampai 4.")
    ALREADY_SCHEDULED = (
        "already_scheduled",
        _("Wilayah ini sudah memiliki level PPKM yang berlaku mulai tanggal tersebut."),
    )
    REASON_REQUIRED = "reason_required", _("Dasar atau alasan perubahan wajib diisi.")
    INVALID_RULE = "invalid_rule", _("Aturan sektor tidak valid.")


class PpkmError(ReasonedError):
    """A refused PPKM write, with a stable `code` and a sentence for the officer."""

    reasons = PpkmErrorCode

    code: PpkmErrorCode
