"""Why a roster change is refused: stable codes for the console, the API and the CSV report."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class Reason(TextChoices):
    IDENTIFIER_MISSING = (
        "identifier_missing",
        _("Isi nomor HP atau NIK (salah satu saja)."),
    )
    PHONE_INVALID = "phone_invalid", _("Nomor HP bukan nomor seluler Indonesia yang sah.")
    NIK_INVALID = "nik_invalid", _("NIK tidak sah.")
    ROLE_INVALID = (
        "role_invalid",
        _("Isi jabatan: teks biasa, paling banyak 100 karakter."),
    )
    DATE_INVALID = "date_invalid", _("Tanggal tidak sah. Pakai format TTTT-BB-HH.")
    PERIOD_INVALID = (
        "period_invalid",
        _("Tanggal akhir tidak boleh sebelum tanggal mulai."),
    )
    ALREADY_ON_ROSTER = (
        "already_on_roster",
        _("Orang ini sudah ada di daftar karyawan untuk masa itu. Akhiri entri lama dulu."),
    )
    DUPLICATE_IN_FILE = (
        "duplicate_in_file",
        _("Orang yang sama muncul lebih dari sekali di berkas."),
    )
    ENTRY_NOT_FOUND = "entry_not_found", _("Entri daftar karyawan tidak ditemukan.")
    CSV_INVALID = (
        "csv_invalid",
        _(
            "Berkas bukan CSV UTF-8 dengan kolom phone atau nik, role, valid_from dan "
            "valid_until, atau terlalu besar."
        ),
    )


HTTP_STATUS: dict[str, int] = {
    Reason.ENTRY_NOT_FOUND: 404,
    Reason.ALREADY_ON_ROSTER: 409,
}


class RosterError(ReasonedError):
    """A refused roster change, with a stable `code` (a Reason value)."""

    reasons = Reason
    statuses = HTTP_STATUS

    code: Reason
