"""Charts as inline SVG, drawn on the server: no chart library, nothing to load, readable
by a screen reader (a <title> and <desc>; the page prints the same numbers in a table).

The drawing is in a fixed viewBox and scales to the width of its container, so one
chart serves a 360 px phone and a desktop. Colours come from CSS classes (jc-s0..jc-s6)
so the stylesheet keeps them consistent with the legends.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 480
PALETTE_SIZE = 7
_ids = itertools.count(1)


def _nice_max(value: float) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _open(title: str, desc: str, height: int, css: str) -> tuple[str, list[str]]:
    n = next(_ids)
    parts: list[str] = [
        format_html(
            '<svg class="jc-chart {}" viewBox="0 0 {} {}" role="img" '
            'aria-labelledby="jc-t{} jc-d{}" preserveAspectRatio="xMinYMin meet">'
            '<title id="jc-t{}">{}</title><desc id="jc-d{}">{}</desc>',
            css,
            WIDTH,
            height,
            n,
            n,
            n,
            title,
            n,
            desc,
        )
    ]
    return str(n), parts


def _close(parts: Sequence[str]) -> SafeString:
    """The chart's pieces as one SVG. Each piece is built with format_html; one that is
    not (a plain str) is escaped, never passed through as markup."""
    return format_html("{}</svg>", format_html_join("", "{}", ((part,) for part in parts)))


def legend(names: Sequence[str]) -> SafeString:
    """The series' names with their colour swatches, as HTML (placed under a chart)."""
    items = format_html_join(
        "",
        '<li><span class="jc-swatch jc-s{}"></span>{}</li>',
        ((i % PALETTE_SIZE, name) for i, name in enumerate(names)),
    )
    return format_html('<ul class="jc-legend">{}</ul>', items)


def line_chart(
    *,
    title: str,
    desc: str,
    days: Sequence[dt.date],
    series: Sequence[tuple[str, Sequence[float]]],
    height: int = 220,
) -> SafeString:
    """One line per series over `days` (each series has one value per day)."""
    left, right, top, bottom = 40, 8, 10, 24
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = _nice_max(max((v for _, values in series for v in values), default=0))
    _, parts = _open(title, desc, height, "jc-line")

    def x(i: int) -> float:
        return left + (plot_w * i / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / peak

    for frac in (0, 0.5, 1):
        value = peak * frac
        parts.append(
            format_html(
                '<line class="jc-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="jc-axis" x="{}" y="{}" text-anchor="end">{}</text>',
                left,
                WIDTH - right,
                f"{y(value):.1f}",
                f"{y(value):.1f}",
                left - 4,
                f"{y(value) + 4:.1f}",
                f"{value:g}",
            )
        )
    if days:
        # First, middle and last dates: enough to read the axis on a phone.
        for i in sorted({0, len(days) // 2, len(days) - 1}):
            anchor = "start" if i == 0 else "end" if i == len(days) - 1 else "middle"
            parts.append(
                format_html(
                    '<text class="jc-axis" x="{}" y="{}" text-anchor="{}">{}</text>',
                    f"{x(i):.1f}",
                    height - 8,
                    anchor,
                    days[i].strftime("%d/%m"),
                )
            )
    for n, (name, values) in enumerate(series):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            format_html(
                '<polyline class="jc-series jc-s{}" points="{}"><title>{}</title></polyline>',
                n % PALETTE_SIZE,
                points,
                name,
            )
        )
        if len(values) == 1:
            parts.append(
                format_html(
                    '<circle class="jc-dot jc-s{}" cx="{}" cy="{}" r="3"/>',
                    n % PALETTE_SIZE,
                    f"{x(0):.1f}",
                    f"{y(values[0]):.1f}",
                )
            )
    return _close(parts)


def bar_chart(
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
) -> SafeString:
    """Horizontal bars, one group per label, one bar per series, the value at its end.
    Each label sits on its own line above its bars, so long sector names fit a phone."""
    right, top, label_h = 48, 2, 20
    # One bar alone is thick; several share a group but stay tall enough for their value.
    bar_h = 18 if len(series) == 1 else 16
    group_h = label_h + bar_h * len(series) + 6
    height = top + group_h * len(labels)
    plot_w = WIDTH - right
    peak = _nice_max(max((v for _, values in series for v in values), default=0))
    _, parts = _open(title, desc, height, "jc-bars")
    for row, label in enumerate(labels):
        y0 = top + row * group_h
        parts.append(
            format_html('<text class="jc-label" x="0" y="{}">{}</text>', y0 + label_h - 5, label)
        )
        for n, (name, values) in enumerate(series):
            value = values[row]
            w = plot_w * value / peak
            y = y0 + label_h + n * bar_h
            parts.append(
                format_html(
                    '<rect class="jc-bar jc-s{}" x="0" y="{}" width="{}" height="{}">'
                    "<title>{}: {}</title></rect>"
                    '<text class="jc-value" x="{}" y="{}">{}</text>',
                    n % PALETTE_SIZE,
                    y,
                    f"{w:.1f}",
                    bar_h - 1,
                    f"{label} · {name}",
                    f"{value:g}",
                    f"{w + 3:.1f}",
                    y + bar_h - 3,
                    f"{value:g}",
                )
            )
    return _close(parts)
