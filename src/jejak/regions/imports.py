"""Bulk import of Kemendagri regions (provinsi to kelurahan/desa) from CSV, all or nothing.

A region's code is its tree path (36.71.01 lies in 36.71), so the level and the parent
follow from the code; the `level` and parent columns are optional and, when present, are
only checked against it. Re-importing a file renames what changed and creates nothing
twice; regions are never deleted (venues and users point at them).

Accepted layouts are listed in docs/importing.md.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from jejak.core.row_report import RowReport
from jejak.regions.models import LEVEL_BY_DEPTH, Region, RegionLevel

# Digits per part: province 36, regency 71, district 01, village 1001.
PART_WIDTHS = (2, 2, 2, 4)
# idn-area-data names the parent column after the parent's level.
PARENT_COLUMNS = ("parent_code", "province_code", "regency_code", "district_code")
COLUMNS = ("code", "name", "level", *PARENT_COLUMNS)
NAME_MAX_LENGTH = Region._meta.get_field("name").max_length or 120
# SQLite before 3.32 allows 999 parameters per query; stay under it on every backend.
QUERY_CHUNK = 900

_UNDOTTED_SPLITS = {2: (2,), 4: (2, 2), 6: (2, 2, 2), 10: (2, 2, 2, 4)}
_ASCII_DIGITS = re.compile(r"[0-9]+")


class RegionProblem(models.TextChoices):
    """Why a row (or the file) was refused; the value is the stable code."""

    BAD_FILE = "bad_file", _("Berkas tidak bisa dibaca sebagai CSV UTF-8.")
    EMPTY_FILE = "empty_file", _("Berkas kosong: tidak ada baris judul atau baris data.")
    MISSING_COLUMN = "missing_column", _("Kolom wajib '%(column)s' tidak ada.")
    UNKNOWN_COLUMN = "unknown_column", _("Kolom '%(column)s' tidak dikenal.")
    REQUIRED = "required", _("Wajib diisi.")
    TOO_LONG = "too_long", _("Terlalu panjang (maks. %(limit)s karakter).")
    BAD_CODE = (
        "bad_code",
        _("Kode wilayah tidak sah: 1-4 bagian angka dipisah titik, mis. 36.71.01.1001."),
    )
    BAD_LEVEL = "bad_level", _("Tingkat harus province, regency, district atau village.")
    LEVEL_MISMATCH = "level_mismatch", _("Tingkat tidak sesuai kode (seharusnya %(level)s).")
    PARENT_MISMATCH = "parent_mismatch", _("Kode induk tidak sesuai kode (seharusnya %(parent)s).")
    UNKNOWN_PARENT = (
        "unknown_parent",
        _("Induk %(parent)s tidak ada di berkas maupun di basis data."),
    )
    DUPLICATE_CODE = "duplicate_code", _("Kode sama dengan baris %(line)s.")


@dataclass
class RegionImportReport(RowReport):
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class _Row:
    line: int
    source: str
    code: str
    name: str
    parent_column: str


def normalize_code(raw: str) -> str | None:
    """'36.71.01.1001', or its undotted form '3671011001', as a dotted code; None if malformed."""
    raw = raw.strip()
    if "." not in raw and len(raw) in _UNDOTTED_SPLITS:
        parts, start = [], 0
        for width in _UNDOTTED_SPLITS[len(raw)]:
            parts.append(raw[start : start + width])
            start += width
    else:
        parts = raw.split(".")
    if not 1 <= len(parts) <= len(PART_WIDTHS):
        return None
    for part, width in zip(parts, PART_WIDTHS, strict=False):
        if len(part) != width or not _ASCII_DIGITS.fullmatch(part):
            return None
    return ".".join(parts)


def parent_code(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


Source = str | os.PathLike[str] | Iterable[Mapping[str, Any]]


def import_regions(*sources: Source) -> RegionImportReport:
    """Create or rename the regions in one or more CSV files (or row dicts), all or nothing.

    Every bad row is reported; if there is any, nothing is written.
    """
    report = RegionImportReport()
    rows: dict[str, _Row] = {}
    # Codes of rows refused for another column still count as present, so their children
    # are not also reported as orphans.
    seen: set[str] = set()
    for source in sources:
        label, header, records = _open(source, report)
        if label is None:
            continue
        if not _check_header(header, label, report):
            continue
        for line, record in records:
            if not any(str(value or "").strip() for value in record.values()):
                continue
            report.rows += 1
            code, row = _parse_row(line, label, record, report)
            if code is not None:
                seen.add(code)
            if row is None:
                continue
            if row.code in rows:
                first = rows[row.code]
                report.add(
                    line, "code", RegionProblem.DUPLICATE_CODE, source=label, line=first.line
                )
                continue
            rows[row.code] = row
    if report.rows == 0 and report.ok:
        report.add(0, "", RegionProblem.EMPTY_FILE)
        return report

    existing = _existing({*rows, *filter(None, map(parent_code, rows))})
    for row in rows.values():
        parent = parent_code(row.code)
        if parent is not None and parent not in seen and parent not in existing:
            report.add(
                row.line,
                row.parent_column,
                RegionProblem.UNKNOWN_PARENT,
                source=row.source,
                parent=parent,
            )
    if report.ok:
        _write(rows, existing, report)
    order = {label: n for n, label in enumerate(dict.fromkeys(e.source for e in report.errors))}
    report.errors.sort(key=lambda e: (order[e.source], e.line))
    return report


def _open(
    source: Source, report: RegionImportReport
) -> tuple[str | None, Sequence[str], Iterator[tuple[int, Mapping[str, Any]]]]:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            report.add(0, "", RegionProblem.BAD_FILE, source=path.name)
            return None, (), iter(())
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = reader.fieldnames or ()
        except csv.Error:
            report.add(0, "", RegionProblem.BAD_FILE, source=path.name)
            return None, (), iter(())
        return path.name, header, _csv_records(reader, path.name, report)
    records = list(source)
    header = list(records[0]) if records else []
    return "", header, ((n, r) for n, r in enumerate(records, start=2))


def _csv_records(
    reader: csv.DictReader[str], label: str, report: RegionImportReport
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    try:
        # Numbered as a spreadsheet shows rows, which is also the line when no cell spans lines.
        yield from enumerate(reader, start=2)
    except csv.Error:
        report.add(0, "", RegionProblem.BAD_FILE, source=label)


def _check_header(header: Sequence[str], label: str, report: RegionImportReport) -> bool:
    names = [(h or "").strip().lower() for h in header]
    if not names:
        report.add(0, "", RegionProblem.EMPTY_FILE, source=label)
        return False
    before = len(report.errors)
    for column in ("code", "name"):
        if column not in names:
            report.add(1, column, RegionProblem.MISSING_COLUMN, source=label, column=column)
    for name in names:
        if name not in COLUMNS:
            report.add(1, name, RegionProblem.UNKNOWN_COLUMN, source=label, column=name)
    return len(report.errors) == before


def _parse_row(
    line: int, label: str, record: Mapping[str, Any], report: RegionImportReport
) -> tuple[str | None, _Row | None]:
    """The row's code if well-formed, and the row if nothing in it is wrong."""
    values = {(k or "").strip().lower(): str(v or "").strip() for k, v in record.items()}
    before = len(report.errors)
    code = normalize_code(values.get("code", ""))
    if not values.get("code"):
        report.add(line, "code", RegionProblem.REQUIRED, source=label)
    elif code is None:
        report.add(line, "code", RegionProblem.BAD_CODE, source=label)
    name = values.get("name", "")
    if not name:
        report.add(line, "name", RegionProblem.REQUIRED, source=label)
    elif len(name) > NAME_MAX_LENGTH:
        report.add(line, "name", RegionProblem.TOO_LONG, source=label, limit=NAME_MAX_LENGTH)

    level = values.get("level", "").lower()
    if level and level not in RegionLevel.values:
        report.add(line, "level", RegionProblem.BAD_LEVEL, source=label)
    elif level and code is not None and level != LEVEL_BY_DEPTH[code.count(".") + 1]:
        expected_level = LEVEL_BY_DEPTH[code.count(".") + 1].value
        report.add(line, "level", RegionProblem.LEVEL_MISMATCH, source=label, level=expected_level)

    parent_column = next((c for c in PARENT_COLUMNS if values.get(c)), "")
    if parent_column and code is not None:
        expected = parent_code(code)
        if normalize_code(values[parent_column]) != expected:
            report.add(
                line,
                parent_column,
                RegionProblem.PARENT_MISMATCH,
                source=label,
                parent=expected or "-",
            )
    if len(report.errors) > before or code is None:
        return code, None
    return code, _Row(line, label, code, name, parent_column or "code")


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), QUERY_CHUNK):
        yield items[start : start + QUERY_CHUNK]


