"""A4 entrance posters: one page per active QR code, drawn on a reportlab canvas."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from jejak.core.pdftext import fold_to_cp1252
from jejak.posters.qr import Runs, draw_qr, qr_runs_many
from jejak.qrcodes.models import CodeStatus, QrCode
from jejak.qrcodes.service import LIVE_STATUSES
from jejak.qrcodes.tokens import qr_url
from jejak.venues.models import Venue

JAKARTA = ZoneInfo("Asia/Jakarta")

PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
TEXT_W = PAGE_W - 2 * MARGIN
# Symbol plus quiet zone. Even a version 1 symbol is then 9 cm wide, and a version 8
# one (a 146-character URL) is 10.7 cm: scannable from a metre away.
QR_BOX = 125 * mm
QR_TOP = PAGE_H - MARGIN - 62 * mm
NAME_SIZES = (30, 26, 22, 18)
LEADING = 1.15
GREY = 0.35


def printable_codes(venues: QuerySet[Venue]) -> QuerySet[QrCode]:
    """The active codes of those `venues` that are issued or installed, in print order."""
    return (
        QrCode.objects.filter(
            status=CodeStatus.ACTIVE,
            # Only where a scan would admit visitors: no posters for a suspended venue.
            entry_point__venue__in=venues.filter(status__in=LIVE_STATUSES),
        )
        .select_related("entry_point__venue__sector", "key")
        .order_by("entry_point__venue__short_code", "entry_point__position", "entry_point_id")
    )


def render_posters(
    codes: Iterable[QrCode], out: BinaryIO, *, base_url: str, processes: int = 1
) -> int:
    """Write one A4 poster per code to `out` and return the page count.

    `codes` come from `printable_codes` (or carry the same related objects); a code that
    is not active is refused, since its poster would turn every visitor away.
    `base_url` is the site's public address the codes open (core/public_url.py).
    `processes` > 1 encodes the QR symbols in that many worker processes.
    """
    codes = list(codes)
    for code in codes:
        if code.status != CodeStatus.ACTIVE:
            raise ValueError(f"Code {code.public_id} is {code.status}, not active.")
    symbols = qr_runs_many([qr_url(code.token, base_url) for code in codes], processes=processes)
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle("Poster QR Jejak")
    canvas.setAuthor("Jejak")
    for code, runs in zip(codes, symbols, strict=True):
        _draw_page(canvas, code, runs)
        canvas.showPage()
    canvas.save()
    return len(codes)


def human_code(code: QrCode) -> str:
    """What staff read out on the phone: venue, door number (from 1), start of public_id."""
    entry = code.entry_point
    return f"{entry.venue.short_code}-{entry.position + 1} · {code.public_id[:6]}"


def _draw_page(canvas: Canvas, code: QrCode, runs: Runs) -> None:
    entry = code.entry_point
    venue = entry.venue
    centre = PAGE_W / 2
    y = PAGE_H - MARGIN - 12

    canvas.setFillGray(GREY)
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawCentredString(centre, y, _latin(venue.sector.name_id).upper())

    lines, size = _fit(_latin(venue.name), "Helvetica-Bold", max_height=38 * mm)
    canvas.setFillGray(0)
    canvas.setFont("Helvetica-Bold", size)
    y -= 10
    for line in lines:
        y -= size * LEADING
        canvas.drawCentredString(centre, y, line)
    canvas.setFont("Helvetica", 18)
    canvas.drawCentredString(centre, QR_TOP + 8, _fit_width(_latin(entry.name), "Helvetica", 18))

    qr_bottom = QR_TOP - QR_BOX
    draw_qr(canvas, runs, x=centre - QR_BOX / 2, y=qr_bottom, size=QR_BOX)

    canvas.setFont("Helvetica-Bold", 13)
    # Below the box, so nothing printed eats into the quiet zone.
    canvas.drawCentredString(centre, qr_bottom - 14, human_code(code))
    canvas.setFont("Helvetica-Bold", 26)
    canvas.drawCentredString(centre, qr_bottom - 50, "Pindai untuk check-in")
    canvas.setFillGray(GREY)
    canvas.setFont("Helvetica", 18)
    canvas.drawCentredString(centre, qr_bottom - 72, "Scan to check in")
    canvas.setFillGray(0)
    canvas.setFont("Helvetica", 11)
    canvas.drawCentredString(
        centre, qr_bottom - 98, "Tunjukkan hasil skrining di layar kepada petugas."
    )
    canvas.setFillGray(GREY)
    canvas.drawCentredString(centre, qr_bottom - 112, "Show the screening result to the staff.")

    issued = code.issued_at.astimezone(JAKARTA)
    canvas.setFont("Helvetica", 9)
    canvas.drawCentredString(
        centre,
        MARGIN + 18,
        f"Terbit / Issued {issued:%Y-%m-%d} · Kunci / Key {code.key.kid}",
    )
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, MARGIN + 12, PAGE_W - MARGIN, MARGIN + 12)
    canvas.setFillGray(0)
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(MARGIN, MARGIN, "Jejak")
    canvas.setFont("Helvetica", 8)
    # A code photographed and shared online invites check-ins from people not there.
    canvas.drawRightString(
        PAGE_W - MARGIN, MARGIN, "Jangan unggah foto kode ini · Do not post this code online"
    )


def _fit(text: str, font: str, *, max_height: float) -> tuple[list[str], float]:
    """Wrap `text` at the largest size that fits; at the smallest, cut with an ellipsis."""
    for size in NAME_SIZES:
        lines = simpleSplit(text, font, size, TEXT_W)
        if len(lines) * size * LEADING <= max_height:
            break
    else:
        lines = lines[: int(max_height // (size * LEADING))]
        lines[-1] += "…"
    return [_fit_width(line, font, size) for line in lines], size


def _fit_width(text: str, font: str, size: float) -> str:
    """Cut a line that is still too wide (one very long word) and end it with an ellipsis."""
    if stringWidth(text, font, size) <= TEXT_W:
        return text
    while text and stringWidth(text + "…", font, size) > TEXT_W:
        text = text[:-1]
    return text + "…"


def _latin(text: str) -> str:
    """`text` on one line, in letters Helvetica can draw (core/pdftext.py)."""
    return fold_to_cp1252(" ".join(text.split()))
