"""Bulk registration of venues from a CSV or XLSX sheet: every row, or none.

A city sends its list (339 venues in Kota Tangerang's first round) as a spreadsheet. Every
row is checked and every problem reported with its row number and column, so the sheet
can be fixed in one pass; only a sheet without problems is written, in one transaction.
Lookups are preloaded into dicts, so the cost is a few queries whatever the row count.

Columns and an example are in docs/importing.md.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from jejak.accounts.capabilities import Cap, has_capability
from jejak.accounts.jurisdiction import region_checker
from jejak.audit import service as audit
from jejak.regions.imports import QUERY_CHUNK, normalize_code
from jejak.regions.models import Region
from jejak.sectors.models import Sector
from jejak.venues.import_problems import COLUMNS, MAX_FILE_BYTES, ImportReport, Problem
from jejak.venues.import_table import CONTROL_CHARS, read_bytes, read_table
from jejak.venues.models import SHORT_CODE_VALIDATOR, EntryPoint, Venue

if TYPE_CHECKING:
    from jejak.accounts.models import User

MAX_ENTRANCES = 20
MAX_STAY_MINUTES = 7 * 24 * 60
MAX_CAPACITY = 2_147_483_647  # PositiveIntegerField's ceiling on every backend
ENTRANCE_SEPARATOR = "|"
DEFAULT_ENTRANCE = "Pintu Utama"

# When nobody checks out, tracing assumes this stay (peers use a per-venue-type default;
# see docs/DOMAIN). Keyed by the top-level sector; a sub-sector inherits its parent's.
DEFAULT_STAY_MINUTES = {
    "rumah-makan": 60,  # PPKM level 2 capped dine-in at 60 minutes
    "toko": 60,
    "terminal": 60,
    "pusat-perbelanjaan": 180,
    "tempat-wisata": 240,
    "sekolah": 420,  # a school day
    "kantor-pemerintahan": 600,  # a working day, arrival to departure
    "hotel": 1440,  # overnight guests; Luca checks out after 24 h
    "apartemen": 1440,
}
FALLBACK_STAY_MINUTES = 120

_PHONE = re.compile(r"[0-9+\-() ]+")


def import_venues(file: str | os.PathLike[str] | IO[bytes], *, actor: User | None) -> ImportReport:
    """Register every venue in a CSV/XLSX sheet with its entrances, or none and say why.

    `actor` None is the system (a command run by IT staff): any region. Otherwise the actor
    needs Cap.IMPORT_VENUES and may only import into their own region.
    """
    if actor is not None and not has_capability(actor, Cap.IMPORT_VENUES):
        raise PermissionDenied(Cap.IMPORT_VENUES.value)
    filename, data = read_bytes(file)
    report = ImportReport(filename=filename)
    if len(data) > MAX_FILE_BYTES:
        report.add(0, "", Problem.TOO_LARGE, limit=MAX_FILE_BYTES // (1024 * 1024))
        return report
    table = read_table(data, report)
    if table is None:
        return report
    header, records = table
    rows = [(line, dict(zip(header, cells, strict=True))) for line, cells in records]
    report.rows = len(rows)
    lookups = _Lookups.load(rows, actor)
    parsed = [_parse_row(line, row, lookups, report) for line, row in rows]
    if report.ok:
        _save([p for p in parsed if p is not None], actor, report)
    return report


EXAMPLE_ROWS = (
    # Phone numbers without a leading "+": a spreadsheet would read "+62 ..." as a formula.
    ("TNG-HOTEL-001", "Hotel Contoh", "hotel", "36.71.01", "Jl. Daan Mogot No. 1",
     "-6.178306", "106.631889", "300", "", "Budi Santoso", "Manajer", "budi@example.org",
     "0812-0000-0001", "Pintu Utama|Pintu Parkir"),
    ("TNG-RM-001", "Rumah Makan Contoh", "Rumah Makan", "36.71.02", "", "", "", "40", "45",
     "Siti Aminah", "Pemilik", "", "", ""),
)  # fmt: skip


def template_csv() -> str:
    """A sheet to start from: every column and two example rows (Kota Tangerang)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(EXAMPLE_ROWS)
    return buffer.getvalue()


# Checking ----------------------------------------------------------------------------------


