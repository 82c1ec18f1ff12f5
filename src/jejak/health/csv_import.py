"""Health records from a CSV sheet: one row per record, every row or none.

For sources without FHIR (a district's vaccination register, a lab's spreadsheet, the port
health office's quarantine list). Every row is checked and every problem reported with its
line and column, so the sheet can be fixed in one pass; the file is the unit of import.
The format, with an example, is in docs/health-import.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.utils import timezone

from jejak.health import codes
from jejak.health.models import (
    Designation,
    DesignationKind,
    HealthRecord,
    LabMethod,
    LabOutcome,
    LabResult,
    Source,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)
from jejak.health.report import (
    Batch,
    ImportReport,
    Problem,
    RecordType,
    date_problem,
    is_valid_nik,
    moment_problem,
    nik_district,
    nik_index_for,
)

COLUMNS = (
    "nik",
    "record_type",
    "date",
    "end_date",
    "datetime",
    "dose_number",
    "product",
    "product_code",
    "method",
    "result",
    "lab",
    "reason",
)
REQUIRED_COLUMNS = ("nik", "record_type")

# Which columns each record type uses; any other column must be empty in its rows, which
# catches a sheet whose columns slipped by one.
USES: dict[RecordType, frozenset[str]] = {
    RecordType.VACCINATION: frozenset({"date", "dose_number", "product", "product_code"}),
    RecordType.LAB_RESULT: frozenset({"datetime", "method", "result", "lab"}),
    RecordType.POSITIVE_CASE: frozenset({"datetime", "reason"}),
    RecordType.CLOSE_CONTACT: frozenset({"datetime", "reason"}),
    RecordType.QUARANTINE: frozenset({"date", "end_date"}),
    RecordType.EXEMPTION: frozenset({"date", "end_date", "reason"}),
}

MAX_ROWS = 100_000
MAX_DOSE_NUMBER = 20

METHODS = {"pcr": LabMethod.PCR, "naat": LabMethod.PCR, "antigen": LabMethod.ANTIGEN}
RESULTS = {
    "positive": LabOutcome.POSITIVE,
    "positif": LabOutcome.POSITIVE,
    "negative": LabOutcome.NEGATIVE,
    "negatif": LabOutcome.NEGATIVE,
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)
# What Excel makes of a 16-digit number in a General column: 3.67101E+15 (or 3,67E+15).
_SCIENTIFIC = re.compile(r"[0-9]+([.,][0-9]+)?[eE]\+?[0-9]+")


def _max(model: type[HealthRecord], name: str) -> int:
    return getattr(model._meta.get_field(name), "max_length", None) or 0


LIMITS = {
    "product": _max(VaccinationDose, "product"),
    "product_code": _max(VaccinationDose, "product_code"),
    "lab": _max(LabResult, "lab"),
    "reason": _max(Designation, "reason"),
}


def read_csv(data: bytes, report: ImportReport) -> Batch:
    """Parse and check a sheet; every problem goes to `report`, the records to the batch."""
    report.format = "csv"
    batch = Batch()
    table = _read_table(data, report)
    if table is None:
        return batch
    header, rows = table
    for line, cells in rows:
        _parse_row(line, dict(zip(header, cells, strict=True)), batch, report)
    report.records = len(batch)
    report.people = batch.people()
    return batch


# Reading -------------------------------------------------------------------------------------


def _read_table(
    data: bytes, report: ImportReport
) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """The header (normalised names) and the non-blank data rows, or None after reporting."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add(Problem.BAD_ENCODING, line=0)
        return None
    # Spreadsheets in an Indonesian locale save with ";" (the comma is the decimal mark).
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = _rows(text, delimiter, report)
    first = next(rows, None)
    if first is None or not any(cell.strip() for cell in first):
        if report.ok:
            report.add(Problem.EMPTY_FILE, line=0)
        return None
    header = [re.sub(r"[\s-]+", "_", cell.strip().lower()) for cell in first]
    width = len(header)
    records: list[tuple[int, list[str]]] = []
    for line, raw in enumerate(rows, start=2):
        cells = [cell.strip() for cell in raw]
        if not any(cells):
            continue
        if len(records) == MAX_ROWS:
            report.add(Problem.TOO_MANY_RECORDS, line=0, limit=MAX_ROWS)
            return None
        cells += [""] * (width - len(cells))
        if any(cells[width:]) or any(v for h, v in zip(header, cells, strict=False) if not h):
            report.add(Problem.EXTRA_CELLS, line=line)
        records.append((line, cells[:width]))
    if not report.ok:
        return None  # a damaged file: the header check would only add noise
    if not records:
        report.add(Problem.EMPTY_FILE, line=0)
    _check_header(header, report)
    return (header, records) if report.ok else None


