"""Why a scanned code is refused: stable reason codes shared by the API, the pages and reports."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class Reason(TextChoices):
    # The label is the sentence shown to people; the value never changes.
    MALFORMED = "qr_malformed", _("Ini bukan kode QR Jejak yang valid.")
    UNKNOWN_KEY = "qr_unknown_key", _("Kode QR ini ditandatangani dengan kunci yang tidak dikenal.")
    BAD_SIGNATURE = "qr_bad_signature", _("Tanda tangan kode QR ini tidak sah; kode mungkin palsu.")
    EXPIRED = "qr_expired", _("Kode QR ini sudah kedaluwarsa. Pindai kode terbaru di layar.")
    UNKNOWN_CODE = "qr_unknown_code", _("Kode QR ini tidak terdaftar.")
    REPLACED = (
        "qr_replaced",
        _("Kode QR ini sudah diganti dengan kode baru. Pindai poster terbaru."),
    )
    REVOKED = "qr_revoked", _("Kode QR ini sudah dicabut.")
    SUSPENDED = "qr_suspended", _("Kode QR tempat ini sedang ditangguhkan.")
    NOT_ACTIVE = "qr_not_active", _("Kode QR tempat ini belum atau tidak lagi aktif.")


# Partner apps should switch on the reason code; the status only groups them:
# 400 not a Jejak code at all, 403 not genuine or not usable now, 404 genuine format but
# no such code, 410 the code existed and is gone for good (or, dynamic, timed out).
HTTP_STATUS: dict[str, int] = {
    Reason.MALFORMED: 400,
    Reason.UNKNOWN_KEY: 403,
    Reason.BAD_SIGNATURE: 403,
    Reason.EXPIRED: 410,
    Reason.UNKNOWN_CODE: 404,
    Reason.REPLACED: 410,
    Reason.REVOKED: 410,
    Reason.SUSPENDED: 403,
    Reason.NOT_ACTIVE: 403,
}


class QrError(ReasonedError):
    """A refused code, with a stable `code` (a Reason value) and a sentence for people."""

    reasons = Reason
    statuses = HTTP_STATUS

    code: Reason
