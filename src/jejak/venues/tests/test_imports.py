from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.regions.models import Region
from jejak.venues.import_problems import COLUMNS, ImportReport
from jejak.venues.imports import import_venues
from jejak.venues.models import EntryPoint, Venue, VenueStatus

GOOD = {
    "short_code": "TNG-HOTEL-001",
    "name": "Hotel Bandara",
    "sector": "hotel",
    "region": "36.71.01",
    "address": "Jl. Husein Sastranegara 1",
    "latitude": "-6.125",
    "longitude": "106.655",
    "capacity": "300",
    "coordinator_name": "Budi",
    "coordinator_position": "Manajer",
    "coordinator_email": "budi@example.org",
    "coordinator_phone": "0812-1111-2222",
    "entrances": "Pintu Utama | Pintu Parkir",
}


def row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


def sheet(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS, **fmt: Any) -> io.BytesIO:
    """A CSV upload (rows may leave columns out); `fmt` goes to csv.writer."""
    text = io.StringIO()
    writer = csv.writer(text, **fmt)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    upload = io.BytesIO(text.getvalue().encode())
    upload.name = "venues.csv"
    return upload


def problems(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.code) for e in report.errors]


def assert_nothing_stored() -> None:
    assert not Venue.objects.exists()
    assert not EntryPoint.objects.exists()
    assert not AuditEvent.objects.filter(action="venue.import").exists()


# Good sheets -------------------------------------------------------------------------------


def test_good_csv_creates_venues_entrances_and_one_audit_row(city: Region, city_admin: Any):
    upload = sheet(
        row(),
        row(
            short_code="tng-rm-001",  # lower case is accepted and stored upper case
            name="RM Sederhana",
            sector="Rumah Makan",
            region="36.71.02",
            latitude="",
            longitude="",
            capacity="40",
            coordinator_email="",
            entrances="",
        ),
    )
    report = import_venues(upload, actor=city_admin)

    assert report.ok, report.errors
    assert (report.rows, report.created, report.entry_points) == (2, 2, 3)
    hotel = Venue.objects.get(short_code="TNG-HOTEL-001")
    assert hotel.status == VenueStatus.REGISTERED
    assert hotel.region.code == "36.71.01"
    assert (hotel.latitude, hotel.longitude) == (Decimal("-6.125"), Decimal("106.655"))
    assert hotel.default_stay_minutes == 1440
    assert list(hotel.entry_points.values_list("name", "position")) == [
        ("Pintu Utama", 0),
        ("Pintu Parkir", 1),
    ]
    restaurant = Venue.objects.get(short_code="TNG-RM-001")
    assert restaurant.sector.slug == "rumah-makan"
    assert restaurant.default_stay_minutes == 60
    assert restaurant.latitude is None
    assert [e.name for e in restaurant.entry_points.all()] == ["Pintu Utama"]
    event = AuditEvent.objects.get(action="venue.import")
    assert event.actor == city_admin
    assert event.detail == {"filename": "venues.csv", "count": 2, "entry_points": 3}


def test_semicolon_csv_with_bom_and_decimal_commas(city: Region, city_admin: Any):
    text = "\ufeffShort Code;Name;Sector;Region;Capacity;Latitude;Longitude\n"
    text += "TNG-001;Mal Contoh;Shopping centres;36.71.01;5000;-6,17;106,63\n"
    upload = io.BytesIO(text.encode())
    upload.name = "mal.csv"

    report = import_venues(upload, actor=city_admin)

    assert report.ok, report.errors
    mall = Venue.objects.get(short_code="TNG-001")
    assert mall.sector.slug == "pusat-perbelanjaan"
    assert mall.default_stay_minutes == 180
    assert mall.latitude == Decimal("-6.17")


