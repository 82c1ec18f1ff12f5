"""Reading a venue import file: CSV (comma or semicolon, UTF-8 with or without BOM) or
XLSX, into the header and rows of text, refusing what cannot be read."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from jejak.venues.import_problems import (
    COLUMNS,
    MAX_CELLS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_XLSX_UNPACKED_BYTES,
    REQUIRED_COLUMNS,
    ImportReport,
    Problem,
)

# core/exports.py prefixes an apostrophe to cells a spreadsheet would run as formulas;
# taking it off again lets an exported sheet be imported unchanged.
ESCAPED_FORMULA = ("'=", "'+", "'-", "'@")


CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


# Reading -----------------------------------------------------------------------------------


def read_bytes(file: str | os.PathLike[str] | IO[bytes]) -> tuple[str, bytes]:
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        return path.name, path.read_bytes()
    name = os.path.basename(str(getattr(file, "name", "") or ""))
    # One byte over the limit is enough to know it is too large.
    data = file.read(MAX_FILE_BYTES + 1)
    return name, data.encode() if isinstance(data, str) else data


def read_table(
    data: bytes, report: ImportReport
) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """The header (normalised names) and the non-blank data rows, or None after reporting."""
    if data.startswith(_XLS_MAGIC):
        report.add(0, "", Problem.BAD_FILE)
        return None
    rows = _xlsx_rows(data, report) if data.startswith(_XLSX_MAGIC) else _csv_rows(data, report)
    first = next(rows, None)
    if first is None or not any(cell.strip() for cell in first):
        if report.ok:
            report.add(0, "", Problem.EMPTY_FILE)
        return None
    header = [_column_name(cell) for cell in first]
    width = len(header)
    records: list[tuple[int, list[str]]] = []
    for line, cells in enumerate(rows, start=2):
        cells = [_clean(cell) for cell in cells]
        if not any(cells):
            continue
        if len(records) == MAX_ROWS:
            # Counted after skipping blank rows, so nothing is ever cut off silently.
            report.add(0, "", Problem.TOO_MANY_ROWS, limit=MAX_ROWS)
            return None
        cells += [""] * (width - len(cells))
        if any(cells[width:]) or any(v for h, v in zip(header, cells, strict=False) if not h):
            report.add(line, "", Problem.EXTRA_CELLS)
        records.append((line, cells[:width]))
    if report.ok and not records:
        report.add(0, "", Problem.EMPTY_FILE)
    _check_header(header, report)
    return (header, records) if report.ok else None


def _csv_rows(data: bytes, report: ImportReport) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add(0, "", Problem.BAD_ENCODING)
        return
    # Spreadsheets in an Indonesian locale save with ";" (the comma is the decimal mark).
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        report.add(0, "", Problem.BAD_FILE)


def _xlsx_rows(data: bytes, report: ImportReport) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        unpacked = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            report.add(0, "", Problem.XLSX_TOO_LARGE, limit=MAX_XLSX_UNPACKED_BYTES // 2**20)
            return
        # data_only: the values a person sees, not the formulas behind them.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            cells = 0
            for row in book.worksheets[0].iter_rows(values_only=True):
                cells += len(row)
                if cells > MAX_CELLS:
                    report.add(0, "", Problem.TOO_MANY_CELLS, limit=MAX_CELLS)
                    return
                yield [_cell_text(value) for value in row]
        finally:
            book.close()
    # openpyxl raises many types (zipfile, XML, KeyError, ValueError) on a damaged or
    # hostile file; whichever it is, the answer to the user is the same.
    except Exception:
        report.add(0, "", Problem.BAD_FILE)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _clean(cell: str) -> str:
    cell = cell.strip()
    return cell[1:] if cell.startswith(ESCAPED_FORMULA) else cell


def _column_name(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", cell.strip().lower())


def _check_header(header: Sequence[str], report: ImportReport) -> None:
    named = [h for h in header if h]
    for column in REQUIRED_COLUMNS:
        if column not in named:
            report.add(1, column, Problem.MISSING_COLUMN, column=column)
    for column in dict.fromkeys(named):
        if column not in COLUMNS:
            report.add(1, column, Problem.UNKNOWN_COLUMN, column, column=column)
        elif named.count(column) > 1:
            report.add(1, column, Problem.DUPLICATE_COLUMN, column=column)
