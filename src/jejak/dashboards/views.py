"""The dashboards' pages: rollout, usage, map, and the export of any of their tables.

Each page parses the filters, builds the scope (what the user may see, narrowed by the
filters), asks `metrics` (from a read replica when one is close enough behind:
core/replicas.py) and renders. A filter that does not parse shows the form's
message with status 400 instead of numbers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jejak.accounts.capabilities import Cap, capability_required
from jejak.audit import service as audit
from jejak.checkins.errors import Decision
from jejak.core import replicas
from jejak.core.exports import to_csv, to_xlsx
from jejak.dashboards import charts, metrics, tables, usage_counts
from jejak.dashboards.filters import (
    Filters,
    area_for,
    kecamatan_for,
    parse_filters,
    scope_for,
    sectors_for,
)
from jejak.screening.models import Colour
from jejak.venues.models import VenueStatus
from jejak.venues.rollout import COLUMN_LABELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The chart of check-ins per day draws this many sectors; the table has them all.
MAX_LINES = 6
# Venue lists on the page stop here; their exports have every row.
MAX_ROWS = 20
# The to-do list of venues to locate; a city starting out may have hundreds.
MAX_MISSING = 100


def _language() -> str:
    return get_language() or "id"


def _page(request: HttpRequest, template: str, build: Any) -> HttpResponse:
    """Parse the filters, then render `template` with `build(filters, scope)`'s context."""
    filters, form = parse_filters(request.GET, request.user)
    context: dict[str, Any] = {
        "form": form,
        "sectors": sectors_for(request.user),
        "kecamatan": kecamatan_for(request.user),
        "tab": template.split("/")[-1].removesuffix(".html"),
    }
    if filters is None:
        return render(request, template, context, status=400)
    scope = scope_for(request.user, filters)
    context.update(filters=filters, query=urlencode(filters.params()))
    with replicas.reading():
        context.update(build(filters, scope))
    return render(request, template, context)


@capability_required(Cap.VIEW_DASHBOARDS)
def rollout(request: HttpRequest) -> HttpResponse:
    def build(f: Filters, scope: Any) -> dict[str, Any]:
        lang = _language()
        sectors = [f.sector] if f.sector else sectors_for(request.user)
        by_sector = metrics.rollout_by_sector(scope, sectors=sectors, language=lang)
        trend = metrics.rollout_trend(scope, f.start, f.end)
        shown = ("requested", "issued", "installed")
        return {
            "columns": list(COLUMN_LABELS.items()),
            "by_sector": by_sector,
            "by_kecamatan": metrics.rollout_by_kecamatan(scope),
            "total": metrics.rollout_total(by_sector),
            "trend": [(p.day, p.counts) for p in trend],
            "sector_chart": charts.bar_chart(
                title=_("Kode QR per sektor"),
                desc=_("Kode diajukan, terbit dan terpasang untuk setiap sektor."),
                labels=[r.name for r in by_sector],
                series=[
                    (str(COLUMN_LABELS[c]), [getattr(r.counts, c) for r in by_sector])
                    for c in shown
                ],
            ),
            "trend_chart": charts.line_chart(
                title=_("Perkembangan pemasangan"),
                desc=_("Jumlah kode diajukan, terbit dan terpasang pada akhir setiap hari."),
                days=[p.day for p in trend],
                series=[
                    (str(COLUMN_LABELS[c]), [getattr(p.counts, c) for p in trend]) for c in shown
                ],
            ),
            "legend": charts.legend([str(COLUMN_LABELS[c]) for c in shown]),
        }

    return _page(request, "dashboards/rollout.html", build)


