"""`jejak import-populations`: the demo file, refused rows (each with its stable code and
spreadsheet row), nothing half-written, re-imports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jejak.demo.builder import REGIONS_CSV
from jejak.regions.imports import import_regions
from jejak.zones.demo import DEMO_POPULATIONS
from jejak.zones.models import Population
from jejak.zones.populations import import_populations

pytestmark = pytest.mark.django_db

HEADER = "code,name,population,year,source,is_estimate\n"


@pytest.fixture
def kota_tangerang() -> None:
    assert import_regions(REGIONS_CSV).ok


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "populations.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_the_demo_file_gives_13_kecamatan_and_the_census_total(kota_tangerang):
    report = import_populations(DEMO_POPULATIONS)
    assert report.ok, report.errors
    assert (report.rows, report.created) == (13, 13)
    rows = {p.region.name: p for p in Population.objects.select_related("region")}
    assert len(rows) == 13
    assert sum(p.population for p in rows.values()) == 1_895_000
    official = {name: p.population for name, p in rows.items() if not p.is_estimate}
    assert official == {"Cipondoh": 248_210, "Benda": 83_530}
    assert all("SP2020" in rows[name].source for name in official)
    estimates = [p for p in rows.values() if p.is_estimate]
    assert len(estimates) == 11
    assert all("Perkiraan" in p.source for p in estimates)
    # Cipondoh the largest, Benda the smallest, as the census says.
    assert max(rows.values(), key=lambda p: p.population).region.name == "Cipondoh"
    assert min(rows.values(), key=lambda p: p.population).region.name == "Benda"


def test_bad_rows_are_refused_each_with_a_reason_and_nothing_is_written(kota_tangerang, tmp_path):
    path = write(
        tmp_path,
        "36.71.05,Cipondoh,248210,2020,SP2020,tidak\n"  # good
        "36.71,Kota Tangerang,1895000,2020,SP2020,tidak\n"  # a city, not a kecamatan
        "36.71.99,,1000,2020,x,ya\n"  # no such kecamatan
        "36.71.04,Cipondoh,83530,2020,SP2020,tidak\n"  # wrong name for the code
        "36.71.01,Tangerang,-5,2020,x,ya\n"
        "36.71.02,Jatiuwung,12a,2020,x,ya\n"
        "36.71.03,Batuceper,1000,1900,x,ya\n"
        "36.71.06,Ciledug,1000,2020,,ya\n"
        "36.71.07,Karawaci,1000,2020,x,mungkin\n"
        "367105,Cipondoh,250000,2020,again,tidak\n",  # the same kecamatan and year
    )
    report = import_populations(path)
    assert not report.ok
    found = [(e.line, e.column, e.code) for e in report.errors]
    assert found == [
        (3, "code", "bad_code"),
        (4, "code", "unknown_region"),
        (5, "name", "name_mismatch"),
        (6, "population", "bad_population"),
        (7, "population", "bad_population"),
        (8, "year", "bad_year"),
        (9, "source", "required"),
        (10, "is_estimate", "bad_flag"),
        (11, "code", "duplicate"),
    ]
    assert "Benda" in report.errors[2].message  # the name on record
    assert Population.objects.count() == 0


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("code,population,year,source\n", "missing_column"),
        ("code,population,year,source,is_estimate,notes\n", "unknown_column"),
    ],
)
def test_a_wrong_header_is_refused(kota_tangerang, tmp_path, header, code):
    report = import_populations(write(tmp_path, "36.71.05,248210,2020,x,tidak\n", header))
    assert [e.code for e in report.errors][:1] == [code]
    assert Population.objects.count() == 0


def test_an_empty_or_unreadable_file_is_refused(kota_tangerang, tmp_path):
    assert [e.code for e in import_populations(write(tmp_path, "")).errors] == ["empty_file"]
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert [e.code for e in import_populations(binary).errors] == ["bad_file"]


def test_separators_spaces_and_spellings_are_read(kota_tangerang, tmp_path):
    path = write(
        tmp_path,
        '36.71.12,karang tengah,118.000,2020,x,Ya\n367105,Cipondoh,"248,210",2020,SP2020,FALSE\n',
    )
    report = import_populations(path)
    assert report.ok, report.errors
    assert dict(Population.objects.values_list("region__code", "population")) == {
        "36.71.12": 118_000,
        "36.71.05": 248_210,
    }


def test_a_reimport_replaces_the_figure_of_that_year_only(kota_tangerang, tmp_path):
    import_populations(write(tmp_path, "36.71.05,,240000,2020,estimate,ya\n"))
    report = import_populations(
        write(tmp_path, "36.71.05,,248210,2020,SP2020,tidak\n36.71.05,,230000,2010,SP2010,tidak\n")
    )
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    stored = Population.objects.get(region__code="36.71.05", year=2020)
    assert (stored.population, stored.is_estimate, stored.source) == (248_210, False, "SP2020")
    again = import_populations(write(tmp_path, "36.71.05,,248210,2020,SP2020,tidak\n"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_the_command_reports_and_refuses_all_or_nothing(kota_tangerang, tmp_path):
    out = io.StringIO()
    call_command("import_populations", str(DEMO_POPULATIONS), stdout=out)
    assert "13 rows: 13 populations created" in out.getvalue()
    err = io.StringIO()
    bad = write(tmp_path, "36.71.05,,0,2020,x,tidak\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_populations", str(bad), stderr=err)
    assert "line 2 [population] bad_population" in err.getvalue()
