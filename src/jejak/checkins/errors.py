"""Why a check-in is refused: stable reason codes shared by the API, the pages and reports.

Two kinds. `Refusal` codes refuse a whole request before any entry decision is made (the
code is not genuine, the scan is too old, the people are not the caller's...): the API
answers 4xx and nothing is stored. `DenialReason` codes are part of a stored decision
about one person (`status_black`, `capacity_full`, ...): the API answers 201 with them.
"""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class Decision(TextChoices):
    ALLOWED = "allowed", _("Boleh masuk")
    ALLOWED_AFTER_STAFF_CHECK = (
        "allowed_after_staff_check",
        _("Boleh masuk setelah diperiksa petugas"),
    )
    DENIED = "denied", _("Tidak boleh masuk")


# What a screen at the door shows in full: the decision's colour, never the health status
# alone (a green person at a closed venue is refused, and a guard glancing must see red).
DECISION_COLOUR: dict[str, str] = {
    Decision.ALLOWED: "hijau",
    Decision.ALLOWED_AFTER_STAFF_CHECK: "kuning",
    Decision.DENIED: "merah",
}


class DenialReason(TextChoices):
    # The label is the sentence shown to the visitor; the value never changes.
    STATUS_BLACK = (
        "status_black",
        _(
            "Status Anda hitam. Jangan masuk: tunggu di area tunggu (staging area) dan ikuti "
            "arahan petugas. Petugas kesehatan sudah diberi tahu."
        ),
    )
    STATUS_RED = "status_red", _("Status merah tidak diizinkan masuk ke tempat ini.")
    STATUS_YELLOW = "status_yellow", _("Status kuning tidak diizinkan masuk ke tempat ini.")
    COLOUR_NOT_ADMITTED = (
        "colour_not_admitted",
        _("Warna status Anda tidak diizinkan masuk ke tempat ini saat ini."),
    )
    IDENTITY_UNVERIFIED = (
        "identity_unverified",
        _(
            "Identitas (NIK, nama, tanggal lahir) belum terverifikasi dengan data kependudukan. "
            "Perbarui profil Anda atau hubungi petugas."
        ),
    )
    CAPACITY_FULL = "capacity_full", _("Tempat ini sudah penuh. Coba lagi nanti.")
    OUTSIDE_HOURS = "outside_hours", _("Tempat ini sedang tutup menurut aturan PPKM.")
    VENUE_CLOSED = (
        "venue_closed",
        _("Tempat ini sedang ditutup sementara oleh petugas penegak protokol kesehatan."),
    )
    AGE_RESTRICTED = (
        "age_restricted",
        _("Anak di bawah batas usia tidak boleh masuk tanpa syarat yang berlaku di sini."),
    )


# What the dashboards and the weekly report call each reason: officers read counts per
# reason, not the sentence (and its advice) a visitor is shown at the door.
DENIAL_REASON_NAMES: dict[str, Promise] = {
    DenialReason.STATUS_BLACK: _("Status hitam"),
    DenialReason.STATUS_RED: _("Status merah"),
    DenialReason.STATUS_YELLOW: _("Status kuning"),
    DenialReason.COLOUR_NOT_ADMITTED: _("Warna status tidak diizinkan"),
    DenialReason.IDENTITY_UNVERIFIED: _("Identitas belum terverifikasi"),
    DenialReason.CAPACITY_FULL: _("Kapasitas penuh"),
    DenialReason.OUTSIDE_HOURS: _("Di luar jam buka PPKM"),
    DenialReason.VENUE_CLOSED: _("Ditutup sementara oleh petugas"),
    DenialReason.AGE_RESTRICTED: _("Batas usia anak"),
}


class Note(TextChoices):
    """How a person's request was read before deciding, shown beside the decision (it is
    not a refusal: the person may still be admitted)."""

    # "employee" from someone not on the venue's staff roster at the scan time: decided as
    # a guest (opening hours, capacity and the guests' colours apply).
    NOT_ON_STAFF_ROSTER = (
        "not_on_staff_roster",
        _("Anda tidak terdaftar sebagai karyawan tempat ini, jadi diperiksa sebagai pengunjung."),
    )


class Refusal(TextChoices):
    PERSON_UNKNOWN = (
        "person_unknown",
        _("Orang yang dipilih bukan profil Anda atau anggota keluarga di akun Anda."),
    )
    SCAN_TOO_OLD = (
        "scan_too_old",
        _("Pemindaian ini lebih dari 24 jam yang lalu dan tidak dapat dicatat lagi."),
    )
    SCAN_IN_FUTURE = "scan_in_future", _("Waktu pemindaian ada di masa depan. Periksa jam ponsel.")
    TOO_MANY_REQUESTS = (
        "too_many_requests",
        _("Terlalu banyak check-in dalam waktu singkat. Coba lagi sebentar lagi."),
    )
    TOO_FAR = "too_far", _("Lokasi Anda terlalu jauh dari tempat ini.")
    NO_RULE_SET = "no_rule_set", _("Tidak ada aturan skrining yang berlaku pada waktu itu.")
    CHECKIN_NOT_FOUND = "checkin_not_found", _("Check-in tidak ditemukan.")
    NOT_CHECKED_IN = (
        "not_checked_in",
        _("Check-in ini tidak diizinkan masuk, jadi tidak ada check-out."),
    )
    ALREADY_INSIDE = (
        "already_inside",
        _("Orang ini masih tercatat di dalam tempat ini. Catat check-out dulu bila ia keluar."),
    )


# Partner apps switch on the code; the status only groups them.
HTTP_STATUS: dict[str, int] = {
    Refusal.PERSON_UNKNOWN: 404,
    Refusal.SCAN_TOO_OLD: 400,
    Refusal.SCAN_IN_FUTURE: 400,
    Refusal.TOO_MANY_REQUESTS: 429,
    Refusal.TOO_FAR: 403,
    Refusal.NO_RULE_SET: 503,
    Refusal.CHECKIN_NOT_FOUND: 404,
    Refusal.NOT_CHECKED_IN: 409,
    Refusal.ALREADY_INSIDE: 409,
}


class CheckInError(ReasonedError):
    """A refused request, with a stable `code` (a Refusal value) and a sentence for people."""

    reasons = Refusal
    statuses = HTTP_STATUS

    code: Refusal
