"""What the citizen and the issuer read for each class of data and each hold reason."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from jejak.erasure import holds

CLASSES = {
    "people": _("Profil dan anggota keluarga"),
    "person": _("Data identitas (disamarkan: tanpa nama dan NIK)"),
    "checkins": _("Riwayat check-in"),
    "status_passes": _("QR status"),
    "messages": _("Pemberitahuan"),
    "doses": _("Data vaksinasi"),
    "lab_results": _("Hasil tes"),
    "designations": _("Penetapan kasus atau kontak erat"),
    "quarantines": _("Karantina perjalanan"),
    "exemptions": _("Pengecualian vaksinasi"),
    "api_tokens": _("Token aplikasi"),
    "consents": _("Persetujuan pemberitahuan privasi"),
    "one_time_codes": _("Kode masuk sekali pakai"),
    "sign_in_guards": _("Catatan percobaan masuk"),
    "claim_attempts": _("Percobaan penambahan NIK"),
    "identity_refusals": _("Penolakan verifikasi identitas"),
    "dependant_requests": _("Permohonan anggota keluarga"),
    "partner_refresh_tokens": _("Token aplikasi mitra (refresh)"),
    "partner_tokens": _("Token aplikasi mitra"),
    "partner_grants": _("Kode izin aplikasi mitra"),
    "partner_connections": _("Aplikasi mitra yang terhubung"),
    "partner_checkins": _("Catatan check-in melalui aplikasi mitra"),
    "partner_usage": _("Catatan pemakaian aplikasi mitra"),
}

REASONS = {
    holds.OPEN_CASE: _("kasus yang masih terbuka"),
    holds.TRACING: _("penelusuran kontak atau klaster yang masih berjalan"),
    holds.DESIGNATION: _("penetapan yang masih berlaku"),
    holds.STAY: _("kunjungan yang belum check-out"),
    holds.CASE_RECORD: _("masa simpan catatan kasus"),
}


def labelled_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(str(CLASSES.get(name, name)), n) for name, n in counts.items()]


def labelled_holds(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "label": str(CLASSES.get(row["class"], row["class"])),
            "reason_label": str(REASONS.get(row["reason"], row["reason"])),
        }
        for row in rows
    ]
