"""The export document printed: an A4 PDF a person can read, one section per person, in
the house style of the weekly report (reports/render.py). It is drawn from the same
document as the JSON (export.build), so the two never disagree."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from jejak.checkins.errors import Decision
from jejak.core.pdftext import fold_to_cp1252
from jejak.health.models import DesignationKind, LabMethod, LabOutcome
from jejak.people.models import Relation
from jejak.screening.models import colour_label
from jejak.tracing.models import CaseStatus


def _latin(text: Any) -> str:
    return fold_to_cp1252("" if text is None else str(text))


def _t(moment: str | None) -> str:
    """An ISO moment of the document (already Asia/Jakarta) as `2021-07-05 14:30`."""
    return moment[:16].replace("T", " ") if moment else ""


def _label(choices: Any, value: str) -> str:
    """A stored code's name for people (the code itself if it is no longer a choice)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _sections(person: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    health = person["health_records"]
    return [
        (
            _("Vaksinasi"),
            [_("Dosis"), _("Tanggal"), _("Vaksin")],
            [[d["dose_number"], d["given_on"], d["product"]] for d in health["doses"]],
        ),
        (
            _("Hasil tes"),
            [_("Waktu spesimen"), _("Metode"), _("Hasil"), _("Laboratorium")],
            [
                [
                    _t(r["specimen_at"]),
                    _label(LabMethod, r["method"]),
                    _label(LabOutcome, r["result"]),
                    r["lab"],
                ]
                for r in health["lab_results"]
            ],
        ),
        (
            _("Penetapan kasus dan kontak erat"),
            [_("Jenis"), _("Mulai"), _("Berakhir"), _("Alasan")],
            [
                [
                    _label(DesignationKind, d["kind"]),
                    _t(d["starts_at"]),
                    _t(d["ended_at"]),
                    d["reason"],
                ]
                for d in health["designations"]
            ],
        ),
        (
            _("Kasus"),
            [_("Dibuka"), _("Tanggal spesimen"), _("Status"), _("Jendela penularan")],
            [
                [
                    _t(c["opened_at"]),
                    c["specimen_date"],
                    _label(CaseStatus, c["status"]),
                    f"{_t(c['window_start'])} - {_t(c['window_end'])}",
                ]
                for c in person["cases"]
            ],
        ),
        (
            _("Check-in"),
            [_("Waktu"), _("Tempat"), _("Pintu"), _("Keputusan"), _("Warna"), _("Check-out")],
            [
                [
                    _t(c["scanned_at"]),
                    c["venue"],
                    c["entrance"],
                    _label(Decision, c["decision"]),
                    colour_label(c["colour"]),
                    _t(c["checked_out_at"]),
                ]
                for c in person["checkins"]
            ],
        ),
        (
            _("Siapa yang membaca data ini"),
            [_("Waktu"), _("Peran"), _("Organisasi"), _("Tujuan")],
            [[_t(r["at"]), r["role"], r["organisation"], r["purpose"]] for r in person["reads"]],
        ),
    ]


def render_pdf(document: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    title = _latin(_("Data saya di Jejak"))
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="Jejak",
    )

    def cell(value: Any) -> Any:
        return Paragraph(escape(_latin(value)), small)

    def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
        data = [[cell(h) for h in headers], *[[cell(v) for v in row] for row in rows]]
        built = Table(data, repeatRows=1, hAlign="LEFT")
        built.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e9ee")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa3ad")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return built

    def heading(text: str, style: str = "Heading2") -> Paragraph:
        return Paragraph(escape(_latin(text)), styles[style])

    def section(name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        story.append(Spacer(1, 4 * mm))
        story.append(heading(name, "Heading3"))
        story.append(table(headers, rows) if rows else cell(_("Tidak ada data.")))

    account = document["account"]
    story: list[Any] = [heading(title, "Title")]
    story.append(
        table(
            [_("Akun"), ""],
            [
                [_("Nomor HP"), account["phone"]],
                [_("Terdaftar"), _t(account["created_at"])],
                [_("Dibuat"), _t(document["generated_at"])],
                [_("Skema"), document["schema"]],
            ],
        )
    )
    for person in document["people"]:
        story.append(PageBreak())
        story.append(
            heading(f"{person['full_name']} ({_label(Relation, person['relation'])})", "Heading1")
        )
        status = person["status"] or {}
        story.append(
            table(
                [_("Data diri"), ""],
                [
                    [_("NIK"), person["nik"]],
                    [_("Tanggal lahir"), person["birth_date"]],
                    [_("Jenis kelamin"), person["sex"]],
                    [_("Identitas diverifikasi"), _t(person["identity"]["verified_at"])],
                    [_("Status"), colour_label(status["colour"]) if status else ""],
                    [_("Alasan"), ", ".join(status.get("reasons", []))],
                    [_("Aturan"), status.get("rule_set", "")],
                ],
            )
        )
        for name, headers, rows in _sections(person):
            section(name, headers, rows)
    story.append(PageBreak())
    section(
        _("Pesan"),
        [_("Dibuat"), _("Saluran"), _("Isi")],
        [
            [_t(m["created_at"]), m["channel"], f"{m['subject']} {m['text']}".strip()]
            for m in document["messages"]
        ],
    )
    section(
        _("Token API"),
        [_("Nama"), _("Dibuat"), _("Terakhir dipakai"), _("Kedaluwarsa")],
        [
            [t["name"], _t(t["created_at"]), _t(t["last_used_at"]), _t(t["expires_at"])]
            for t in document["tokens"]
        ],
    )
    section(
        _("Persetujuan pemberitahuan privasi"),
        [_("Versi"), _("Waktu"), _("Saluran")],
        [[c["notice_version"], _t(c["accepted_at"]), c["channel"]] for c in document["consents"]],
    )
    doc.build(story)
    return buffer.getvalue()
