"""The weekly report printed: an A4 PDF for people (reportlab) and an XLSX workbook of
the same tables for those who want the data, every text cell formula-safe."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jejak.core.exports import safe_cell
from jejak.core.pdftext import fold_to_cp1252
from jejak.reports.weekly import WeeklyReport
from jejak.venues.rollout import COLUMN_LABELS, COLUMNS


def _latin(text: Any) -> str:
    """Text reportlab's built-in fonts can draw (core/pdftext.py)."""
    return fold_to_cp1252(str(text))


def _local(moment: Any) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- the tables, shared by the PDF and the workbook ----------------------------------------


def tables(report: WeeklyReport) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(title, headers, rows) of every section, in the report's order."""
    rollout_rows = [[r.name, *(getattr(r.counts, c) for c in COLUMNS)] for r in report.rollout]
    rollout_rows.append([_("Jumlah"), *(getattr(report.rollout_total, c) for c in COLUMNS)])
    usage_headers = [_("Sektor"), _("Check-in"), _("Diizinkan"), _("Ditolak")]
    usage_rows = [[r.name, r.total, r.admitted, r.denied] for r in report.usage_by_sector]
    t = report.usage_total
    usage_rows.append([t.name, t.total, t.admitted, t.denied])
    return [
        (
            _("Kemajuan pemasangan kode QR per sektor"),
            [_("Sektor"), *(str(COLUMN_LABELS[c]) for c in COLUMNS)],
            rollout_rows,
        ),
        (_("Penggunaan per sektor"), usage_headers, usage_rows),
        (
            _("Penggunaan per hari"),
            [_("Tanggal"), _("Check-in"), _("Diizinkan"), _("Ditolak")],
            [[r.name, r.total, r.admitted, r.denied] for r in report.usage_by_day],
        ),
        (
            _("Penolakan menurut alasan"),
            # The reason's name, not its code: the dashboards' export keeps the codes.
            [_("Alasan"), _("Jumlah")],
            [[r.label, r.count] for r in report.refusals],
        ),
        (
            _("Tempat paling tidak patuh"),
            [
                _("Kode"),
                _("Nama"),
                _("Sektor"),
                _("Pintu"),
                _("Hari"),
                _("Check-in"),
                _("Per pintu per hari"),
            ],
            [
                [
                    r.short_code,
                    r.name,
                    r.sector_name,
                    r.entrances,
                    r.days,
                    r.checkins,
                    r.per_entrance_per_day,
                ]
                for r in report.least_compliant
            ],
        ),
        (
            _("Pemeriksaan dan sanksi"),
            [
                _("Waktu"),
                _("Kode"),
                _("Nama"),
                _("Sektor"),
                _("Tidak sesuai"),
                _("Keramaian"),
                _("Sanksi"),
            ],
            [
                [
                    _local(r.visited_at),
                    r.venue,
                    r.venue_name,
                    r.sector,
                    "; ".join(r.failed),
                    r.occupancy,
                    r.sanction_label,
                ]
                for r in report.inspections
            ],
        ),
        (
            _("Penutupan sementara"),
            [_("Kode"), _("Nama"), _("Mulai"), pgettext("end time", "Selesai"), _("Dicabut")],
            [
                [r.venue, r.venue_name, _local(r.starts_at), _local(r.ends_at), _local(r.lifted_at)]
                for r in report.closures
            ],
        ),
        (
            _("Tindak lanjut terbuka"),
            [
                _("Kode"),
                _("Nama"),
                _("Sektor"),
                _("Jenis"),
                _("Tenggat"),
                _("Lewat tenggat"),
                _("Petugas"),
            ],
            [
                [
                    r.venue,
                    r.venue_name,
                    r.sector,
                    r.kind,
                    r.deadline.isoformat() if r.deadline else "",
                    _("ya") if r.overdue else "",
                    r.officer,
                ]
                for r in report.open_followups
            ],
        ),
    ]


def summary(report: WeeklyReport) -> list[tuple[str, Any]]:
    total = report.rollout_total
    return [
        (_("Minggu"), f"{report.week.label} ({report.week.start} - {report.week.end})"),
        (_("Cakupan"), report.scope_label),
        (_("Kode QR terbit"), total.issued),
        (_("Kode QR terpasang"), total.installed),
        (_("Check-in"), report.usage_total.total),
        (_("Check-in ditolak"), report.usage_total.denied),
        (_("Peringatan status hitam"), report.black_alerts),
        (_("Pemeriksaan"), len(report.inspections)),
        (_("Pemeriksaan direncanakan"), report.inspections_planned),
        *((label, n) for label, n in report.sanctions.items() if n),
        (_("Penutupan sementara"), len(report.closures)),
        (_("Tindak lanjut terbuka"), len(report.open_followups)),
        (_("Tindak lanjut lewat tenggat"), report.overdue_followups),
        (_("Dibuat"), _local(report.generated_at)),
    ]


# --- PDF ----------------------------------------------------------------------------------


def render_pdf(report: WeeklyReport) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    title = _latin(_("Laporan mingguan Jejak %(week)s") % {"week": report.week.label})
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="Jejak",
    )

    def cell(value: Any) -> Any:
        if isinstance(value, int | float):
            return _latin(value)
        return Paragraph(escape(_latin(value)), small)

    def table(headers: Sequence[str], rows: list[list[Any]]) -> Table:
        data = [[cell(h) for h in headers], *[[cell(v) for v in row] for row in rows]]
        built = Table(data, repeatRows=1, hAlign="LEFT")
        built.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e9ee")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa3ad")),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ]
            )
        )
        return built

    story: list[Any] = [Paragraph(escape(title), styles["Title"])]
    story.append(table([_("Ringkasan"), ""], [[k, v] for k, v in summary(report)]))
    for heading, headers, rows in tables(report):
        story.append(Spacer(1, 5 * mm))
        story.append(Paragraph(escape(_latin(heading)), styles["Heading2"]))
        if rows:
            story.append(table(headers, rows))
        else:
            story.append(Paragraph(escape(_latin(_("Tidak ada data."))), small))
    doc.build(story)
    return buffer.getvalue()


# --- XLSX ---------------------------------------------------------------------------------


def render_xlsx(report: WeeklyReport) -> bytes:
    """One sheet per section; every text cell through core.exports.safe_cell (a venue name
    like "=HYPERLINK(...)" stays text)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Ringkasan")[:31])
    for key, value in summary(report):
        sheet.append([safe_cell(key), safe_cell(value)])
    used: set[str] = set()
    for heading, headers, rows in tables(report):
        name = _sheet_name(heading, used)
        sheet = workbook.create_sheet(title=name)
        sheet.append([safe_cell(h) for h in headers])
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    name = "".join("-" if c in "[]:*?/\\" else c for c in title)[:31]
    base, n = name, 2
    while name in used:
        suffix = f" {n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name
