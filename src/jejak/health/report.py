"""What an import found: the stable problem codes, the report, and the batch of parsed records.

Shared by the FHIR reader (fhir.py) and the CSV reader (csv_import.py) so both speak the
same words; service.import_health_file writes a batch only when its report has no problem.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jejak.core.crypto import blind_index
from jejak.health.models import HealthRecord

# The whole file is the unit: one problem anywhere and nothing is written.
NOTHING_IMPORTED = _(
    "Tidak ada yang diimpor: berkas diimpor utuh atau tidak sama sekali. "
    "Perbaiki semua masalah lalu impor ulang berkas yang sama."
)

_NIK = re.compile(r"[0-9]{16}")


class RecordType(models.TextChoices):
    """The kinds of health record an import can carry (the CSV `record_type` values)."""

    VACCINATION = "vaccination", _("Vaksinasi")
    LAB_RESULT = "lab_result", _("Hasil lab")
    POSITIVE_CASE = "positive_case", _("Kasus positif")
    CLOSE_CONTACT = "close_contact", _("Kontak erat")
    QUARANTINE = "quarantine", _("Karantina perjalanan")
    EXEMPTION = "exemption", _("Pengecualian vaksinasi")


class Problem(models.TextChoices):
    """Why a file, a row or a FHIR entry was refused; the value is the stable code."""

    # The whole file
    TOO_LARGE = "too_large", _("Berkas lebih dari %(limit)s MB.")
    BAD_ENCODING = "bad_encoding", _("Berkas harus ber-encoding UTF-8.")
    EMPTY_FILE = "empty_file", _("Berkas kosong: tidak ada catatan.")
    TOO_MANY_RECORDS = (
        "too_many_records",
        _("Lebih dari %(limit)s catatan; pecah menjadi beberapa berkas."),
    )
    BAD_FILE = "bad_file", _("Berkas bukan CSV yang bisa dibaca.")
    INVALID_JSON = (
        "invalid_json",
        _("JSON tidak sah (baris %(line)s, kolom %(column)s): %(detail)s"),
    )
    NOT_A_BUNDLE = "not_a_bundle", _("JSON ini bukan FHIR Bundle (resourceType harus 'Bundle').")
    INVALID_BUNDLE = "invalid_bundle", _("Bundle FHIR tidak sah: %(detail)s")
    # CSV header
    MISSING_COLUMN = "missing_column", _("Kolom wajib '%(column)s' tidak ada.")
    UNKNOWN_COLUMN = "unknown_column", _("Kolom '%(column)s' tidak dikenal.")
    DUPLICATE_COLUMN = "duplicate_column", _("Kolom '%(column)s' muncul lebih dari sekali.")
    EXTRA_CELLS = "extra_cells", _("Ada isi di kolom tanpa judul.")
    # A value
    REQUIRED = "required", _("Wajib diisi untuk jenis catatan ini.")
    NOT_APPLICABLE = "not_applicable", _("Kolom ini harus kosong untuk jenis catatan '%(type)s'.")
    TOO_LONG = "too_long", _("Terlalu panjang (maks. %(limit)s karakter).")
    CONTROL_CHARACTERS = "control_characters", _("Mengandung karakter kontrol.")
    BAD_NIK = "bad_nik", _("NIK harus 16 angka.")
    NIK_AS_NUMBER = (
        "nik_as_number",
        _("NIK berubah menjadi angka ilmiah (mis. 3,67E+15): format kolom NIK sebagai Teks."),
    )
    UNKNOWN_RECORD_TYPE = (
        "unknown_record_type",
        _(
            "Jenis catatan tidak dikenal (vaccination, lab_result, positive_case, "
            "close_contact, quarantine, exemption)."
        ),
    )
    BAD_DATE = "bad_date", _("Tanggal harus berformat YYYY-MM-DD.")
    BAD_DATETIME = (
        "bad_datetime",
        _("Waktu harus berformat YYYY-MM-DD HH:MM (WIB) atau ISO 8601 dengan zona waktu."),
    )
    IMPRECISE_DATE = "imprecise_date", _("Tanggal kurang lengkap (perlu tahun, bulan dan hari).")
    IMPRECISE_TIME = (
        "imprecise_time",
        _("Waktu pengambilan spesimen perlu jam dan zona waktu, bukan hanya tanggal."),
    )
    IN_FUTURE = "in_future", _("Tanggal atau waktu ini di masa depan.")
    TOO_EARLY = "too_early", _("Tanggal sebelum %(date)s, sebelum pandemi COVID-19.")
    END_BEFORE_START = "end_before_start", _("Tanggal akhir sebelum tanggal mulai.")
    BAD_DOSE_NUMBER = "bad_dose_number", _("Dosis ke-: bilangan bulat 1 sampai %(limit)s.")
    UNKNOWN_VACCINE = (
        "unknown_vaccine",
        _(
            "Vaksin tidak dikenali sebagai vaksin COVID-19: pakai kode CVX atau nama produk "
            "yang tercantum di docs/health-import.md."
        ),
    )
    BAD_METHOD = "bad_method", _("Metode tes: pcr atau antigen.")
    BAD_RESULT = "bad_result", _("Hasil tes: positive atau negative.")
    CONFLICTING_DUPLICATE = (
        "conflicting_duplicate",
        _("Catatan yang sama (%(where)s) muncul lagi dengan rincian berbeda."),
    )
    # A FHIR entry
    MISSING_RESOURCE = "missing_resource", _("Entri tanpa resource.")
    UNKNOWN_RESOURCE_TYPE = (
        "unknown_resource_type",
        _("Jenis resource '%(type)s' tidak dikenal di FHIR R4."),
    )
    INVALID_RESOURCE = "invalid_resource", _("Resource tidak sah menurut FHIR R4: %(detail)s")
    PATIENT_WITHOUT_NIK = (
        "patient_without_nik",
        _("Patient tanpa identifier NIK (system https://fhir.kemkes.go.id/id/nik)."),
    )
    CONFLICTING_NIK = "conflicting_nik", _("Patient ini punya lebih dari satu NIK yang berbeda.")
    UNRESOLVED_PATIENT = (
        "unresolved_patient",
        _("Rujukan pasien '%(reference)s' tidak menunjuk Patient ber-NIK di bundle ini."),
    )
    MISSING_DATE = "missing_date", _("Tanggal pemberian vaksin tidak ada.")
    MISSING_DOSE_NUMBER = (
        "missing_dose_number",
        _("Dosis ke- tidak ada (protocolApplied[0].doseNumberPositiveInt)."),
    )
    UNKNOWN_TEST_CODE = (
        "unknown_test_code",
        _("Bukan kode LOINC tes SARS-CoV-2 (PCR atau antigen) yang dikenal: %(codes)s."),
    )
    MISSING_TEST_RESULT = (
        "missing_test_result",
        _("Hasil tes tidak ada (valueCodeableConcept dengan kode SNOMED CT)."),
    )
    UNKNOWN_TEST_RESULT = (
        "unknown_test_result",
        _("Hasil tes bukan kode SNOMED CT terdeteksi/tidak terdeteksi yang dikenal: %(codes)s."),
    )
    MISSING_SPECIMEN_TIME = "missing_specimen_time", _("Waktu pengambilan spesimen tidak ada.")


@dataclass(frozen=True)
class ImportProblem:
    """One problem. CSV problems have a `line` (header = 1, 0 = the whole file; a JSON
    syntax error also gives its line); FHIR problems an `entry` (the index in
    Bundle.entry, counted from 0 as FHIRPath does)."""

    code: str
    message: str
    line: int | None = None
    column: str = ""  # a CSV column, or the element path inside a FHIR resource
    entry: int | None = None
    resource: str = ""  # "Immunization/imm-1", or just the type when it has no id
    value: str = ""  # an excerpt of the offending value; never a NIK

    def where(self) -> str:
        if self.entry is not None:
            parts = [f"entry[{self.entry}]"]
            if self.resource:
                parts.append(self.resource)
            if self.column:
                parts.append(f"({self.column})")
            return " ".join(parts)
        if self.line:
            return f"line {self.line}" + (f" [{self.column}]" if self.column else "")
        return "file" + (f" [{self.column}]" if self.column else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "entry": self.entry,
            "resource": self.resource,
            "value": self.value,
        }


@dataclass
class ImportReport:
    filename: str
    format: str = ""  # "fhir" or "csv"
    records: int = 0  # records read from the file (after skipping ignored entries)
    people: int = 0  # distinct NIKs among them
    created: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    # FHIR resources read but deliberately not imported, by reason (e.g. not completed).
    ignored: Counter[str] = field(default_factory=Counter)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: Problem, /, **where_and_params: Any) -> None:
        """Record a problem; `line`, `column`, `entry`, `resource`, `value` say where."""
        where = {
            key: where_and_params[key]
            for key in ("line", "column", "entry", "resource", "value")
            if key in where_and_params
        }
        if "value" in where:
            where["value"] = str(where["value"])[:80]
        # A mapping lets a message use a where-field too ("Kolom '%(column)s' ...").
        message = str(problem.label) % where_and_params
        self.problems.append(ImportProblem(problem.value, message, **where))

    def as_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "format": self.format,
            "ok": self.ok,
            "records": self.records,
            "people": self.people,
            "created": {t.value: self.created[t.value] for t in RecordType},
            "unchanged": {t.value: self.unchanged[t.value] for t in RecordType},
            "ignored": dict(self.ignored),
            "problems": [p.as_json() for p in self.problems],
        }


def is_valid_nik(value: str) -> bool:
    """Sixteen ASCII digits. Deliberately no region or birth-date check (see the docs)."""
    return bool(_NIK.fullmatch(value))


def nik_index_for(nik: str) -> str:
    """The key health records are stored under: the same blind index people.Person uses."""
    return blind_index(nik, purpose="nik")


def nik_district(nik: str) -> str:
    """The kecamatan a valid NIK was issued in, as a Kemendagri code: "36.71.01"."""
    return f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}"


@dataclass
class Batch:
    """Records parsed from one file, deduplicated by natural key.

    The same record twice (an export that repeats a row) is kept once; the same natural
    key with different details is a conflict, reported by the caller.
    """

    records: dict[tuple[Any, ...], tuple[str, HealthRecord, str]] = field(default_factory=dict)

    def add(self, record_type: RecordType, record: HealthRecord, where: str) -> str | None:
        """Keep `record`; return where the conflicting earlier record was, if any."""
        key = (record_type.value, *natural_key(record))
        earlier = self.records.get(key)
        if earlier is None:
            self.records[key] = (record_type.value, record, where)
            return None
        if _details(earlier[1]) != _details(record):
            return earlier[2]
        return None

    def __len__(self) -> int:
        return len(self.records)

    def people(self) -> int:
        return len({record.nik_index for _, record, _ in self.records.values()})


def natural_key_fields(model: type[HealthRecord]) -> tuple[str, ...]:
    """The fields of the model's natural-key UniqueConstraint (each record model has one)."""
    constraint = next(
        c for c in model._meta.constraints if isinstance(c, models.UniqueConstraint) and c.fields
    )
    return tuple(constraint.fields)


