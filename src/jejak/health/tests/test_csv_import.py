from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.audit.models import AuditEvent
from jejak.health.csv_import import COLUMNS
from jejak.health.models import (
    Designation,
    LabResult,
    Source,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)
from jejak.health.report import ImportReport
from jejak.health.service import import_health_file
from jejak.health.tests.helpers import BUDI, CSV_PATH, DEWI, RUDI, SITI, index, stored, upload

pytestmark = pytest.mark.django_db

JAKARTA = dt.timezone(dt.timedelta(hours=7))


def sheet(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS, **fmt: Any) -> io.BytesIO:
    """A CSV upload; rows may leave columns out."""
    text = io.StringIO()
    writer = csv.writer(text, **fmt)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    return upload(text.getvalue(), "records.csv")


def dose(**changes: str) -> dict[str, str]:
    return {
        "nik": SITI,
        "record_type": "vaccination",
        "date": "2021-07-01",
        "dose_number": "1",
        "product": "CoronaVac",
        **changes,
    }


def lab(**changes: str) -> dict[str, str]:
    return {
        "nik": SITI,
        "record_type": "lab_result",
        "datetime": "2021-10-20 08:00",
        "method": "pcr",
        "result": "negative",
        **changes,
    }


def quarantine(**changes: str) -> dict[str, str]:
    return {
        "nik": SITI,
        "record_type": "quarantine",
        "date": "2021-10-15",
        "end_date": "2021-10-22",
        **changes,
    }


def contact(**changes: str) -> dict[str, str]:
    return {"nik": SITI, "record_type": "close_contact", "datetime": "2021-10-19", **changes}


def problems(report: ImportReport) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.column, p.code) for p in report.problems]


def assert_refused(report: ImportReport) -> None:
    assert not report.ok
    assert stored() == 0
    assert not AuditEvent.objects.filter(action="health.import").exists()


def test_example_sheet_imports_every_record_type(issuer):
    report = import_health_file(CSV_PATH, actor=issuer)

    assert report.ok, report.problems
    assert report.format == "csv"
    assert dict(report.created) == {
        "vaccination": 4,
        "lab_result": 2,
        "positive_case": 1,
        "close_contact": 1,
        "quarantine": 1,
        "exemption": 1,
    }
    assert report.people == 4
    assert VaccinationDose.objects.filter(nik_index=index(SITI)).count() == 3
    assert VaccinationDose.objects.get(nik_index=index(BUDI)).single_dose_product
    # A time without a zone is Jakarta time.
    antigen = LabResult.objects.get(nik_index=index(BUDI))
    assert antigen.specimen_at == dt.datetime(2021, 10, 21, 7, 15, tzinfo=JAKARTA)
    case = Designation.objects.get(nik_index=index(RUDI))
    assert (case.kind, case.reason, case.created_by) == ("positive_case", "PCR positif", issuer)
    contact = Designation.objects.get(nik_index=index(SITI))
    assert contact.starts_at == dt.datetime(2021, 10, 19, tzinfo=JAKARTA)
    quarantine = TravelQuarantine.objects.get(nik_index=index(DEWI))
    assert (quarantine.starts_on, quarantine.ends_on) == (
        dt.date(2021, 10, 15),
        dt.date(2021, 10, 22),
    )
    assert VaccinationExemption.objects.get(nik_index=index(DEWI)).ends_on is None
    assert {r.source for r in VaccinationDose.objects.all()} == {Source.CSV}

    event = AuditEvent.objects.get(action="health.import")
    assert event.actor == issuer and event.detail["format"] == "csv"
    assert not any(nik in json.dumps(event.detail) for nik in (SITI, BUDI, RUDI, DEWI))


def test_reimporting_the_sheet_changes_nothing(issuer):
    import_health_file(CSV_PATH, actor=issuer)
    again = import_health_file(CSV_PATH, actor=issuer)

    assert again.ok
    assert sum(again.created.values()) == 0
    assert sum(again.unchanged.values()) == 10
    assert stored() == 10


def test_semicolon_sheet_with_only_the_columns_it_needs(issuer):
    columns = ("nik", "record_type", "date", "dose_number", "product_code")
    upload_ = sheet(dose(product="", product_code="208"), columns=columns, delimiter=";")

    report = import_health_file(upload_, actor=issuer)

    assert report.ok, report.problems
    assert VaccinationDose.objects.get().product == "Pfizer-BioNTech (Comirnaty)"


