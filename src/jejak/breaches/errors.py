"""Why a breach action is refused: stable codes for the pages and the command."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class BreachErrorCode(TextChoices):
    BREACH_NOT_FOUND = "breach_not_found", _("Insiden tidak ditemukan.")
    DISCOVERED_IN_FUTURE = "discovered_in_future", _("Waktu ditemukan tidak boleh di masa depan.")
    OCCURRED_ORDER = "occurred_order", _("Akhir kejadian tidak boleh sebelum awalnya.")
    NO_DATA_CLASSES = "no_data_classes", _("Pilih minimal satu jenis data yang terdampak.")
    UNKNOWN_DATA_CLASS = "unknown_data_class", _("Jenis data tidak dikenal.")
    NO_FILTER = (
        "no_filter",
        _("Pilih minimal satu saringan, atau pilih “semua akun” secara tegas."),
    )
    ALL_WITH_FILTERS = (
        "all_with_filters",
        _("“Semua akun” tidak dapat digabung dengan saringan lain."),
    )
    UNKNOWN_VENUES = "unknown_venues", _("Kode tempat tidak dikenal: %(codes)s.")
    UNKNOWN_REGIONS = "unknown_regions", _("Kode wilayah tidak dikenal: %(codes)s.")
    DATE_ORDER = "date_order", _("Tanggal akhir check-in tidak boleh sebelum tanggal awal.")
    SELECTION_FROZEN = (
        "selection_frozen",
        _("Pemberitahuan sudah mulai dikirim: pilihan orang tidak dapat diubah lagi."),
    )
    NOT_DRAFTED = "not_drafted", _("Susun draf pemberitahuan terlebih dahulu.")
    NO_SUBJECTS = "no_subjects", _("Tidak ada orang terdampak yang dapat diberi tahu.")
    WRONG_STATUS = "wrong_status", _("Tindakan ini tidak berlaku untuk status insiden saat ini.")


class BreachError(ReasonedError):
    """A refused breach action, with a stable `code` and a sentence for the officer."""

    reasons = BreachErrorCode
    statuses = {BreachErrorCode.BREACH_NOT_FOUND: 404}

    code: BreachErrorCode

    @classmethod
    def listing(cls, code: BreachErrorCode, codes: list[str]) -> BreachError:
        """A refusal that names the unknown codes it found."""
        return cls(code, str(code.label) % {"codes": ", ".join(codes)})
