"""What a venue import checks and reports: the columns, the limits, and every problem with
its stable code (docs/importing.md lists them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from jejak.core.row_report import RowReport

# In the order of the template sheet; any order is accepted.
COLUMNS = (
    "short_code",
    "name",
    "sector",
    "region",
    "address",
    "latitude",
    "longitude",
    "capacity",
    "default_stay_minutes",
    "coordinator_name",
    "coordinator_position",
    "coordinator_email",
    "coordinator_phone",
    "entrances",
)
REQUIRED_COLUMNS = ("short_code", "name", "sector", "region", "capacity")

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# An XLSX is a zip: a small upload can unpack to gigabytes or hold millions of empty,
# styled cells, and parsing them costs seconds of CPU per 100 KB sent. Both are checked
# before or while reading, far above what a real sheet of venues needs (14 columns).
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_CELLS = MAX_ROWS * 20


class Problem(models.TextChoices):
    """Why a row (or the file) was refused; the value is the stable code."""

    BAD_FILE = "bad_file", _("Berkas bukan CSV atau XLSX yang bisa dibaca.")
    BAD_ENCODING = (
        "bad_encoding",
        _("CSV harus ber-encoding UTF-8 (di Excel: Simpan Sebagai > CSV UTF-8)."),
    )
    TOO_LARGE = "too_large", _("Berkas lebih dari %(limit)s MB.")
    TOO_MANY_ROWS = "too_many_rows", _("Lebih dari %(limit)s baris; pecah menjadi beberapa berkas.")
    XLSX_TOO_LARGE = (
        "xlsx_too_large",
        _("Isi XLSX lebih dari %(limit)s MB setelah dibuka; simpan ulang sebagai CSV."),
    )
    TOO_MANY_CELLS = (
        "too_many_cells",
        _("Lembar kerja memuat lebih dari %(limit)s sel; hapus kolom dan baris yang tak dipakai."),
    )
    EMPTY_FILE = "empty_file", _("Berkas kosong: tidak ada baris judul atau baris data.")
    MISSING_COLUMN = "missing_column", _("Kolom wajib '%(column)s' tidak ada.")
    UNKNOWN_COLUMN = "unknown_column", _("Kolom '%(column)s' tidak dikenal.")
    DUPLICATE_COLUMN = "duplicate_column", _("Kolom '%(column)s' muncul lebih dari sekali.")
    EXTRA_CELLS = "extra_cells", _("Ada isi di kolom tanpa judul.")
    REQUIRED = "required", _("Wajib diisi.")
    TOO_LONG = "too_long", _("Terlalu panjang (maks. %(limit)s karakter).")
    CONTROL_CHARACTERS = "control_characters", _("Mengandung karakter kontrol.")
    BAD_SHORT_CODE = "bad_short_code", _("Kode singkat: 3-32 huruf besar, angka atau tanda hubung.")
    DUPLICATE_SHORT_CODE = "duplicate_short_code", _("Kode singkat sama dengan baris %(line)s.")
    SHORT_CODE_TAKEN = "short_code_taken", _("Kode singkat sudah dipakai tempat lain.")
    UNKNOWN_SECTOR = (
        "unknown_sector",
        _("Sektor tidak dikenal (isi slug, nama Indonesia atau nama Inggris)."),
    )
    UNKNOWN_REGION = "unknown_region", _("Kode wilayah Kemendagri tidak dikenal.")
    OUTSIDE_JURISDICTION = "outside_jurisdiction", _("Wilayah ini di luar kewenangan Anda.")
    BAD_CAPACITY = "bad_capacity", _("Kapasitas harus bilangan bulat minimal 1.")
    BAD_STAY = "bad_stay", _("Lama kunjungan: bilangan bulat menit, 1 sampai %(limit)s.")
    BAD_EMAIL = "bad_email", _("Alamat e-mail tidak sah.")
    BAD_PHONE = "bad_phone", _("Telepon hanya boleh berisi angka, spasi, +, -, ( dan ).")
    BAD_COORDINATES = (
        "bad_coordinates",
        _("Koordinat: angka desimal, lintang -90 sampai 90, bujur -180 sampai 180."),
    )
    INCOMPLETE_COORDINATES = (
        "incomplete_coordinates",
        _("Isi lintang dan bujur keduanya, atau kosongkan keduanya."),
    )
    DUPLICATE_ENTRANCE = "duplicate_entrance", _("Nama pintu '%(name)s' muncul dua kali.")
    TOO_MANY_ENTRANCES = "too_many_entrances", _("Paling banyak %(limit)s pintu.")
    CONFLICT = "conflict", _("Data berubah selama impor (kode singkat baru dipakai); coba lagi.")


@dataclass
class ImportReport(RowReport):
    filename: str = ""
    rows: int = 0
    created: int = 0
    entry_points: int = 0