@dataclass
class _Lookups:
    """Everything rows are checked against, loaded once: no query per row."""

    sectors: dict[str, Sector]
    stay_by_sector: dict[int, int]
    regions: dict[str, Region]
    taken: set[str]
    may_import_into: Callable[[Region], bool]
    first_line: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, rows: list[tuple[int, dict[str, str]]], actor: User | None) -> _Lookups:
        all_sectors = list(Sector.objects.all())
        by_id = {s.pk: s for s in all_sectors}
        sectors: dict[str, Sector] = {}
        stay_by_sector: dict[int, int] = {}
        for sector in all_sectors:
            for key in (sector.slug, sector.name_id, sector.name_en):
                sectors.setdefault(key.strip().casefold(), sector)
            root = sector
            while root.parent_id is not None and root.parent_id in by_id:
                root = by_id[root.parent_id]
            stay_by_sector[sector.pk] = DEFAULT_STAY_MINUTES.get(root.slug, FALLBACK_STAY_MINUTES)

        region_codes = {normalize_code(row.get("region", "")) for _, row in rows} - {None}
        regions: dict[str, Region] = {}
        for chunk in _chunks(sorted(c for c in region_codes if c)):
            regions.update((r.code, r) for r in Region.objects.filter(code__in=chunk))

        # Only codes that can be valid are looked up: a NUL byte in a cell would fail the
        # query on PostgreSQL; the row itself is refused as bad_short_code later.
        short_codes = sorted(
            code
            for code in {row.get("short_code", "").upper() for _, row in rows} - {""}
            if _valid_short_code(code)
        )
        taken: set[str] = set()
        for chunk in _chunks(short_codes):
            taken.update(
                Venue.objects.filter(short_code__in=chunk).values_list("short_code", flat=True)
            )
        return cls(sectors, stay_by_sector, regions, taken, region_checker(actor))


def _valid_short_code(code: str) -> bool:
    try:
        SHORT_CODE_VALIDATOR(code)
    except ValidationError:
        return False
    return True


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), QUERY_CHUNK):
        yield items[start : start + QUERY_CHUNK]


def _max_length(name: str) -> int:
    return _MAX_LENGTHS[name]


_MAX_LENGTHS = {
    f.name: f.max_length for f in Venue._meta.concrete_fields if f.max_length is not None
}


@dataclass
class _Parsed:
    venue: Venue
    entrances: list[str]


class _Row:
    """One data row being checked; each getter reports its own problem and returns None."""

    def __init__(self, line: int, cells: dict[str, str], report: ImportReport) -> None:
        self.line, self.cells, self.report = line, cells, report
        self.failed = False

    def fail(self, column: str, problem: Problem, **params: Any) -> None:
        self.failed = True
        self.report.add(self.line, column, problem, self.cells.get(column, ""), **params)

    def text(self, column: str, *, limit: int, required: bool = False) -> str:
        """The cell's text, or "" (and a reported problem) if missing, too long or garbled."""
        value = self.cells.get(column, "")
        if required and not value:
            self.fail(column, Problem.REQUIRED)
        elif len(value) > limit:
            self.fail(column, Problem.TOO_LONG, limit=limit)
        elif CONTROL_CHARS.search(value):
            self.fail(column, Problem.CONTROL_CHARACTERS)
        else:
            return value
        return ""

    def integer(self, column: str, problem: Problem, *, high: int, **params: Any) -> int | None:
        value = self.cells.get(column, "")
        try:
            number = int(value) if value.isascii() and len(value) <= 12 else None
        except ValueError:
            number = None
        if number is None or not 1 <= number <= high:
            self.fail(column, problem, **params)
            return None
        return number

    def coordinate(self, column: str, bound: int) -> Decimal | None:
        value = self.cells.get(column, "")
        if "." not in value:
            value = value.replace(",", ".")  # a decimal comma from an Indonesian locale
        try:
            number = Decimal(value) if value.isascii() and len(value) <= 20 else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) > bound:
            self.fail(column, Problem.BAD_COORDINATES)
            return None
        return number.quantize(Decimal("0.000001"))