@capability_required(Cap.VIEW_DASHBOARDS)
def usage(request: HttpRequest) -> HttpResponse:
    def build(f: Filters, scope: Any) -> dict[str, Any]:
        lang = _language()
        days = metrics.days_between(f.start, f.end)
        area = area_for(request.user, f)
        per_sector = usage_counts.checkins_per_day(
            scope, f.start, f.end, by="sector", language=lang, area=area
        )
        grid: dict[str, dict[Any, int]] = defaultdict(lambda: defaultdict(int))
        names: dict[str, str] = {}
        for row in per_sector:
            grid[row.key][row.day] += row.total
            names[row.key] = row.name
        ranked = sorted(grid, key=lambda k: -sum(grid[k].values()))
        day_rows = [
            (day, [grid[k][day] for k in ranked], sum(grid[k][day] for k in ranked)) for day in days
        ]
        # Per venue, summed by the database; the table shows the busiest, the export
        # every venue and day. Least compliant ranks the same totals.
        per_venue = usage_counts.venue_totals(scope, f.start, f.end, area=area)
        decision_rows = usage_counts.decisions(scope, f.start, f.end, area=area)
        colours = list(dict.fromkeys(r.colour for r in decision_rows))
        cells = {(r.decision, r.colour): r.count for r in decision_rows}
        refusals = usage_counts.refusals_by_reason(scope, f.start, f.end, area=area)
        sector_totals = [(names[k], sum(grid[k].values())) for k in ranked]
        black = usage_counts.black_alerts(scope, f.start, f.end, language=lang)
        capacity = usage_counts.capacity_refusals(scope, f.start, f.end, language=lang, area=area)
        return {
            "sector_keys": [(k, names[k]) for k in ranked],
            "day_rows": day_rows,
            "checkins_chart": charts.line_chart(
                title=_("Check-in per hari per sektor"),
                desc=_("Jumlah pemindaian (termasuk yang ditolak) per hari, sektor terbanyak."),
                days=days,
                series=[(names[k], [grid[k][d] for d in days]) for k in ranked[:MAX_LINES]],
            ),
            "checkins_legend": charts.legend([names[k] for k in ranked[:MAX_LINES]]),
            "sector_chart": charts.bar_chart(
                title=_("Check-in per sektor"),
                desc=_("Jumlah pemindaian per sektor dalam periode."),
                labels=[n for n, _ in sector_totals],
                series=[(_("Check-in"), [t for _, t in sector_totals])],
            ),
            "venue_rows": [
                [r.short_code, r.name, r.total, r.admitted, r.denied]
                for r in usage_counts.busiest(per_venue, limit=MAX_ROWS)
            ],
            "venue_count": len(per_venue),
            "colours": [(c, Colour(c).label if c in Colour.values else c) for c in colours],
            "decision_rows": [
                (d.label, [cells.get((d.value, c), 0) for c in colours]) for d in Decision
            ],
            "refusals": refusals,
            "refusal_chart": charts.bar_chart(
                title=_("Penolakan per alasan"),
                desc=_("Jumlah check-in yang ditolak menurut alasannya."),
                labels=[r.label for r in refusals if r.count],
                series=[(_("Ditolak"), [r.count for r in refusals if r.count])],
            ),
            "black_alerts": black[:MAX_ROWS],
            "black_alerts_total": len(black),
            "capacity_refusals": capacity[:MAX_ROWS],
            "capacity_refusals_total": len(capacity),
            "max_rows": MAX_ROWS,
            "refusal_total": sum(r.count for r in refusals),
            "least_compliant": [
                (r, VenueStatus(r.status).label)
                for r in usage_counts.least_compliant(
                    scope, f.start, f.end, language=lang, totals=per_venue
                )
            ],
        }

    return _page(request, "dashboards/usage.html", build)


@capability_required(Cap.VIEW_DASHBOARDS)
def venue_map(request: HttpRequest) -> HttpResponse:
    def build(f: Filters, scope: Any) -> dict[str, Any]:
        points = metrics.venue_points(scope, f.start, f.end, language=_language())
        missing = [p for p in points if p.latitude is None or p.longitude is None]
        return {
            "without_coordinates": [
                (p, VenueStatus(p.status).label) for p in missing[:MAX_MISSING]
            ],
            "without_coordinates_total": len(missing),
            "max_missing": MAX_MISSING,
            "located": sum(1 for p in points if p.latitude is not None and p.longitude is not None),
            "tile_url": settings.JEJAK_MAP_TILE_URL,
            "tile_attribution": settings.JEJAK_MAP_TILE_ATTRIBUTION,
            "statuses": VenueStatus.choices,
            "status_labels": {k: str(v) for k, v in VenueStatus.choices},
        }

    return _page(request, "dashboards/map.html", build)


@capability_required(Cap.VIEW_DASHBOARDS)
def export(request: HttpRequest, name: str) -> HttpResponse:
    """One table as CSV or XLSX (formula-safe), with the page's filters; audited."""
    if name not in tables.TABLES:
        raise Http404(_("Tabel tidak dikenal."))
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(_("Format harus csv atau xlsx."), status=400, content_type="text/plain")
    filters, form = parse_filters(request.GET, request.user)
    if filters is None:
        message = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    with replicas.reading():
        table = tables.build(
            name,
            user=request.user,
            scope=scope_for(request.user, filters),
            filters=filters,
            language=_language(),
        )
    audit.record(
        actor=request.user,
        action="dashboard.export",
        ip=request.META.get("REMOTE_ADDR"),
        table=name,
        format=fmt,
        rows=len(table.rows),
        filters=filters.describe(),
    )
    filename = f"jejak-{name}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
    if fmt == "csv":
        response = HttpResponse(
            to_csv(table.headers, table.rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(to_xlsx(table.headers, table.rows, title=name), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
