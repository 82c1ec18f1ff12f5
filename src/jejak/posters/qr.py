"""QR symbols for posters: encode with segno, draw as vector runs with reportlab.

No Django imports here: worker processes import this module alone (see render.py).
"""

from __future__ import annotations

import re
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import segno

QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 requires
_DARK_RUN = re.compile(b"\x01+")

# A symbol as rows of dark runs: ((start, length), ...) per row, top row first.
Runs = tuple[tuple[tuple[int, int], ...], ...]


def qr_runs(data: str) -> Runs:
    """Encode `data` and return its dark modules merged into horizontal runs.

    Error correction M at least (segno raises it to Q or H when that costs no extra
    size). segno tries all eight masks and keeps the best, which is most of the cost
    (~15 ms for a version 8 symbol); the pool in `qr_runs_many` spreads that over cores.
    """
    qr = segno.make(data, error="m", micro=False)
    return tuple(
        tuple((m.start(), m.end() - m.start()) for m in _DARK_RUN.finditer(row))
        for row in qr.matrix
    )


def qr_runs_many(data: list[str], *, processes: int = 1) -> list[Runs]:
    """`qr_runs` for each item, in order, over `processes` worker processes when > 1."""
    if processes <= 1 or len(data) < 2 * processes:
        return [qr_runs(d) for d in data]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        return list(pool.map(qr_runs, data, chunksize=max(1, len(data) // (4 * processes))))


def draw_qr(canvas: Any, runs: Runs, *, x: float, y: float, size: float) -> None:
    """Draw `runs` in the square (x, y, size), quiet zone included, as one filled path.

    One rectangle per run rather than per module keeps a page to a few hundred path
    operators; one fill for them all (not one per rectangle) leaves no seams between rows.
    """
    n = len(runs)
    module = size / (n + 2 * QUIET_ZONE)
    # Rectangles in module units from the symbol's bottom left: small integers, written
    # straight as PDF operators, since reportlab's pure-Python number formatting would
    # otherwise take longer than the rest of the page.
    ops = [
        f"{start} {n - 1 - row_index} {length} 1 re"
        for row_index, row in enumerate(runs)
        for start, length in row
    ]
    canvas.saveState()
    canvas.translate(x + QUIET_ZONE * module, y + QUIET_ZONE * module)
    canvas.scale(module, module)
    canvas.setFillGray(0)
    canvas.addLiteral("\n".join([*ops, "f"]))
    canvas.restoreState()
