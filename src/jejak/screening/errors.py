"""Why a status cannot be given or a status pass is refused: stable codes shared by the
API, the pages and the commands."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class ErrorCode(TextChoices):
    NO_RULE_SET = "no_rule_set", _("Tidak ada aturan skrining yang berlaku pada waktu itu.")
    NIK_INVALID = "nik_invalid", _("NIK tidak valid.")
    OUTSIDE_JURISDICTION = "outside_jurisdiction", _("NIK ini di luar wilayah kerja Anda.")


class ScreeningError(ReasonedError):
    """No status can be computed; `code` says why."""

    reasons = ErrorCode

    code: ErrorCode


class PassRefusal(TextChoices):
    # The label is the sentence a guard reads; the value never changes.
    MALFORMED = "pass_malformed", _("Ini bukan kode status Jejak.")
    UNKNOWN_KEY = (
        "pass_unknown_key",
        _("Kode status ini ditandatangani dengan kunci yang tidak dikenal."),
    )
    BAD_SIGNATURE = "pass_bad_signature", _("Tanda tangan kode status tidak sah; kode palsu.")
    EXPIRED = (
        "pass_expired",
        _("Kode status sudah kedaluwarsa. Minta pengunjung membuka ulang halaman statusnya."),
    )
    UNKNOWN = "pass_unknown", _("Kode status ini tidak terdaftar.")


# 400 not a status pass at all; 403 not genuine; 404 genuine format, no such pass;
# 410 genuine but no longer current (a screenshot).
PASS_HTTP_STATUS: dict[str, int] = {
    PassRefusal.MALFORMED: 400,
    PassRefusal.UNKNOWN_KEY: 403,
    PassRefusal.BAD_SIGNATURE: 403,
    PassRefusal.EXPIRED: 410,
    PassRefusal.UNKNOWN: 404,
}


class PassError(ReasonedError):
    """A refused status pass, with a stable `code` and a sentence for the guard."""

    reasons = PassRefusal
    statuses = PASS_HTTP_STATUS

    code: PassRefusal
