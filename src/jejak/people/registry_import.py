"""`jejak import-registry`: load a civil-registry extract into identity.Resident, all or nothing.

The extract is refreshed periodically, so a NIK already in the table is updated (name,
birth date, family card, region, death date), never duplicated; residents missing from
a later extract are kept (a death is a date on the row, not a deletion). The file
format and the problem codes are in docs/importing.md ("Civil-registry extract").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jejak.audit import service as audit
from jejak.core.crypto import encrypt
from jejak.core.row_report import RowError, RowReport
from jejak.identity.models import Resident, nik_aad
from jejak.identity.port import family_card_index
from jejak.people.models import Sex
from jejak.people.nik import NikError, known_region_codes, nik_index, parse_nik
from jejak.regions.imports import normalize_code
from jejak.regions.models import Region

if TYPE_CHECKING:
    from jejak.accounts.models import User

COLUMNS = ("nik", "full_name", "birth_date", "sex", "family_card", "region_code", "died_on")
OPTIONAL = frozenset({"died_on"})
NAME_MAX_LENGTH = Resident._meta.get_field("full_name").max_length or 150
# SQLite before 3.32 allows 999 parameters per query; stay under it on every backend.
QUERY_CHUNK = 900
WRITE_BATCH = 2000
UPDATED_FIELDS = ("full_name", "birth_date", "sex", "family_card_index", "region_code", "died_on")
_FAMILY_CARD = re.compile(r"[0-9]{16}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class RegistryProblem(models.TextChoices):
    """Why a row (or the file) was refused; the value is the stable code. NIK problems
    carry parse_nik's own codes (nik_format, nik_birth_date_mismatch, ...)."""

    BAD_FILE = "bad_file", _("Berkas tidak bisa dibaca sebagai CSV UTF-8.")
    EMPTY_FILE = "empty_file", _("Berkas kosong: tidak ada baris judul atau baris data.")
    MISSING_COLUMN = "missing_column", _("Kolom wajib '%(column)s' tidak ada.")
    UNKNOWN_COLUMN = "unknown_column", _("Kolom '%(column)s' tidak dikenal.")
    DUPLICATE_COLUMN = "duplicate_column", _("Kolom '%(column)s' muncul lebih dari sekali.")
    EXTRA_CELLS = "extra_cells", _("Baris ini berisi sel di luar kolom yang bernama.")
    REQUIRED = "required", _("Wajib diisi.")
    TOO_LONG = "too_long", _("Terlalu panjang (maks. %(limit)s karakter).")
    CONTROL_CHARACTERS = "control_characters", _("Teks berisi karakter kendali.")
    BAD_DATE = "bad_date", _("Bukan tanggal yang sah (format YYYY-MM-DD, tidak di masa depan).")
    BAD_SEX = "bad_sex", _("Jenis kelamin harus M atau F.")
    BAD_FAMILY_CARD = "bad_family_card", _("Nomor KK harus terdiri dari 16 digit angka.")
    BAD_REGION = (
        "bad_region",
        _("Kode wilayah tidak sah: bagian angka dipisah titik, mis. 36.71.01.1001."),
    )
    UNKNOWN_REGION = "unknown_region", _("Wilayah %(code)s tidak ada di basis data.")
    DEATH_BEFORE_BIRTH = "death_before_birth", _("Tanggal meninggal sebelum tanggal lahir.")
    DUPLICATE_NIK = "duplicate_nik", _("NIK sama dengan baris %(line)s.")
    CONFLICT = "conflict", _("Impor lain menulis NIK yang sama bersamaan; impor ulang.")


@dataclass
class RegistryImportReport(RowReport):
    filename: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class _Row:
    line: int
    nik: str
    full_name: str
    birth_date: dt.date
    sex: str
    family_card: str
    region_code: str
    died_on: dt.date | None


Source = str | os.PathLike[str] | IO[bytes] | IO[str]


