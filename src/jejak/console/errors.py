"""Why the venue console refuses something: stable codes for pages, tests and the audit."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class Refusal(TextChoices):
    # One sentence for every identity mismatch (unknown NIK, other name, other birth
    # date): saying which field was wrong would let anyone test NIKs against names.
    IDENTITY_MISMATCH = (
        "identity_mismatch",
        _("Data tidak cocok dengan data terdaftar. Periksa KTP pengunjung dan coba lagi."),
    )
    TOO_MANY_MANUAL_CHECKINS = (
        "too_many_manual_checkins",
        _("Terlalu banyak check-in manual dalam satu menit. Tunggu sebentar lalu coba lagi."),
    )
    CHECKIN_REFUSED = "checkin_refused", _("Check-in tidak dapat dicatat.")
    IDENTITY_SERVICE_UNAVAILABLE = (
        "identity_service_unavailable",
        _("Layanan verifikasi data kependudukan sedang tidak dapat dihubungi. Coba lagi nanti."),
    )
    ENTRY_POINT_UNKNOWN = "entry_point_unknown", _("Pintu masuk tidak ditemukan.")
    STAFF_NOT_MANAGEABLE = (
        "staff_not_manageable",
        _("Akun ini bukan akun staf tempat Anda."),
    )


HTTP_STATUS: dict[str, int] = {
    Refusal.IDENTITY_MISMATCH: 400,
    Refusal.TOO_MANY_MANUAL_CHECKINS: 429,
    Refusal.CHECKIN_REFUSED: 409,
    Refusal.IDENTITY_SERVICE_UNAVAILABLE: 503,
    Refusal.ENTRY_POINT_UNKNOWN: 404,
    Refusal.STAFF_NOT_MANAGEABLE: 404,
}


class ConsoleError(ReasonedError):
    """A refused console action, with a stable `code` (a Refusal value)."""

    reasons = Refusal
    statuses = HTTP_STATUS

    code: Refusal
