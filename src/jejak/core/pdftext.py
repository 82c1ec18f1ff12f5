"""Text for PDFs drawn with reportlab's built-in fonts (posters, reports)."""

from __future__ import annotations

import unicodedata


def fold_to_cp1252(text: str) -> str:
    """Fold `text` into what the built-in Helvetica can show (Windows-1252).

    Indonesian needs only Latin letters, but names arrive from spreadsheets with ā, ṣ or
    odd symbols, and reportlab draws a black box for each. A bare letter reads better;
    what has none becomes "?".
    """
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        for candidate in (char, base):
            try:
                candidate.encode("cp1252")
            except UnicodeEncodeError:
                continue
            if candidate:
                out.append(candidate)
                break
        else:
            out.append("?")
    return "".join(out)