def import_registry(
    file: Source, *, actor: User | None, filename: str | None = None
) -> RegistryImportReport:
    """Create or update one Resident per row of a registry extract (CSV), all or nothing.

    Every bad row is reported; if there is any, nothing is written. One audit row
    (`identity.registry_imported`) records the counts.
    """
    report = RegistryImportReport(filename=filename or _name_of(file))
    reader = _reader(file, report)
    if reader is None or not _check_header(reader, report):
        return report
    seen_niks: dict[str, int] = {}
    regions = known_region_codes()
    parsed: list[_Row | None] = []
    try:
        for line, record in enumerate(reader, start=2):
            if not any(str(value or "").strip() for value in record.values()):
                continue  # a blank row
            report.rows += 1
            parsed.append(_parse_row(line, record, report, seen_niks, regions))
    except csv.Error:
        report.add(0, "", RegistryProblem.BAD_FILE)
        return report
    if report.rows == 0:
        report.add(0, "", RegistryProblem.EMPTY_FILE)
        return report
    valid = [row for row in parsed if row is not None]
    _check_regions(valid, report)
    if not report.ok:
        report.errors.sort(key=lambda e: e.line)
        return report
    try:
        _write(valid, report)
    except IntegrityError:
        report.created = report.updated = report.unchanged = 0
        report.add(0, "nik", RegistryProblem.CONFLICT)
        return report
    return _audited(report, actor)


def _audited(report: RegistryImportReport, actor: User | None) -> RegistryImportReport:
    audit.record(
        actor=actor,
        action="identity.registry_imported",
        filename=report.filename,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )
    return report


def _name_of(file: Source) -> str:
    if isinstance(file, str | os.PathLike):
        return Path(file).name
    return Path(str(getattr(file, "name", "") or "")).name


def _reader(file: Source, report: RegistryImportReport) -> csv.DictReader[str] | None:
    try:
        if isinstance(file, str | os.PathLike):
            text = Path(file).read_text(encoding="utf-8-sig")
        else:
            data = file.read()
            text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    except (OSError, UnicodeDecodeError):
        report.add(0, "", RegistryProblem.BAD_FILE)
        return None
    # Cells beyond the header's columns land under the key "" (see _parse_row).
    return csv.DictReader(io.StringIO(text, newline=""), restkey="")


def _check_header(reader: csv.DictReader[str], report: RegistryImportReport) -> bool:
    try:
        header = list(reader.fieldnames or ())
    except csv.Error:
        report.add(0, "", RegistryProblem.BAD_FILE)
        return False
    names = [name.strip().lower() for name in header]
    if not names:
        report.add(0, "", RegistryProblem.EMPTY_FILE)
        return False
    for name in dict.fromkeys(names):
        if name not in COLUMNS:
            report.add(1, name, RegistryProblem.UNKNOWN_COLUMN, column=name)
        elif names.count(name) > 1:
            report.add(1, name, RegistryProblem.DUPLICATE_COLUMN, column=name)
    for column in COLUMNS:
        if column not in names and column not in OPTIONAL:
            report.add(1, column, RegistryProblem.MISSING_COLUMN, column=column)
    reader.fieldnames = names
    return report.ok


def _date(value: str) -> dt.date | None:
    if not _ISO_DATE.fullmatch(value):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if day <= timezone.localdate() else None