def test_a_spreadsheet_apostrophe_before_the_nik_is_dropped(issuer):
    report = import_health_file(sheet(dose(nik="'" + SITI)), actor=issuer)
    assert report.ok
    assert VaccinationDose.objects.get().nik_index == index(SITI)


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (dose(nik="3671"), "nik", "bad_nik"),
        (dose(nik="3.67101E+15"), "nik", "nik_as_number"),
        (dose(nik=""), "nik", "required"),
        (dose(record_type="booster"), "record_type", "unknown_record_type"),
        (dose(date="01/07/2021"), "date", "bad_date"),
        (dose(date="2021-02-30"), "date", "bad_date"),
        (dose(date="2019-12-31"), "date", "too_early"),
        (dose(date="2999-01-01"), "date", "in_future"),
        (dose(dose_number="0"), "dose_number", "bad_dose_number"),
        (dose(dose_number="٣"), "dose_number", "bad_dose_number"),
        (dose(product="Vaksin campak"), "product", "unknown_vaccine"),
        (dose(product=""), "product", "required"),
        (dose(product="x" * 101), "product", "too_long"),
        (dose(method="pcr"), "method", "not_applicable"),
        (lab(datetime="2021-10-20"), "datetime", "imprecise_time"),
        (lab(datetime="2021-10-20 25:00"), "datetime", "bad_datetime"),
        (lab(method="swab"), "method", "bad_method"),
        (lab(result="reaktif"), "result", "bad_result"),
        (quarantine(end_date="2021-10-01"), "end_date", "end_before_start"),
        (quarantine(end_date=""), "end_date", "required"),
        (contact(reason="a\x07b"), "reason", "control_characters"),
    ],
)
def test_bad_rows_are_reported_and_nothing_is_stored(issuer, row, column, code):
    report = import_health_file(sheet(dose(nik=BUDI, dose_number="2"), row), actor=issuer)

    assert_refused(report)
    assert problems(report) == [(3, column, code)]


def test_every_bad_row_is_reported_at_once(issuer):
    report = import_health_file(
        sheet(dose(date="kemarin"), dose(nik="123", dose_number="2"), dose(dose_number="3")),
        actor=issuer,
    )

    assert_refused(report)
    assert problems(report) == [(2, "date", "bad_date"), (3, "nik", "bad_nik")]


def test_a_nik_never_appears_in_a_report(issuer):
    wrong = "367101410190000"  # 15 digits
    report = import_health_file(sheet(dose(nik=wrong)), actor=issuer)
    assert wrong not in json.dumps(report.as_json())


def test_conflicting_duplicate_rows_are_refused(issuer):
    report = import_health_file(sheet(dose(), dose(product="Pfizer")), actor=issuer)

    assert_refused(report)
    assert problems(report) == [(3, "nik", "conflicting_duplicate")]
    assert "line 2" in report.problems[0].message


def test_identical_duplicate_rows_are_kept_once(issuer):
    report = import_health_file(sheet(dose(), dose()), actor=issuer)
    assert report.ok
    assert report.created["vaccination"] == 1


@pytest.mark.parametrize(
    ("content", "codes"),
    [
        (b"", ["empty_file"]),
        (b"nik,record_type\n", ["empty_file"]),
        (b"nik,record_type,colour\n3671014101900001,vaccination,x\n", ["unknown_column"]),
        (b"nik,date\n3671014101900001,2021-01-01\n", ["missing_column"]),
        (b"nik,record_type\n\xff\xfe\n", ["bad_encoding"]),
        (b"nik,record_type,nik\n1,2,3\n", ["duplicate_column"]),
        (b"nik,record_type\n1,vaccination,extra\n", ["extra_cells"]),
    ],
)
def test_broken_files(issuer, content, codes):
    report = import_health_file(upload(content, "x.csv"), actor=issuer)
    assert_refused(report)
    assert [p.code for p in report.problems] == codes


def test_a_file_over_the_limit_is_refused(issuer, monkeypatch):
    monkeypatch.setattr("jejak.health.service.MAX_FILE_BYTES", 100)
    report = import_health_file(upload(b"nik,record_type\n" + b"x" * 200, "x.csv"), actor=issuer)
    assert_refused(report)
    assert [p.code for p in report.problems] == ["too_large"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.dictionaries(st.sampled_from(COLUMNS), st.text(max_size=40), min_size=1))
def test_any_cell_text_gives_a_report_never_an_exception(issuer, cells):
    report = import_health_file(sheet(cells), actor=issuer)

    # Whatever the cells hold, the answer is a report; a refusal names a line.
    assert report.ok or all(p.line is not None for p in report.problems)
    if report.ok:
        VaccinationDose.objects.all().delete()
        LabResult.objects.all().delete()
        Designation.objects.all().delete()
        TravelQuarantine.objects.all().delete()
        VaccinationExemption.objects.all().delete()
