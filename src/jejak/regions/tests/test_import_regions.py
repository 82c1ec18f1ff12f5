from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import jejak.demo
from jejak.regions.imports import RegionImportReport, import_regions, normalize_code
from jejak.regions.models import Region, RegionLevel

DEMO_CSV = Path(jejak.demo.__file__).parent / "data" / "regions.csv"

pytestmark = pytest.mark.django_db


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def problems(report: RegionImportReport) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.code) for e in report.errors]


def test_demo_csv_builds_the_tree():
    report = import_regions(DEMO_CSV)

    assert report.ok, report.errors
    assert (report.rows, report.created) == (15, 15)
    city = Region.objects.get(code="36.71")
    assert (city.name, city.level, city.parent.code) == ("Kota Tangerang", "regency", "36")
    assert city.children.count() == 13
    assert Region.objects.get(code="36").parent is None


def test_reimport_creates_nothing_twice_and_renames(tmp_path: Path):
    import_regions(DEMO_CSV)
    ids = dict(Region.objects.values_list("code", "id"))

    again = import_regions(DEMO_CSV)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 15)

    renamed = write(tmp_path / "r.csv", "code,name\n36.71,KOTA TANGERANG\n36.71.14,Baru\n")
    report = import_regions(renamed)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert Region.objects.get(code="36.71").name == "KOTA TANGERANG"
    assert dict(Region.objects.exclude(code="36.71.14").values_list("code", "id")) == ids


def test_level_and_parent_follow_from_the_code(tmp_path: Path):
    path = write(
        tmp_path / "r.csv",
        "Code;Name\n36;Banten\n36.71;Kota Tangerang\n36.71.01;Tangerang\n36.71.01.1001;Sukarasa\n",
    )
    assert import_regions(path).ok
    village = Region.objects.get(code="36.71.01.1001")
    assert village.level == RegionLevel.VILLAGE
    assert village.parent == Region.objects.get(code="36.71.01", level=RegionLevel.DISTRICT)


def test_parents_may_already_be_stored(city: Region, tmp_path: Path):
    path = write(tmp_path / "v.csv", "code,name\n36.71.01.1001,Sukarasa\n36.71.01.1002,Sukasari\n")
    report = import_regions(path)
    assert report.created == 2
    assert Region.objects.get(code="36.71.01.1002").parent.code == "36.71.01"


def test_idn_area_data_layout(tmp_path: Path):
    """The four CSVs of the npm package idn-area-data, old (undotted) village codes included."""
    files = [
        write(tmp_path / "provinces.csv", "code,name\n36,BANTEN\n"),
        write(tmp_path / "regencies.csv", "code,province_code,name\n36.71,36,KOTA TANGERANG\n"),
        write(tmp_path / "districts.csv", "code,regency_code,name\n36.71.01,36.71,Tangerang\n"),
        write(tmp_path / "villages.csv", "code,district_code,name\n3671011001,367101,Sukarasa\n"),
    ]
    report = import_regions(*files)
    assert report.ok, report.errors
    assert Region.objects.get(code="36.71.01.1001").parent.code == "36.71.01"


def test_rows_as_dicts():
    report = import_regions([{"code": "36", "name": "Banten"}, {"code": "36.71", "name": "Kota"}])
    assert report.created == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("36", "36"),
        (" 36.71 ", "36.71"),
        ("367101", "36.71.01"),
        ("36.71.01.1001", "36.71.01.1001"),
        ("3671011001", "36.71.01.1001"),
        ("36.71.01.01", None),
        ("36.7", None),
        ("36.71.01.1001.1", None),
        ("3671011", None),
        ("٣٦", None),  # non-ASCII digits
        ("", None),
    ],
)
def test_normalize_code(raw: str, expected: str | None):
    assert normalize_code(raw) == expected


def test_every_bad_row_is_reported_and_nothing_written(tmp_path: Path):
    path = write(
        tmp_path / "bad.csv",
        "code,name,level,parent_code\n"
        "36,Banten,province,\n"  # 2: fine
        "36.71,Kota Tangerang,district,36\n"  # 3: level contradicts the code
        "36.7,Salah,,\n"  # 4: malformed code
        "36.72,Cilegon,,35\n"  # 5: parent contradicts the code
        "99.01,Yatim,,\n"  # 6: parent nowhere
        "36.73,,,\n"  # 7: no name
        "36.74,Tangsel,kota,\n"  # 8: unknown level
        "36,Banten lagi,,\n"  # 9: duplicate
        "36.71.01,Tangerang,,\n",  # 10: parent is row 3, refused for its level: not an orphan
    )
    report = import_regions(path)

    assert problems(report) == [
        (3, "level", "level_mismatch"),
        (4, "code", "bad_code"),
        (5, "parent_code", "parent_mismatch"),
        (6, "code", "unknown_parent"),
        (7, "name", "required"),
        (8, "level", "bad_level"),
        (9, "code", "duplicate_code"),
    ]
    assert all(e.source == "bad.csv" and e.message for e in report.errors)
    assert not Region.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(0, "", "empty_file")]),
        ("code,name\n", [(0, "", "empty_file")]),
        ("code,naam\n36,Banten\n", [(1, "name", "missing_column"), (1, "naam", "unknown_column")]),
    ],
)
def test_bad_files(tmp_path: Path, text: str, expected: list[tuple[int, str, str]]):
    assert problems(import_regions(write(tmp_path / "r.csv", text))) == expected


def test_file_that_is_not_utf8(tmp_path: Path):
    path = tmp_path / "r.csv"
    path.write_bytes("code,name\n36,Bant\u00e9n\n".encode("latin-1"))
    assert problems(import_regions(path)) == [(0, "", "bad_file")]


def test_many_villages_import_in_bulk(tmp_path: Path):
    lines = ["code,name", "36,Banten", "36.71,Kota Tangerang"]
    for d in range(1, 21):
        lines.append(f"36.71.{d:02d},Kecamatan {d}")
        lines += [f"36.71.{d:02d}.{1000 + v},Kelurahan {d}-{v}" for v in range(1, 501)]
    path = write(tmp_path / "big.csv", "\n".join(lines) + "\n")

    started = time.perf_counter()
    report = import_regions(path)
    elapsed = time.perf_counter() - started
    print(f"\n{report.rows} regions imported in {elapsed:.2f} s")

    assert report.created == 10_022
    assert elapsed < 60  # a sanity bound; the measured time is printed above


def test_command(tmp_path: Path):
    out = io.StringIO()
    call_command("import_regions", str(DEMO_CSV), stdout=out)
    assert "15 regions created" in out.getvalue()

    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(
            "import_regions", str(write(tmp_path / "b.csv", "code,name\nx,y\n")), stderr=err
        )
    assert "line 2 [code] bad_code" in err.getvalue()