def _parse_row(
    line: int,
    record: dict[str, Any],
    report: RegistryImportReport,
    seen_niks: dict[str, int],
    regions: frozenset[str],
) -> _Row | None:
    """The row if nothing in it is wrong; its problems go to the report."""
    before = len(report.errors)
    if record.get(""):
        report.add(line, "", RegistryProblem.EXTRA_CELLS)
    values = {column: str(record.get(column) or "").strip() for column in COLUMNS}
    for column in COLUMNS:
        if not values[column] and column not in OPTIONAL:
            report.add(line, column, RegistryProblem.REQUIRED)

    name = " ".join(values["full_name"].split())
    if any(unicodedata.category(ch).startswith("C") for ch in values["full_name"]):
        # Tabs and line breaks are control characters too; a name never holds one.
        report.add(line, "full_name", RegistryProblem.CONTROL_CHARACTERS)
    elif len(name) > NAME_MAX_LENGTH:
        report.add(line, "full_name", RegistryProblem.TOO_LONG, limit=NAME_MAX_LENGTH)

    birth_date = _date(values["birth_date"])
    if values["birth_date"] and birth_date is None:
        report.add(line, "birth_date", RegistryProblem.BAD_DATE)
    sex = values["sex"].upper()
    if values["sex"] and sex not in Sex.values:
        report.add(line, "sex", RegistryProblem.BAD_SEX)
        sex = ""
    died_on = _date(values["died_on"])
    if values["died_on"] and died_on is None:
        report.add(line, "died_on", RegistryProblem.BAD_DATE)
    elif died_on is not None and birth_date is not None and died_on < birth_date:
        report.add(line, "died_on", RegistryProblem.DEATH_BEFORE_BIRTH)

    nik = values["nik"]
    if nik:
        try:
            parse_nik(nik, birth_date=birth_date, sex=sex or None, regions=regions)
        except NikError as exc:
            report.errors.append(RowError(line, "nik", exc.code.value, exc.message))
        else:
            if nik in seen_niks:
                report.add(line, "nik", RegistryProblem.DUPLICATE_NIK, line=seen_niks[nik])
            else:
                seen_niks[nik] = line

    card = values["family_card"]
    if card and not _FAMILY_CARD.fullmatch(card):
        report.add(line, "family_card", RegistryProblem.BAD_FAMILY_CARD)
    region = normalize_code(values["region_code"]) if values["region_code"] else None
    if values["region_code"] and region is None:
        report.add(line, "region_code", RegistryProblem.BAD_REGION)

    if len(report.errors) > before or birth_date is None or region is None:
        return None
    return _Row(line, nik, name, birth_date, sex, card, region, died_on)


def _check_regions(rows: Sequence[_Row], report: RegistryImportReport) -> None:
    """Each row's region must be known: the code itself or, for a kelurahan/desa, its
    kecamatan (many installations load regions down to the kecamatan only)."""
    wanted = {_region_to_check(row.region_code) for row in rows}
    known: set[str] = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), QUERY_CHUNK):
        chunk = ordered[start : start + QUERY_CHUNK]
        known.update(Region.objects.filter(code__in=chunk).values_list("code", flat=True))
    for row in rows:
        code = _region_to_check(row.region_code)
        if code not in known:
            report.add(row.line, "region_code", RegistryProblem.UNKNOWN_REGION, code=code)


def _region_to_check(code: str) -> str:
    return code.rsplit(".", 1)[0] if code.count(".") == 3 else code


def _write(rows: list[_Row], report: RegistryImportReport) -> None:
    indexed = [(nik_index(row.nik), row) for row in rows]
    now = timezone.now()
    new: list[Resident] = []
    changed: list[Resident] = []
    with transaction.atomic():
        existing: dict[str, tuple[Any, ...]] = {}
        indexes = [index for index, _row in indexed]
        for start in range(0, len(indexes), QUERY_CHUNK):
            for pk, index, *values in Resident.objects.filter(
                nik_index__in=indexes[start : start + QUERY_CHUNK]
            ).values_list("pk", "nik_index", *UPDATED_FIELDS):
                existing[index] = (pk, tuple(values))
        for index, row in indexed:
            values = (
                row.full_name,
                row.birth_date,
                row.sex,
                family_card_index(row.family_card),
                row.region_code,
                row.died_on,
            )
            if index not in existing:
                new.append(
                    Resident(
                        nik_index=index,
                        nik_encrypted=encrypt(row.nik.encode("ascii"), aad=nik_aad(index)),
                        imported_at=now,
                        **dict(zip(UPDATED_FIELDS, values, strict=True)),
                    )
                )
            elif existing[index][1] != values:
                changed.append(
                    Resident(
                        pk=existing[index][0],
                        imported_at=now,
                        **dict(zip(UPDATED_FIELDS, values, strict=True)),
                    )
                )
        Resident.objects.bulk_create(new, batch_size=WRITE_BATCH)
        Resident.objects.bulk_update(changed, [*UPDATED_FIELDS, "imported_at"], batch_size=500)
    report.created = len(new)
    report.updated = len(changed)
    report.unchanged = len(rows) - report.created - report.updated
