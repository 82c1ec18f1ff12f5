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
    IDENTITY_NOT_VERIFIED = (
        "identity_not_verified",
        _(
            "NIK, nama lengkap, dan tanggal lahir tidak dapat diverifikasi dengan data "
            "kependudukan. Periksa kembali sesuai KTP atau Kartu Keluarga."
        ),
    )
    IDENTITY_SERVICE_UNAVAILABLE = (
        "identity_service_unavailable",
        _("Layanan verifikasi data kependudukan sedang tidak dapat dihubungi. Coba lagi nanti."),
    )
    TOO_MANY_IDENTITY_ATTEMPTS = (
        "too_many_identity_attempts",
        _("Terlalu banyak data identitas yang tidak cocok hari ini. Coba lagi besok."),
    )
    IDENTITY_LOCKED = (
        "identity_locked",
        _(
            "NIK yang sudah terverifikasi tidak dapat diubah atau dihapus dari profil. Untuk "
            "koreksi, datangi petugas dengan KTP dan Kartu Keluarga."
        ),
    )
    HOLDER_NOT_VERIFIED = (
        "holder_not_verified",
        _("Lengkapi profil Anda sendiri dan pastikan terverifikasi sebelum menambah keluarga."),
    )
    NOT_ON_FAMILY_CARD = (
        "not_on_family_card",
        _(
            "Orang ini tidak tercatat di Kartu Keluarga yang sama dengan Anda. Anda dapat "
            "mengajukan persetujuan petugas dengan alasannya."
        ),
    )
    REASON_REQUIRED = "reason_required", _("Tuliskan alasannya (paling banyak 500 karakter).")
    REQUEST_NOT_FOUND = "request_not_found", _("Pengajuan tidak ditemukan.")
    REQUEST_DECIDED = "request_decided", _("Pengajuan ini sudah diputuskan.")
    REQUEST_PENDING = (
        "request_pending",
        _("Pengajuan untuk NIK ini masih menunggu persetujuan petugas."),
    )
    PERSON_NOT_FOUND = (
        "person_not_found",
        _("Tidak ada profil terdaftar dengan NIK ini di wilayah Anda."),
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
    Reason.IDENTITY_NOT_VERIFIED: 400,
    Reason.IDENTITY_SERVICE_UNAVAILABLE: 503,
    Reason.TOO_MANY_IDENTITY_ATTEMPTS: 429,
    Reason.IDENTITY_LOCKED: 409,
    Reason.HOLDER_NOT_VERIFIED: 409,
    Reason.NOT_ON_FAMILY_CARD: 409,
    Reason.REASON_REQUIRED: 400,
    Reason.REQUEST_NOT_FOUND: 404,
    Reason.REQUEST_DECIDED: 409,
    Reason.REQUEST_PENDING: 409,
    Reason.PERSON_NOT_FOUND: 404,
    Reason.PROFILE_MISSING: 404,
    Reason.DEPENDANT_NOT_FOUND: 404,
    Reason.VISITOR_ONLY: 403,
}


class PeopleError(ReasonedError):
    """A refused write, with a stable `code` (a Reason value) and a sentence for people."""

    reasons = Reason
    statuses = HTTP_STATUS

    code: Reason