def test_good_xlsx_with_numeric_cells(city: Region, city_admin: Any, tmp_path: Path):
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["short_code", "name", "sector", "region", "capacity", "latitude", "longitude"])
    ws.append(["TNG-SMA-1", "SMA Negeri 1", "Sekolah", "36.71.02", 900, -6.1712, 106.6401])
    ws.append([None, None, None, None, None, None, None])  # spreadsheets keep blank rows
    ws.append(["TNG-PKM-1", "Puskesmas Cibodas", "puskesmas", "36.71.01", 80.0, None, None])
    path = tmp_path / "venues.xlsx"
    book.save(path)

    report = import_venues(path, actor=city_admin)

    assert report.ok, report.errors
    assert report.created == 2
    school = Venue.objects.get(short_code="TNG-SMA-1")
    assert (school.capacity, school.default_stay_minutes) == (900, 420)
    assert school.longitude == Decimal("106.640100")
    assert Venue.objects.get(short_code="TNG-PKM-1").default_stay_minutes == 120


def test_explicit_stay_and_reimported_export_escapes(city: Region, city_admin: Any):
    # core/exports.py writes "'+62..." so a spreadsheet shows text; importing undoes it.
    upload = sheet(row(default_stay_minutes="90", coordinator_phone="'+62 812 1111"))
    report = import_venues(upload, actor=city_admin)
    assert report.ok, report.errors
    venue = Venue.objects.get()
    assert (venue.default_stay_minutes, venue.coordinator_phone) == (90, "+62 812 1111")


def test_issuer_may_import_anywhere(city: Region, other_city: Region, issuer: Any):
    report = import_venues(sheet(row(region="36.74.01")), actor=issuer)
    assert report.ok, report.errors


# Bad sheets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "column", "code"),
    [
        ({"sector": "diskotek"}, "sector", "unknown_sector"),
        ({"region": "36.71.99"}, "region", "unknown_region"),
        ({"region": "kota tangerang"}, "region", "unknown_region"),
        ({"region": "36.74.01"}, "region", "outside_jurisdiction"),
        ({"short_code": "A"}, "short_code", "bad_short_code"),
        ({"short_code": "TNG 001"}, "short_code", "bad_short_code"),
        ({"short_code": ""}, "short_code", "required"),
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 201}, "name", "too_long"),
        ({"name": "Hotel\x00Zero"}, "name", "control_characters"),
        ({"address": "y" * 301}, "address", "too_long"),
        ({"capacity": ""}, "capacity", "required"),
        ({"capacity": "0"}, "capacity", "bad_capacity"),
        ({"capacity": "-5"}, "capacity", "bad_capacity"),
        ({"capacity": "banyak"}, "capacity", "bad_capacity"),
        ({"capacity": "12.5"}, "capacity", "bad_capacity"),
        ({"default_stay_minutes": "0"}, "default_stay_minutes", "bad_stay"),
        ({"coordinator_email": "budi@"}, "coordinator_email", "bad_email"),
        ({"coordinator_phone": "call me"}, "coordinator_phone", "bad_phone"),
        ({"coordinator_phone": "0" * 21}, "coordinator_phone", "too_long"),
        ({"latitude": "95"}, "latitude", "bad_coordinates"),
        ({"longitude": "-180.5"}, "longitude", "bad_coordinates"),
        ({"latitude": "NaN"}, "latitude", "bad_coordinates"),
        ({"latitude": "utara"}, "latitude", "bad_coordinates"),
        ({"longitude": ""}, "longitude", "incomplete_coordinates"),
        ({"entrances": "Pintu A|pintu a"}, "entrances", "duplicate_entrance"),
        ({"entrances": "|".join(f"P{n}" for n in range(21))}, "entrances", "too_many_entrances"),
        ({"entrances": "P" * 101}, "entrances", "too_long"),
    ],
)
def test_bad_row_is_reported_and_nothing_is_stored(
    city: Region,
    other_city: Region,
    city_admin: Any,
    changes: dict[str, str],
    column: str,
    code: str,
):
    upload = sheet(row(short_code="GOOD-1"), row(**changes))
    report = import_venues(upload, actor=city_admin)

    assert problems(report) == [(3, column, code)]
    assert report.errors[0].message  # a sentence for people, not just the code
    assert_nothing_stored()


