"""Why a profile or dependant write is refused: stable reason codes for the API and pages."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class Reason(TextChoices):
    # The label is the sentence shown to people; the value never changes.
    NIK_FORMAT = "nik_format", _("NIK harus terdiri dari 16 digit angka.")
    NIK_REGION_UNKNOWN = (
        "nik_region_unknown",
        _("Kode provinsi atau kabupaten/kota pada NIK (4 digit pertama) tidak dikenal."),
    )
    NIK_BIRTH_DATE_INVALID = (
        "nik_birth_date_invalid",
        _("Digit ke-7 sampai ke-12 NIK bukan tanggal lahir yang mungkin."),
    )
    NIK_BIRTH_DATE_MISMATCH = (
        "nik_birth_date_mismatch",
        _("Tanggal lahir tidak sesuai dengan tanggal lahir yang tercatat pada NIK."),
    )
    NIK_SEX_MISMATCH = (
        "nik_sex_mismatch",
        _("Jenis kelamin tidak sesuai dengan NIK (pada NIK perempuan, tanggal lahir ditambah 40)."),
    )
    NIK_SERIAL_INVALID = (
        "nik_serial_invalid",
        _("Nomor urut pada NIK (4 digit terakhir) tidak boleh 0000."),
    )
    NAME_INVALID = "name_invalid", _("Nama lengkap wajib diisi, paling banyak 150 karakter.")
    SEX_INVALID = "sex_invalid", _("Pilih jenis kelamin: laki-laki atau perempuan.")
    RELATION_INVALID = (
        "relation_invalid",
        _("Pilih hubungan keluarga: anak, orang tua, pasangan, atau lainnya."),
    )
    NIK_CLAIMED = (
        "nik_claimed",
        _(
            "NIK ini sudah didaftarkan oleh akun lain. Percobaan ini dicatat dan dapat dilihat "
            "pemilik NIK. Jika ini NIK Anda, hubungi layanan bantuan."
        ),
    )
    NIK_ALREADY_ADDED = "nik_already_added", _("NIK ini sudah ada di akun Anda.")
    TOO_MANY_DEPENDANTS = (
        "too_many_dependants",
        _("Jumlah anggota keluarga di akun ini sudah mencapai batas."),
    )
    TOO_MANY_CLAIM_ATTEMPTS = (
        "too_many_claim_attempts",
        _("Terlalu banyak percobaan menambahkan NIK milik akun lain. Coba lagi besok."),
    )
    PROFILE_MISSING = "profile_missing", _("Anda belum mengisi profil.")
    DEPENDANT_NOT_FOUND = "dependant_not_found", _("Anggota keluarga tidak ditemukan.")
    VISITOR_ONLY = "visitor_only", _("Halaman ini hanya untuk akun pengunjung.")


HTTP_STATUS: dict[str, int] = {
    Reason.NIK_FORMAT: 400,
    Reason.NIK_REGION_UNKNOWN: 400,
    Reason.NIK_BIRTH_DATE_INVALID: 400,
    Reason.NIK_BIRTH_DATE_MISMATCH: 400,
    Reason.NIK_SEX_MISMATCH: 400,
    Reason.NIK_SERIAL_INVALID: 400,
    Reason.NAME_INVALID: 400,
    Reason.SEX_INVALID: 400,
    Reason.RELATION_INVALID: 400,
    Reason.NIK_CLAIMED: 409,
    Reason.NIK_ALREADY_ADDED: 409,
    Reason.TOO_MANY_DEPENDANTS: 409,
    Reason.TOO_MANY_CLAIM_ATTEMPTS: 429,
    Reason.PROFILE_MISSING: 404,
    Reason.DEPENDANT_NOT_FOUND: 404,
    Reason.VISITOR_ONLY: 403,
}


class PeopleError(ReasonedError):
    """A refused write, with a stable `code` (a Reason value) and a sentence for people."""

    reasons = Reason
    statuses = HTTP_STATUS

    code: Reason
