"""The written report of a breach to the authority (UU 27/2022 Art. 46 (1) and (2)): an A4
PDF of the facts, the data, the people counted and told, the handling and recovery, and
the timestamps against the 3 x 24 hour deadline.

Small by construction (a page or two of text and counts, no list of people), so the page
renders it in the request as reports/ does its weekly PDF: one grouped count of the
subjects, one of the outbox's messages, and reportlab's layout of a few paragraphs
(tens of milliseconds).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jejak.breaches.deadlines import deadline_of
from jejak.breaches.models import Breach, BreachSubject, DataClass
from jejak.breaches.notices import delivery_counts
from jejak.core.pdftext import fold_to_cp1252


@dataclass(frozen=True)
class SubjectCounts:
    people: int
    accounts: int
    with_phone: int
    notified: int


def subject_counts(breach: Breach) -> SubjectCounts:
    """The drafted recipients: how many, on how many accounts, reachable by SMS, told."""
    got = BreachSubject.objects.filter(breach=breach).aggregate(
        people=Count("id"),
        accounts=Count("account", distinct=True),
        with_phone=Count("id", filter=Q(has_phone=True)),
        notified=Count("id", filter=Q(notified_at__isnull=False)),
    )
    return SubjectCounts(**{k: int(v or 0) for k, v in got.items()})


def _local(moment: Any) -> str:
    if moment is None:
        return "-"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M WIB")


def selection_lines(breach: Breach) -> list[str]:
    """The selection of the people affected, in words (page and report)."""
    if breach.select_all_accounts:
        return [_("Semua akun")]
    lines = []
    if breach.select_venues:
        lines.append(_("Tempat: %(codes)s") % {"codes": ", ".join(breach.select_venues)})
    if breach.select_checkins_from or breach.select_checkins_to:
        lines.append(
            _("Check-in dari %(start)s sampai %(end)s")
            % {
                "start": breach.select_checkins_from or "-",
                "end": breach.select_checkins_to or "-",
            }
        )
    if breach.select_venue_regions:
        lines.append(
            _("Wilayah tempat: %(codes)s") % {"codes": ", ".join(breach.select_venue_regions)}
        )
    if breach.select_residence_regions:
        lines.append(
            _("Wilayah tempat tinggal: %(codes)s")
            % {"codes": ", ".join(breach.select_residence_regions)}
        )
    if breach.select_data_classes:
        labels = [str(DataClass(v).label) for v in breach.select_data_classes]
        lines.append(_("Memiliki data: %(classes)s") % {"classes": ", ".join(labels)})
    return lines


def facts(breach: Breach) -> list[tuple[str, str]]:
    """(label, value) rows of the report, in its order."""
    deadline = deadline_of(breach)
    counts = subject_counts(breach)
    delivery = delivery_counts(breach)
    yes, no = _("ya"), _("tidak")

    def sent(channel: str) -> str:
        by = delivery.get(channel, {})
        return _("%(sent)d terkirim, %(pending)d menunggu, %(failed)d gagal") % {
            "sent": by.get("sent", 0),
            "pending": by.get("pending", 0),
            "failed": by.get("failed", 0),
        }

    return [
        (_("Nomor insiden"), breach.public_id),
        (_("Judul"), breach.title),
        (_("Status"), str(breach.get_status_display())),
        (_("Ditemukan"), _local(breach.discovered_at)),
        (_("Terjadi"), f"{_local(breach.occurred_from)} - {_local(breach.occurred_to)}"),
        (_("Dicatat"), _local(breach.recorded_at)),
        (_("Tenggat 3 x 24 jam"), _local(deadline.due)),
        (_("Subjek data diberi tahu"), _local(breach.notified_subjects_at)),
        (_("Tepat waktu"), no if deadline.subjects_late else yes),
        (_("Dilaporkan ke otoritas"), _local(breach.reported_to_authority_at)),
        (_("Tepat waktu"), no if deadline.authority_late else yes),
        (_("Jenis data terdampak"), ", ".join(breach.data_class_labels())),
        (_("Uraian"), breach.description),
        (_("Penyebab"), breach.cause or "-"),
        (_("Penanganan dan pemulihan"), breach.measures or "-"),
        (_("Pemilihan orang terdampak"), "; ".join(selection_lines(breach)) or "-"),
        (_("Draf pemberitahuan disusun"), _local(breach.drafted_at)),
        (_("Orang terdampak (dengan akun)"), str(counts.people)),
        (_("Akun"), str(counts.accounts)),
        (_("Dapat dihubungi lewat SMS"), str(counts.with_phone)),
        (_("Pemberitahuan diantrekan"), str(counts.notified)),
        (_("SMS"), sent("sms")),
        (_("Pesan di aplikasi"), sent("inapp")),
        (_("Laporan dibuat"), _local(timezone.now())),
    ]


def render_pdf(breach: Breach) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = styles["BodyText"].clone("breach", fontSize=9, leading=12)
    buffer = io.BytesIO()
    title = fold_to_cp1252(
        _("Laporan insiden pelindungan data pribadi %(id)s") % {"id": breach.public_id}
    )
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="Jejak",
    )

    def para(text: str) -> Paragraph:
        # Line breaks of the officer's text kept; everything else escaped.
        return Paragraph(escape(fold_to_cp1252(text)).replace("\n", "<br/>"), body)

    rows = [[para(label), para(value)] for label, value in facts(breach)]
    table = Table(rows, colWidths=[55 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa3ad")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#e6e9ee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    basis = _(
        "Pemberitahuan tertulis menurut UU No. 27 Tahun 2022 tentang Pelindungan Data "
        "Pribadi, Pasal 46: data pribadi yang terungkap, kapan dan bagaimana data terungkap, "
        "serta upaya penanganan dan pemulihan, paling lambat 3 x 24 jam sejak diketahui."
    )
    story: list[Any] = [
        Paragraph(escape(title), styles["Title"]),
        para(basis),
        Spacer(1, 5 * mm),
        table,
    ]
    doc.build(story)
    return buffer.getvalue()