def test_every_bad_row_is_reported_at_once(city: Region, city_admin: Any):
    upload = sheet(
        row(short_code="A-01", sector="diskotek"),
        row(short_code="A-02"),
        row(short_code="A-02", capacity="0", coordinator_email="nope"),
    )
    report = import_venues(upload, actor=city_admin)

    assert problems(report) == [
        (2, "sector", "unknown_sector"),
        (4, "short_code", "duplicate_short_code"),
        (4, "capacity", "bad_capacity"),
        (4, "coordinator_email", "bad_email"),
    ]
    assert report.errors[1].message.endswith(" 3.")  # points at the first use
    assert_nothing_stored()


def test_short_code_already_registered(city: Region, city_admin: Any, venue: Venue):
    report = import_venues(sheet(row(short_code=venue.short_code.lower())), actor=city_admin)
    assert problems(report) == [(2, "short_code", "short_code_taken")]
    assert Venue.objects.count() == 1


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ((*COLUMNS, "rating"), [(1, "rating", "unknown_column")]),
        (tuple(c for c in COLUMNS if c != "capacity"), [(1, "capacity", "missing_column")]),
        ((*COLUMNS, "Name"), [(1, "name", "duplicate_column")]),
    ],
)
def test_bad_header(city: Region, city_admin: Any, columns: tuple[str, ...], expected: list[Any]):
    report = import_venues(sheet(row(), columns=columns), actor=city_admin)
    assert problems(report) == expected
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"\n\n", "empty_file"),
        (",".join(COLUMNS).encode() + b"\n,,,\n", "empty_file"),
        ("short_code,name\nTNG,Caf\u00e9\n".encode("latin-1"), "bad_encoding"),
        (b"PK\x03\x04 not really a workbook", "bad_file"),
        (b"\xd0\xcf\x11\xe0 an old .xls", "bad_file"),
    ],
)
def test_unreadable_or_empty_file(city_admin: Any, content: bytes, code: str):
    upload = io.BytesIO(content)
    upload.name = "x.csv"
    report = import_venues(upload, actor=city_admin)
    assert [e.code for e in report.errors] == [code]
    assert_nothing_stored()


def test_cells_beyond_the_header_are_reported(city: Region, city_admin: Any):
    text = ",".join(COLUMNS) + "\n" + ",".join(row().get(c, "") for c in COLUMNS) + ",stray\n"
    upload = io.BytesIO(text.encode())
    report = import_venues(upload, actor=city_admin)
    assert [e.code for e in report.errors] == ["extra_cells"]


