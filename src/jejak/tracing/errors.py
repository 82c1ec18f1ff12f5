"""Why a tracing action is refused: stable reason codes for the API, the pages and the CLI."""

from __future__ import annotations

from typing import ClassVar

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class Reason(TextChoices):
    CASE_NOT_FOUND = "case_not_found", _("Kasus tidak ditemukan.")
    CONTACT_NOT_FOUND = "contact_not_found", _("Kontak tidak ditemukan.")
    CLUSTER_NOT_FOUND = "cluster_not_found", _("Peringatan klaster tidak ditemukan.")
    RUN_NOT_FOUND = "run_not_found", _("Proses pelacakan massal tidak ditemukan.")
    PERSON_UNKNOWN = "person_unknown", _("Tidak ada orang terdaftar dengan NIK ini.")
    NOT_IN_JURISDICTION = (
        "not_in_jurisdiction",
        _("Orang ini tidak berdomisili dan tidak berkunjung di wilayah Anda."),
    )
    CASE_CLOSED = "case_closed", _("Kasus sudah ditutup.")
    WINDOW_INVALID = "window_invalid", _("Awal jendela penularan harus sebelum akhirnya.")
    WINDOW_TOO_LONG = "window_too_long", _("Jendela penularan paling lama 28 hari.")
    REASON_REQUIRED = "reason_required", _("Sebutkan alasan perubahan.")
    DATE_IN_FUTURE = (
        "date_in_future",
        _("Tanggal spesimen dan mulai gejala tidak boleh di masa depan."),
    )
    DATE_OUT_OF_RANGE = "date_out_of_range", _("Tanggal sebelum tahun 1900 tidak masuk akal.")
    NOT_SEARCHED = "not_searched", _("Cari kontak dulu sebelum menetapkan kontak erat.")
    NO_CONTACTS_CHOSEN = "no_contacts_chosen", _("Pilih setidaknya satu kontak.")
    PROFILE_UNKNOWN = "profile_unknown", _("Profil pelacakan ini tidak dikenal.")
    ALREADY_A_CASE = "already_a_case", _("Orang ini sudah menjadi kasus yang masih terbuka.")
    HOME_REGION_ONLY = (
        "home_region_only",
        _(
            "Hanya petugas kesehatan wilayah domisili kasus yang dapat mengubah jendela "
            "atau menutup kasus ini."
        ),
    )


class TracingError(ReasonedError):
    reasons = Reason
    statuses: ClassVar[dict[str, int]] = {
        Reason.CASE_NOT_FOUND: 404,
        Reason.CONTACT_NOT_FOUND: 404,
        Reason.CLUSTER_NOT_FOUND: 404,
        Reason.RUN_NOT_FOUND: 404,
        Reason.PERSON_UNKNOWN: 404,
        Reason.NOT_IN_JURISDICTION: 403,
        Reason.HOME_REGION_ONLY: 403,
        Reason.CASE_CLOSED: 409,
        Reason.NOT_SEARCHED: 409,
        Reason.ALREADY_A_CASE: 409,
    }