def _existing(codes: set[str]) -> dict[str, tuple[int, str, str, int | None]]:
    """code -> (id, name, level, parent_id) for the given codes already stored."""
    found: dict[str, tuple[int, str, str, int | None]] = {}
    for chunk in _chunks(sorted(codes)):
        for code, *rest in Region.objects.filter(code__in=chunk).values_list(
            "code", "id", "name", "level", "parent_id"
        ):
            found[code] = tuple(rest)  # type: ignore[assignment]
    return found


def _write(
    rows: dict[str, _Row],
    existing: dict[str, tuple[int, str, str, int | None]],
    report: RegionImportReport,
) -> None:
    ids = {code: values[0] for code, values in existing.items()}
    changed: list[Region] = []
    with transaction.atomic():
        # Parents before children, so each level's new rows know their parent's id.
        for depth in range(1, len(PART_WIDTHS) + 1):
            level = LEVEL_BY_DEPTH[depth]
            new: list[Region] = []
            for code, row in rows.items():
                if code.count(".") + 1 != depth:
                    continue
                parent = parent_code(code)
                parent_id = ids[parent] if parent else None
                if code not in existing:
                    new.append(Region(code=code, name=row.name, level=level, parent_id=parent_id))
                elif existing[code][1:] != (row.name, level, parent_id):
                    changed.append(
                        Region(id=ids[code], name=row.name, level=level, parent_id=parent_id)
                    )
            # Both supported backends (SQLite >= 3.35, PostgreSQL) return the new ids.
            Region.objects.bulk_create(new, batch_size=2000)
            ids.update((region.code, region.pk) for region in new)
            report.created += len(new)
        Region.objects.bulk_update(changed, ["name", "level", "parent"], batch_size=500)
    report.updated = len(changed)
    report.unchanged = len(rows) - report.created - report.updated
