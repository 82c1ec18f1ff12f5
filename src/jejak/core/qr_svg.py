"""A QR code as inline SVG for a page (the venue screen, a status pass, a TOTP key)."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str) -> SafeString:
    # segno draws paths only; the text is not embedded as text, so marking it safe is sound.
    return mark_safe(  # noqa: S308  # nosec B308, B703
        segno.make(text, error="m").svg_inline(
            scale=4, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr"
        )
    )