def _rows(text: str, delimiter: str, report: ImportReport) -> Iterator[list[str]]:
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        report.add(Problem.BAD_FILE, line=0)


def _check_header(header: list[str], report: ImportReport) -> None:
    named = [h for h in header if h]
    for column in REQUIRED_COLUMNS:
        if column not in named:
            report.add(Problem.MISSING_COLUMN, line=1, column=column)
    for column in dict.fromkeys(named):
        if column not in COLUMNS:
            report.add(Problem.UNKNOWN_COLUMN, line=1, column=column[:40])
        elif named.count(column) > 1:
            report.add(Problem.DUPLICATE_COLUMN, line=1, column=column)


# Checking ------------------------------------------------------------------------------------


class _Row:
    """One data row being checked; each getter reports its own problem and returns None."""

    def __init__(self, line: int, cells: dict[str, str], report: ImportReport) -> None:
        self.line, self.cells, self.report = line, cells, report
        self.failed = False
        self.district = ""  # the NIK's kecamatan, once the NIK is read

    def fail(self, column: str, problem: Problem, *, show: bool = True, **params: Any) -> None:
        self.failed = True
        value = self.cells.get(column, "") if show else ""
        self.report.add(problem, line=self.line, column=column, value=value, **params)

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.cells.get(column, "")
        limit = LIMITS.get(column, 100)
        if required and not value:
            self.fail(column, Problem.REQUIRED)
        elif len(value) > limit:
            self.fail(column, Problem.TOO_LONG, limit=limit)
        elif _CONTROL.search(value):
            self.fail(column, Problem.CONTROL_CHARACTERS)
        else:
            return value
        return ""

    def nik_index(self) -> str | None:
        # A leading apostrophe is how a spreadsheet user forces a cell to text.
        nik = self.cells.get("nik", "").removeprefix("'").strip()
        # The NIK itself never goes into a report: `show=False`.
        if not nik:
            self.fail("nik", Problem.REQUIRED, show=False)
        elif _SCIENTIFIC.fullmatch(nik):
            self.fail("nik", Problem.NIK_AS_NUMBER, show=False)
        elif not is_valid_nik(nik):
            self.fail("nik", Problem.BAD_NIK, show=False)
        else:
            self.district = nik_district(nik)
            return nik_index_for(nik)
        return None

    def date(self, column: str, *, past_only: bool) -> dt.date | None:
        value = self.cells.get(column, "")
        if not value:
            self.fail(column, Problem.REQUIRED)
            return None
        day = _parse_date(value)
        if day is None:
            self.fail(column, Problem.BAD_DATE)
            return None
        if found := date_problem(day, past_only=past_only):
            self.fail(column, found[0], **found[1])
            return None
        return day

    def moment(self, column: str, *, date_alone: bool) -> dt.datetime | None:
        """An aware datetime; a naive one is Jakarta time (WIB), the sheet's own zone."""
        value = self.cells.get(column, "")
        if not value:
            self.fail(column, Problem.REQUIRED)
            return None
        moment = _parse_datetime(value)
        day = _parse_date(value) if moment is None else None
        if day is not None:
            if not date_alone:
                self.fail(column, Problem.IMPRECISE_TIME)
                return None
            moment = dt.datetime.combine(day, dt.time())
        if moment is None:
            self.fail(column, Problem.BAD_DATETIME)
            return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_default_timezone())
        if found := moment_problem(moment):
            self.fail(column, found[0], **found[1])
            return None
        return moment

    def integer(self, column: str, problem: Problem, *, high: int) -> int | None:
        value = self.cells.get(column, "")
        if not value:
            self.fail(column, Problem.REQUIRED)
            return None
        number = int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else 0
        if not 1 <= number <= high:
            self.fail(column, problem, limit=high)
            return None
        return number