def test_too_many_rows_is_refused_whole_even_with_blank_rows(
    city: Region, city_admin: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("jejak.venues.import_table.MAX_ROWS", 3)
    blank = dict.fromkeys(COLUMNS, "")
    rows = [row(short_code=f"R-{n}") for n in range(4)]
    report = import_venues(sheet(rows[0], blank, rows[1], blank, *rows[2:]), actor=city_admin)
    assert [e.code for e in report.errors] == ["too_many_rows"]
    assert_nothing_stored()


def test_city_admin_cannot_import_into_another_city(
    city: Region, other_city: Region, city_admin: Any
):
    report = import_venues(sheet(row(region="36.74"), row(short_code="B-1", region="36.74.02")),
                           actor=city_admin)  # fmt: skip
    assert problems(report) == [
        (2, "region", "outside_jurisdiction"),
        (3, "region", "outside_jurisdiction"),
    ]
    assert_nothing_stored()


def test_role_without_import_capability_is_refused(city: Region, make_user: Callable[..., Any]):
    officer = make_user(Role.AGENCY_OFFICER, region=city)
    with pytest.raises(PermissionDenied):
        import_venues(sheet(row()), actor=officer)


# Scale -------------------------------------------------------------------------------------


def test_queries_do_not_grow_with_rows(
    city: Region, city_admin: Any, django_assert_max_num_queries: Any
):
    rows = [row(short_code=f"Q-{n:04d}", region=f"36.71.0{1 + n % 2}") for n in range(300)]
    with django_assert_max_num_queries(20):
        report = import_venues(sheet(*rows), actor=city_admin)
    assert report.created == 300


def test_ten_thousand_rows(city: Region, city_admin: Any):
    rows = [
        row(short_code=f"BULK-{n:05d}", sector=["hotel", "toko", "Sekolah"][n % 3])
        for n in range(10_000)
    ]
    upload = sheet(*rows)
    started = time.perf_counter()
    report = import_venues(upload, actor=city_admin)
    elapsed = time.perf_counter() - started
    print(f"\n10,000-row venue import: {elapsed:.2f} s")

    assert report.ok, report.errors[:5]
    assert Venue.objects.count() == 10_000
    assert EntryPoint.objects.count() == 20_000
    assert elapsed < 60  # a sanity bound; the measured time is printed above


# Arbitrary input ---------------------------------------------------------------------------

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(cells=st.lists(st.text(max_size=40), min_size=len(COLUMNS), max_size=len(COLUMNS)))
def test_arbitrary_cell_text_is_reported_never_raised(city: Region, city_admin: Any, cells: Any):
    report = import_venues(sheet(dict(zip(COLUMNS, cells, strict=True))), actor=city_admin)
    assert isinstance(report, ImportReport)
    assert report.ok == (report.created == 1)
    assert all(e.code and e.message for e in report.errors)


@FUZZ
@given(column=st.sampled_from(COLUMNS), text=st.text(max_size=60))
def test_one_arbitrary_cell_in_a_good_row(city: Region, city_admin: Any, column: str, text: str):
    report = import_venues(sheet(row(**{column: text})), actor=city_admin)
    assert report.ok or {e.column for e in report.errors} <= {column, "latitude", "longitude"}
    Venue.objects.all().delete()


@FUZZ
@given(content=st.binary(max_size=300))
def test_arbitrary_bytes_are_reported_never_raised(city_admin: Any, content: bytes):
    report = import_venues(io.BytesIO(content), actor=city_admin)
    assert not report.ok


# Command -----------------------------------------------------------------------------------


def write_csv(path: Path, *rows: dict[str, str]) -> Path:
    path.write_bytes(sheet(*rows).getvalue())
    return path


def test_command_imports_and_summarises(city: Region, tmp_path: Path):
    out = io.StringIO()
    call_command("import_venues", str(write_csv(tmp_path / "v.csv", row())), stdout=out)
    assert "1 venues with 2 entrances imported" in out.getvalue()
    assert Venue.objects.count() == 1


def test_command_lists_bad_rows_and_fails(city: Region, tmp_path: Path):
    err = io.StringIO()
    path = write_csv(tmp_path / "v.csv", row(capacity="0"))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_venues", str(path), stderr=err)
    assert "line 2 [capacity] bad_capacity" in err.getvalue()
    assert_nothing_stored()


def test_command_acts_within_the_actor_region(
    city: Region, other_city: Region, city_admin: Any, tmp_path: Path
):
    path = write_csv(tmp_path / "v.csv", row(region="36.74.01"))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_venues", str(path), actor=city_admin.username, stderr=io.StringIO())
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("missing.csv", [], "no such file"),
        ("venues.ods", [], "only .csv and .xlsx"),
        ("v.csv", ["--actor", "nobody"], "No user named"),
    ],
)
def test_command_refuses_bad_arguments(
    db: None, tmp_path: Path, name: str, args: list[str], message: str
):
    if name == "v.csv":
        write_csv(tmp_path / name, row())
    with pytest.raises(CommandError, match=message):
        call_command("import_venues", str(tmp_path / name), *args)