def natural_key(record: HealthRecord) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in natural_key_fields(type(record)))


def _details(record: HealthRecord) -> tuple[Any, ...]:
    skip = {"id", "recorded_at", "created_by"}
    return tuple(
        getattr(record, f.attname) for f in record._meta.concrete_fields if f.name not in skip
    )


# Dates ---------------------------------------------------------------------------------------

# Nothing about COVID-19 happened before 2020; an earlier date is a typo (a birth date in
# the wrong column, a two-digit year).
EARLIEST = dt.date(2020, 1, 1)
# A specimen time a few minutes ahead is a lab clock, not a typo.
CLOCK_SKEW = dt.timedelta(minutes=10)


def date_problem(day: dt.date, *, past_only: bool) -> tuple[Problem, dict[str, Any]] | None:
    """Why `day` cannot be a record's date, or None."""
    if day < EARLIEST:
        return Problem.TOO_EARLY, {"date": EARLIEST.isoformat()}
    if past_only and day > timezone.localdate():
        return Problem.IN_FUTURE, {}
    return None


def moment_problem(moment: dt.datetime) -> tuple[Problem, dict[str, Any]] | None:
    """Why an aware `moment` (a specimen, an exposure) cannot be a record's time, or None."""
    if timezone.localtime(moment).date() < EARLIEST:
        return Problem.TOO_EARLY, {"date": EARLIEST.isoformat()}
    if moment > timezone.now() + CLOCK_SKEW:
        return Problem.IN_FUTURE, {}
    return None
