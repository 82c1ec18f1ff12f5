"""Why a PPKM change is refused: stable codes shared by the services, the page and admin."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


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


class PpkmError(Exception):
    """A refused PPKM write, with a stable `code` and a sentence for the officer."""

    def __init__(self, code: PpkmErrorCode | str, message: str | None = None) -> None:
        self.code = PpkmErrorCode(code)
        self.message = message if message is not None else str(self.code.label)
        super().__init__(self.message)