# Upload page -------------------------------------------------------------------------------


def upload(client: Client, data: io.BytesIO) -> Any:
    return client.post(reverse("venue_import"), {"file": data})


def test_page_imports_a_good_sheet(city: Region, client_for: Callable[..., Client]):
    client = client_for(Role.CITY_ADMIN, region=city)
    page = client.get(reverse("venue_import"))
    assert page.status_code == 200
    assert b"csrfmiddlewaretoken" in page.content

    response = upload(client, sheet(row()))

    assert response.status_code == 200
    assert response.context["report"].created == 1
    assert reverse("venue_list").encode() in response.content
    assert Venue.objects.filter(short_code="TNG-HOTEL-001").exists()


def test_page_shows_every_bad_row_and_imports_nothing(
    city: Region, client_for: Callable[..., Client]
):
    client = client_for(Role.CITY_ADMIN, region=city)
    response = upload(client, sheet(row(sector="diskotek"), row(short_code="X-1", capacity="0")))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Tidak ada yang diimpor" in html
    assert "unknown_sector" in html and "bad_capacity" in html
    assert_nothing_stored()


def test_page_rejects_other_file_types(city: Region, client_for: Callable[..., Client]):
    client = client_for(Role.CITY_ADMIN, region=city)
    data = io.BytesIO(b"hello")
    data.name = "venues.pdf"
    response = upload(client, data)
    assert response.context["form"].errors["file"]
    assert response.context["report"] is None


def test_template_csv_downloads_and_imports_as_is(city: Region, client_for: Callable[..., Client]):
    client = client_for(Role.CITY_ADMIN, region=city)
    response = client.get(reverse("venue_import"), {"template": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    data = io.BytesIO(response.content)
    data.name = "template.csv"

    assert upload(client, data).context["report"].created == 2


def test_page_requires_csrf(city: Region, city_admin: Any):
    client = Client(enforce_csrf_checks=True)
    client.force_login(city_admin)
    assert upload(client, sheet(row())).status_code == 403
    assert_nothing_stored()


def test_page_is_forbidden_to_agency_officers(city: Region, client_for: Callable[..., Client]):
    client = client_for(Role.AGENCY_OFFICER, region=city)
    assert client.get(reverse("venue_import")).status_code == 403
    assert upload(client, sheet(row())).status_code == 403
    assert_nothing_stored()


def test_page_sends_anonymous_visitors_to_login(db: None):
    response = Client().get(reverse("venue_import"))
    assert response.status_code == 302


def _xlsx_with(tmp_path: Path, rows: int, columns: int) -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["short_code", "name", "sector", "region", "capacity"])
    for n in range(rows):
        ws.append([f"TNG-{n}", "Toko", "toko", "36.71.01", 10, *[""] * columns])
    path = tmp_path / "venues.xlsx"
    book.save(path)
    return path


def test_an_xlsx_with_too_many_cells_is_refused_while_reading(
    city: Region, city_admin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # A small upload can declare millions of (empty, styled) cells: reading stops at the cap.
    monkeypatch.setattr("jejak.venues.import_table.MAX_CELLS", 50)
    report = import_venues(_xlsx_with(tmp_path, rows=20, columns=0), actor=city_admin)
    assert problems(report) == [(0, "", "too_many_cells")]
    assert_nothing_stored()


def test_an_xlsx_that_unpacks_too_large_is_refused_before_parsing(
    city: Region, city_admin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("jejak.venues.import_table.MAX_XLSX_UNPACKED_BYTES", 1024)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed a file refused by its size")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    report = import_venues(_xlsx_with(tmp_path, rows=2, columns=0), actor=city_admin)
    assert problems(report) == [(0, "", "xlsx_too_large")]
    assert_nothing_stored()
