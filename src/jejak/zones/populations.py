"""Import of kecamatan populations from CSV, all or nothing (`jejak import-populations`).

One row per kecamatan and year: `code,name,population,year,source,is_estimate`. The
code is the kecamatan's Kemendagri code (36.71.05, or undotted 367105), which must exist
(`jejak import-regions` first); `name` is optional and, when given, only checked against
the stored region (spaces and case aside), which catches a shifted column of codes.
`is_estimate` says whether the figure is official (BPS: the census, "Dalam Angka") or a
stand-in: `ya`/`tidak` (or true/false, yes/no, 1/0). Re-importing a kecamatan and year
replaces its figure; nothing is ever deleted. docs/zones.md.
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
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jejak.audit import service as audit
from jejak.core.row_report import RowReport
from jejak.regions.imports import normalize_code
from jejak.regions.models import Region, RegionLevel
from jejak.zones.models import Population

COLUMNS = ("code", "name", "population", "year", "source", "is_estimate")
REQUIRED_COLUMNS = ("code", "population", "year", "source", "is_estimate")
SOURCE_MAX_LENGTH = Population._meta.get_field("source").max_length or 200
# Java's largest city is under 11 million; a kecamatan of 50 million is a typo.
MAX_POPULATION = 50_000_000
# Indonesia's first census.
FIRST_YEAR = 1961
TRUE_WORDS = frozenset({"ya", "yes", "y", "true", "1", "estimate", "perkiraan"})
FALSE_WORDS = frozenset({"tidak", "no", "n", "false", "0", "official", "resmi"})
# 248210, or with thousands separated by dots (Indonesian) or commas: 248.210, 248,210.
_POPULATION = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3}(?:\1[0-9]{3})*)?|[0-9]+")
_YEAR = re.compile(r"[0-9]{4}")


class PopulationProblem(models.TextChoices):
    """Why a row (or the file) was refused; the value is the stable code."""

    BAD_FILE = "bad_file", _("Berkas tidak bisa dibaca sebagai CSV UTF-8.")
    EMPTY_FILE = "empty_file", _("Berkas kosong: tidak ada baris judul atau baris data.")
    MISSING_COLUMN = "missing_column", _("Kolom wajib '%(column)s' tidak ada.")
    UNKNOWN_COLUMN = "unknown_column", _("Kolom '%(column)s' tidak dikenal.")
    REQUIRED = "required", _("Wajib diisi.")
    TOO_LONG = "too_long", _("Terlalu panjang (maks. %(limit)s karakter).")
    BAD_CODE = (
        "bad_code",
        _("Kode kecamatan tidak sah: tiga bagian angka dipisah titik, mis. 36.71.05."),
    )
    UNKNOWN_REGION = (
        "unknown_region",
        _("Kecamatan %(code)s belum ada; impor wilayahnya dulu (jejak import-regions)."),
    )
    NAME_MISMATCH = "name_mismatch", _("Nama tidak sesuai kode (tercatat: %(name)s).")
    BAD_POPULATION = (
        "bad_population",
        _("Jumlah penduduk harus bilangan bulat 1 sampai %(limit)s."),
    )
    BAD_YEAR = "bad_year", _("Tahun harus antara %(first)s dan %(last)s.")
    BAD_FLAG = "bad_flag", _("Isi dengan ya (perkiraan) atau tidak (angka resmi).")
    DUPLICATE = "duplicate", _("Kecamatan dan tahun sama dengan baris %(line)s.")


@dataclass
class PopulationImportReport(RowReport):
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    name: str
    population: int
    year: int
    source: str
    is_estimate: bool


Source = str | os.PathLike[str] | Iterable[Mapping[str, Any]]


def import_populations(source: Source, *, actor: Any = None) -> PopulationImportReport:
    """Create or replace the populations in a CSV file (or row dicts), all or nothing:
    every bad row is reported, and if there is any, nothing is written."""
    report = PopulationImportReport()
    label, header, records = _open(source, report)
    if label is None or not _check_header(header, report):
        return report
    rows: dict[tuple[str, int], _Row] = {}
    for line, record in records:
        if not any(str(value or "").strip() for value in record.values()):
            continue
        report.rows += 1
        row = _parse_row(line, record, report)
        if row is None:
            continue
        first = rows.get((row.code, row.year))
        if first is not None:
            report.add(line, "code", PopulationProblem.DUPLICATE, row.code, line=first.line)
            continue
        rows[(row.code, row.year)] = row
    if report.rows == 0 and report.ok:
        report.add(0, "", PopulationProblem.EMPTY_FILE)
        return report
    regions = _check_regions(rows.values(), report)
    report.errors.sort(key=lambda e: e.line)
    if report.ok:
        _write(rows, regions, report, actor=actor, label=label)
    return report


def _open(
    source: Source, report: PopulationImportReport
) -> tuple[str | None, Sequence[str], Iterator[tuple[int, Mapping[str, Any]]]]:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            report.add(0, "", PopulationProblem.BAD_FILE)
            return None, (), iter(())
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = reader.fieldnames or ()
        except csv.Error:
            report.add(0, "", PopulationProblem.BAD_FILE)
            return None, (), iter(())
        return path.name, header, _csv_records(reader, report)
    records = list(source)
    header = list(records[0]) if records else []
    return "", header, ((n, r) for n, r in enumerate(records, start=2))


def _csv_records(
    reader: csv.DictReader[str], report: PopulationImportReport
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    try:
        # Numbered as a spreadsheet shows rows: the header is row 1.
        yield from enumerate(reader, start=2)
    except csv.Error:
        report.add(0, "", PopulationProblem.BAD_FILE)


def _check_header(header: Sequence[str], report: PopulationImportReport) -> bool:
    names = [(h or "").strip().lower() for h in header]
    if not names:
        report.add(0, "", PopulationProblem.EMPTY_FILE)
        return False
    before = len(report.errors)
    for column in REQUIRED_COLUMNS:
        if column not in names:
            report.add(1, column, PopulationProblem.MISSING_COLUMN, column=column)
    for name in names:
        if name not in COLUMNS:
            report.add(1, name, PopulationProblem.UNKNOWN_COLUMN, column=name)
    return len(report.errors) == before


def _parse_row(line: int, record: Mapping[str, Any], report: PopulationImportReport) -> _Row | None:
    values = {(k or "").strip().lower(): str(v or "").strip() for k, v in record.items()}
    before = len(report.errors)

    raw_code = values.get("code", "")
    code = normalize_code(raw_code)
    if not raw_code:
        report.add(line, "code", PopulationProblem.REQUIRED)
    elif code is None or code.count(".") != 2:
        report.add(line, "code", PopulationProblem.BAD_CODE, raw_code)
        code = None

    raw_population = values.get("population", "")
    population = None
    if not raw_population:
        report.add(line, "population", PopulationProblem.REQUIRED)
    elif _POPULATION.fullmatch(raw_population):
        population = int(re.sub(r"[.,]", "", raw_population))
    if raw_population and (population is None or not 1 <= population <= MAX_POPULATION):
        report.add(
            line,
            "population",
            PopulationProblem.BAD_POPULATION,
            raw_population,
            limit=f"{MAX_POPULATION:,}".replace(",", "."),
        )
        population = None

    raw_year = values.get("year", "")
    last_year = timezone.localdate().year
    year = int(raw_year) if _YEAR.fullmatch(raw_year) else None
    if not raw_year:
        report.add(line, "year", PopulationProblem.REQUIRED)
    elif year is None or not FIRST_YEAR <= year <= last_year:
        report.add(
            line, "year", PopulationProblem.BAD_YEAR, raw_year, first=FIRST_YEAR, last=last_year
        )
        year = None

    source = values.get("source", "")
    if not source:
        report.add(line, "source", PopulationProblem.REQUIRED)
    elif len(source) > SOURCE_MAX_LENGTH:
        report.add(line, "source", PopulationProblem.TOO_LONG, limit=SOURCE_MAX_LENGTH)

    raw_flag = values.get("is_estimate", "").lower()
    is_estimate = None
    if not raw_flag:
        report.add(line, "is_estimate", PopulationProblem.REQUIRED)
    elif raw_flag in TRUE_WORDS:
        is_estimate = True
    elif raw_flag in FALSE_WORDS:
        is_estimate = False
    else:
        report.add(line, "is_estimate", PopulationProblem.BAD_FLAG, raw_flag)

    if len(report.errors) > before:
        return None
    assert code is not None and population is not None and year is not None
    assert is_estimate is not None
    return _Row(line, code, values.get("name", ""), population, year, source, is_estimate)


def _plain(name: str) -> str:
    return re.sub(r"\s+", "", name).casefold()


def _check_regions(rows: Iterable[_Row], report: PopulationImportReport) -> dict[str, Region]:
    """The stored kecamatan of the rows, each row's code and name checked against them."""
    rows = list(rows)
    found = {
        region.code: region
        for region in Region.objects.filter(
            code__in={row.code for row in rows}, level=RegionLevel.DISTRICT
        )
    }
    for row in rows:
        region = found.get(row.code)
        if region is None:
            report.add(row.line, "code", PopulationProblem.UNKNOWN_REGION, row.code, code=row.code)
        elif row.name and _plain(row.name) != _plain(region.name):
            report.add(
                row.line, "name", PopulationProblem.NAME_MISMATCH, row.name, name=region.name
            )
    return found


