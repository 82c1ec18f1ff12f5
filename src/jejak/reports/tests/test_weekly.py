"""The weekly report: every number against the hand-counted week in conftest.py, the PDF
and XLSX renderings, the CLI and the download page."""

from __future__ import annotations

import io

import pypdfium2
import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from jejak.accounts.roles import Role
from jejak.reports.errors import ReportError
from jejak.reports.render import render_pdf, render_xlsx
from jejak.reports.tests.conftest import FORMULA_NAME
from jejak.reports.weekly import Week, build_weekly, parse_week
from jejak.sectors.models import Sector

pytestmark = pytest.mark.django_db

W44 = Week(2021, 44)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(data))


@pytest.mark.parametrize("text", ["2021-W44", "2021W44", "2021-w44", " 2021-W44 "])
def test_parse_week(text):
    week = parse_week(text)
    assert (week.start.isoformat(), week.end.isoformat()) == ("2021-11-01", "2021-11-07")
    assert week.label == "2021-W44"


@pytest.mark.parametrize("text", ["", "2021-44", "2021-W54", "2021-W00", "W44", "2021-W4x"])
def test_bad_weeks(text):
    with pytest.raises(ReportError) as refused:
        parse_week(text)
    assert refused.value.code == "bad_week"


def test_future_week():
    with pytest.raises(ReportError) as refused:
        parse_week("2999-W01")
    assert refused.value.code == "future_week"


def test_city_numbers(week44, city):
    report = build_weekly(week=W44, region=city)
    hotel = next(r for r in report.rollout if r.key == "hotel")
    # Codes are per entrance: H1 2 + M1 1 issued, H1's 2 installed; O1 is elsewhere.
    assert (hotel.counts.issued, hotel.counts.installed) == (3, 2)
    assert (report.rollout_total.requested, report.rollout_total.pending) == (4, 1)
    t = report.usage_total
    assert (t.total, t.admitted, t.denied) == (6, 3, 3)
    assert [(r.name, r.total) for r in report.usage_by_day[:4]] == [
        ("2021-11-01", 3),
        ("2021-11-02", 2),
        ("2021-11-03", 1),
        ("2021-11-04", 0),
    ]
    assert {r.reason: r.count for r in report.refusals} == {"capacity_full": 2, "status_black": 1}
    assert report.black_alerts == 0  # rows stored directly: no alert was written
    assert [r.short_code for r in report.least_compliant] == ["M1", "H1"]
    assert [(i.venue, i.sanction, i.failed) for i in report.inspections] == [
        ("H1", "temporary_closure", ["Poster QR di setiap pintu masuk"]),
        ("S1", "verbal_warning", []),
    ]
    assert report.sanctions["Penutupan sementara"] == 1
    assert report.sanctions["Teguran lisan"] == 1
    assert report.inspections_planned == 2
    assert [c.venue for c in report.closures] == ["H1"]
    assert [(f.venue, f.overdue) for f in report.open_followups] == [("S1", True), ("M1", False)]
    assert report.overdue_followups == 1


def test_agency_officer_report_is_limited_to_its_sectors(week44, city, make_user):
    tourism = make_user(
        Role.AGENCY_OFFICER, region=city, sectors=[Sector.objects.get(slug="hotel")]
    )
    report = build_weekly(week=W44, user=tourism)
    assert [r.key for r in report.rollout] == ["hotel"]
    assert [i.venue for i in report.inspections] == ["H1"]
    assert [f.venue for f in report.open_followups] == ["M1"]
    assert report.usage_total.total == 6
    assert "Hotel" in report.scope_label


def test_pdf_shows_the_key_numbers(week44, city):
    text = pdf_text(render_pdf(build_weekly(week=W44, region=city)))
    assert "2021-W44" in text
    assert "Kota Tangerang" in text
    assert "Kapasitas penuh" in text and "Status hitam" in text
    assert "capacity_full" not in text and "status_black" not in text
    assert "Hotel Cisadane" in text and "Penutupan sementara" in text
    assert "SDN Tangerang 1" in text
    # The summary: 6 check-ins, 3 refused, 2 inspections.
    summary = text[: text.index("Kemajuan")]
    for label, value in [("Check-in", "6"), ("Check-in ditolak", "3"), ("Pemeriksaan", "2")]:
        assert f"{label}\r\n{value}" in summary or f"{label} {value}" in summary, label


def test_xlsx_has_every_section_and_is_formula_safe(week44, city):
    book = load_workbook(io.BytesIO(render_xlsx(build_weekly(week=W44, region=city))))
    assert book.sheetnames[0] == "Ringkasan"
    assert len(book.sheetnames) == 9
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "'" + FORMULA_NAME in cells
    assert FORMULA_NAME not in cells
    usage = book["Penggunaan per sektor"]
    rows = list(usage.iter_rows(values_only=True))
    assert rows[-1][1:] == (6, 3, 3)


def test_cli_writes_pdf_and_xlsx(week44, tmp_path):
    out, xlsx = tmp_path / "w44.pdf", tmp_path / "w44.xlsx"
    stdout = io.StringIO()
    call_command(
        "report", week="2021-W44", out=str(out), xlsx=str(xlsx), region="36.71", stdout=stdout
    )
    assert "6 check-ins" in stdout.getvalue()
    assert "Hotel Cisadane" in pdf_text(out.read_bytes())
    assert load_workbook(xlsx).sheetnames[0] == "Ringkasan"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"week": "2021-44"}, "ISO week"),
        ({"week": "2021-W60"}, "ISO week"),
        ({"week": "2021-W44", "region": "99.99"}, "Unknown region"),
    ],
)
def test_cli_errors(db, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("report", out=str(tmp_path / "x.pdf"), **args)
    assert not (tmp_path / "x.pdf").exists()


def test_cli_exit_status_on_a_bad_week(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "jejak", "report", "--week", "nope", "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "ISO week" in done.stderr


def test_download_page(week44, city, client_for):
    admin = client_for(Role.CITY_ADMIN, region=city)
    assert admin.get("/laporan/").status_code == 200
    pdf = admin.get("/laporan/?week=2021-W44&format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "Hotel Cisadane" in pdf_text(pdf.content)
    xlsx = admin.get("/laporan/?week=2021-W44&format=xlsx")
    assert xlsx.status_code == 200 and "2021-W44.xlsx" in xlsx["Content-Disposition"]
    bad = admin.get("/laporan/?week=kemarin&format=pdf")
    assert bad.status_code == 400 and "ISO week" in bad.content.decode()


def test_download_page_permissions(week44, client_for, city):
    assert client_for(Role.ENFORCEMENT_OFFICER, region=city).get("/laporan/").status_code == 403
    assert client_for(Role.VISITOR).get("/laporan/").status_code == 403
