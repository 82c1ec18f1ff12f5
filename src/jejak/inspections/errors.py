"""Why an inspection write is refused: stable codes shared by the pages and the API."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class InspectionErrorCode(TextChoices):
    INSPECTION_NOT_FOUND = "inspection_not_found", _("Pemeriksaan tidak ditemukan.")
    ALREADY_RECORDED = "already_recorded", _("Pemeriksaan ini sudah dicatat.")
    NOT_RECORDED = "not_recorded", _("Pemeriksaan ini belum dicatat.")
    DATE_IN_PAST = "date_in_past", _("Tanggal rencana tidak boleh sebelum hari ini.")
    INVALID_CHECKLIST = "invalid_checklist", _("Daftar periksa tidak lengkap atau tidak valid.")
    INVALID_SANCTION = "invalid_sanction", _("Sanksi tidak dikenal.")
    CLOSURE_PERIOD_REQUIRED = (
        "closure_period_required",
        _("Penutupan sementara memerlukan waktu mulai dan selesai."),
    )
    CLOSURE_PERIOD_INVALID = (
        "closure_period_invalid",
        _("Waktu selesai penutupan harus setelah waktu mulai."),
    )
    CLOSURE_TOO_LONG = "closure_too_long", _("Penutupan sementara paling lama 90 hari.")
    PHOTO_TOO_LARGE = "photo_too_large", _("Foto maksimal 8 MB.")
    PHOTO_INVALID = "photo_invalid", _("Berkas foto bukan gambar JPEG, PNG atau WebP yang valid.")
    TOO_MANY_PHOTOS = "too_many_photos", _("Paling banyak 10 foto per pemeriksaan.")
    CLOSURE_NOT_ACTIVE = "closure_not_active", _("Penutupan ini sudah berakhir atau dicabut.")


class InspectionError(ReasonedError):
    """A refused inspection write, with a stable `code` and a sentence for the officer."""

    reasons = InspectionErrorCode
    statuses = {
        InspectionErrorCode.INSPECTION_NOT_FOUND: 404,
        InspectionErrorCode.ALREADY_RECORDED: 409,
        InspectionErrorCode.NOT_RECORDED: 409,
        InspectionErrorCode.CLOSURE_NOT_ACTIVE: 409,
        InspectionErrorCode.PHOTO_TOO_LARGE: 413,
    }

    code: InspectionErrorCode