def _parse_date(value: str) -> dt.date | None:
    if not _DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _parse_datetime(value: str) -> dt.datetime | None:
    if not _DATETIME.fullmatch(value):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _parse_row(line: int, cells: dict[str, str], batch: Batch, report: ImportReport) -> None:
    row = _Row(line, cells, report)
    nik_index = row.nik_index()
    raw_type = cells.get("record_type", "")
    record_type = RecordType(raw_type.lower()) if raw_type.lower() in RecordType.values else None
    if record_type is None:
        if raw_type:
            row.fail("record_type", Problem.UNKNOWN_RECORD_TYPE)
        else:
            row.fail("record_type", Problem.REQUIRED)
        return
    for column in COLUMNS[2:]:
        if cells.get(column) and column not in USES[record_type]:
            row.fail(column, Problem.NOT_APPLICABLE, type=record_type.value)

    record = _READERS[record_type](row)
    if row.failed or record is None or nik_index is None:
        return
    record.nik_index = nik_index
    record.source = Source.CSV
    if isinstance(record, LabResult):
        record.nik_district = row.district
    conflict = batch.add(record_type, record, f"line {line}")
    if conflict is not None:
        row.fail("nik", Problem.CONFLICTING_DUPLICATE, show=False, where=conflict)


def _vaccination(row: _Row) -> HealthRecord | None:
    given_on = row.date("date", past_only=True)
    dose_number = row.integer("dose_number", Problem.BAD_DOSE_NUMBER, high=MAX_DOSE_NUMBER)
    product = row.text("product")
    product_code = row.text("product_code")
    vaccine = codes.vaccine_by_cvx(product_code) if product_code else None
    if vaccine is None and product:
        vaccine = codes.vaccine_by_name(product)
        if vaccine is not None and not vaccine.code and product_code:
            # A product without a CVX code (IndoVac): keep the sender's own (KFA, local).
            vaccine = codes.Vaccine(vaccine.product, product_code, vaccine.single_dose)
    if vaccine is None:
        if product or product_code:
            row.fail("product" if product else "product_code", Problem.UNKNOWN_VACCINE)
        elif not row.cells.get("product") and not row.cells.get("product_code"):
            row.fail("product", Problem.REQUIRED)
    if vaccine is None or given_on is None or dose_number is None:
        return None
    return VaccinationDose(
        dose_number=dose_number,
        given_on=given_on,
        product=vaccine.product,
        product_code=vaccine.code,
        single_dose_product=vaccine.single_dose,
    )


def _lab_result(row: _Row) -> HealthRecord | None:
    specimen_at = row.moment("datetime", date_alone=False)
    method = outcome = None
    if row.text("method", required=True):
        method = METHODS.get(row.cells["method"].lower())
        if method is None:
            row.fail("method", Problem.BAD_METHOD)
    if row.text("result", required=True):
        outcome = RESULTS.get(row.cells["result"].lower())
        if outcome is None:
            row.fail("result", Problem.BAD_RESULT)
    lab = row.text("lab")
    if specimen_at is None or method is None or outcome is None:
        return None
    return LabResult(method=method, result=outcome, specimen_at=specimen_at, lab=lab)


def _designation(kind: DesignationKind) -> Callable[[_Row], HealthRecord | None]:
    def read(row: _Row) -> HealthRecord | None:
        # A case is often reported by the day only; that day starts at 00:00 WIB.
        starts_at = row.moment("datetime", date_alone=True)
        reason = row.text("reason")
        if starts_at is None:
            return None
        return Designation(kind=kind, starts_at=starts_at, reason=reason)

    return read


def _quarantine(row: _Row) -> HealthRecord | None:
    starts_on = row.date("date", past_only=False)
    ends_on = row.date("end_date", past_only=False)
    if starts_on is None or ends_on is None:
        return None
    if ends_on < starts_on:
        row.fail("end_date", Problem.END_BEFORE_START)
        return None
    return TravelQuarantine(starts_on=starts_on, ends_on=ends_on)


def _exemption(row: _Row) -> HealthRecord | None:
    starts_on = row.date("date", past_only=False)
    ends_on = row.date("end_date", past_only=False) if row.cells.get("end_date") else None
    reason = row.text("reason")
    if starts_on is None:
        return None
    if ends_on is not None and ends_on < starts_on:
        row.fail("end_date", Problem.END_BEFORE_START)
        return None
    return VaccinationExemption(starts_on=starts_on, ends_on=ends_on, reason=reason)


_READERS = {
    RecordType.VACCINATION: _vaccination,
    RecordType.LAB_RESULT: _lab_result,
    RecordType.POSITIVE_CASE: _designation(DesignationKind.POSITIVE_CASE),
    RecordType.CLOSE_CONTACT: _designation(DesignationKind.CLOSE_CONTACT),
    RecordType.QUARANTINE: _quarantine,
    RecordType.EXEMPTION: _exemption,
}