def _parse_row(
    line: int, cells: dict[str, str], lookups: _Lookups, report: ImportReport
) -> _Parsed | None:
    row = _Row(line, cells, report)

    short_code = row.text("short_code", limit=_max_length("short_code"), required=True).upper()
    if short_code:
        try:
            SHORT_CODE_VALIDATOR(short_code)
        except ValidationError:
            row.fail("short_code", Problem.BAD_SHORT_CODE)
        else:
            if short_code in lookups.first_line:
                first = lookups.first_line[short_code]
                row.fail("short_code", Problem.DUPLICATE_SHORT_CODE, line=first)
            elif short_code in lookups.taken:
                row.fail("short_code", Problem.SHORT_CODE_TAKEN)
            else:
                lookups.first_line[short_code] = line

    name = row.text("name", limit=_max_length("name"), required=True)

    sector = None
    if row.text("sector", limit=100, required=True):
        sector = lookups.sectors.get(cells["sector"].casefold())
        if sector is None:
            row.fail("sector", Problem.UNKNOWN_SECTOR)

    region = None
    if row.text("region", limit=20, required=True):
        code = normalize_code(cells["region"])
        region = lookups.regions.get(code) if code else None
        if region is None:
            row.fail("region", Problem.UNKNOWN_REGION)
        elif not lookups.may_import_into(region):
            row.fail("region", Problem.OUTSIDE_JURISDICTION)

    capacity = None
    if row.text("capacity", limit=20, required=True):
        capacity = row.integer("capacity", Problem.BAD_CAPACITY, high=MAX_CAPACITY)

    stay = None
    if cells.get("default_stay_minutes"):
        stay = row.integer(
            "default_stay_minutes", Problem.BAD_STAY, high=MAX_STAY_MINUTES, limit=MAX_STAY_MINUTES
        )

    latitude = longitude = None
    has_lat, has_lon = bool(cells.get("latitude")), bool(cells.get("longitude"))
    if has_lat != has_lon:
        row.fail("longitude" if has_lat else "latitude", Problem.INCOMPLETE_COORDINATES)
    elif has_lat:
        latitude, longitude = row.coordinate("latitude", 90), row.coordinate("longitude", 180)

    address = row.text("address", limit=_max_length("address"))
    coordinator_name = row.text("coordinator_name", limit=_max_length("coordinator_name"))
    position = row.text("coordinator_position", limit=_max_length("coordinator_position"))
    email = row.text("coordinator_email", limit=_max_length("coordinator_email"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.fail("coordinator_email", Problem.BAD_EMAIL)
    phone = row.text("coordinator_phone", limit=_max_length("coordinator_phone"))
    if phone and not _PHONE.fullmatch(phone):
        row.fail("coordinator_phone", Problem.BAD_PHONE)

    entrances = _entrances(row)

    if row.failed or sector is None or region is None or capacity is None:
        return None
    venue = Venue(
        short_code=short_code,
        name=name,
        sector=sector,
        region=region,
        address=address,
        latitude=latitude,
        longitude=longitude,
        capacity=capacity,
        default_stay_minutes=stay or lookups.stay_by_sector[sector.pk],
        coordinator_name=coordinator_name,
        coordinator_position=position,
        coordinator_email=email,
        coordinator_phone=phone,
    )
    return _Parsed(venue, entrances)


def _entrances(row: _Row) -> list[str]:
    raw = row.text("entrances", limit=5000)
    names = [n.strip() for n in raw.split(ENTRANCE_SEPARATOR) if n.strip()] or [DEFAULT_ENTRANCE]
    limit = EntryPoint._meta.get_field("name").max_length or 100
    seen: set[str] = set()
    for name in names:
        if len(name) > limit:
            row.fail("entrances", Problem.TOO_LONG, limit=limit)
        # Case-insensitive: "Pintu Utara" and "pintu utara" would be one door on site.
        elif name.casefold() in seen:
            row.fail("entrances", Problem.DUPLICATE_ENTRANCE, name=name)
        seen.add(name.casefold())
    if len(names) > MAX_ENTRANCES:
        row.fail("entrances", Problem.TOO_MANY_ENTRANCES, limit=MAX_ENTRANCES)
    return names


# Writing -----------------------------------------------------------------------------------


def _save(parsed: list[_Parsed], actor: User | None, report: ImportReport) -> None:
    try:
        with transaction.atomic():
            # Both supported backends (SQLite >= 3.35, PostgreSQL) return the new ids.
            Venue.objects.bulk_create([p.venue for p in parsed], batch_size=500)
            doors = [
                EntryPoint(venue_id=p.venue.pk, name=name, position=position)
                for p in parsed
                for position, name in enumerate(p.entrances)
            ]
            EntryPoint.objects.bulk_create(doors, batch_size=1000)
            audit.record(
                actor=actor,
                action="venue.import",
                filename=report.filename,
                count=len(parsed),
                entry_points=len(doors),
            )
    except IntegrityError:
        # Another import or form took one of these short codes after we checked them.
        report.add(0, "short_code", Problem.CONFLICT)
        return
    report.created, report.entry_points = len(parsed), len(doors)