def _write(
    rows: dict[tuple[str, int], _Row],
    regions: dict[str, Region],
    report: PopulationImportReport,
    *,
    actor: Any,
    label: str,
) -> None:
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (p.region_id, p.year): p
            for p in Population.objects.select_for_update().filter(
                region__in=list(regions.values()), year__in={row.year for row in rows.values()}
            )
        }
        new, changed = [], []
        for row in rows.values():
            region = regions[row.code]
            stored = existing.get((region.pk, row.year))
            if stored is None:
                new.append(
                    Population(
                        region=region,
                        year=row.year,
                        population=row.population,
                        source=row.source,
                        is_estimate=row.is_estimate,
                        imported_at=now,
                    )
                )
            elif (stored.population, stored.source, stored.is_estimate) != (
                row.population,
                row.source,
                row.is_estimate,
            ):
                stored.population, stored.source = row.population, row.source
                stored.is_estimate, stored.imported_at = row.is_estimate, now
                changed.append(stored)
        Population.objects.bulk_create(new)
        Population.objects.bulk_update(
            changed, ["population", "source", "is_estimate", "imported_at"]
        )
        report.created, report.updated = len(new), len(changed)
        report.unchanged = len(rows) - report.created - report.updated
        audit.record(
            actor=actor,
            action="zones.populations.import",
            filename=label,
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        )
