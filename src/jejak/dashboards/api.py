"""GET /api/v1/dashboards/...: the dashboards' numbers as JSON, with the same filters
(start, end, sector, kecamatan) and the same scope as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router

from jejak.accounts.capabilities import Cap, require
from jejak.core import replicas
from jejak.core.api_errors import ApiError, ErrorOut
from jejak.dashboards import metrics, tables
from jejak.dashboards.filters import Filters, error_text, parse_filters, scope_for
from jejak.zones.service import latest_zones

router = Router(tags=["dashboards"])


def _filters(request: HttpRequest) -> Filters:
    require(request.user, Cap.VIEW_DASHBOARDS)
    filters, form = parse_filters(request.GET, request.user)
    if filters is None:
        raise ApiError(400, "invalid_filter", error_text(form))
    return filters


@router.get(
    "/map",
    url_name="dashboards_map",
    response={200: dict[str, Any], frozenset({400, 403}): ErrorOut},
)
def venue_map(request: HttpRequest) -> dict[str, Any]:
    """Every venue in scope with its position, status and scans in the period; venues
    without coordinates are listed apart. `zones`: each kecamatan's latest risk zone
    (weekly new cases per 100,000, docs/zones.md), keyed by its code."""
    filters = _filters(request)
    with replicas.reading():
        return _map(request, filters)


def _map(request: HttpRequest, filters: Filters) -> dict[str, Any]:
    points = metrics.venue_points(
        scope_for(request.user, filters),
        filters.start,
        filters.end,
        language=get_language() or "id",
    )
    rows = metrics.as_dicts(points)
    return {
        "filters": filters.params(),
        "venues": [r for r in rows if r["latitude"] is not None and r["longitude"] is not None],
        "without_coordinates": [r for r in rows if r["latitude"] is None or r["longitude"] is None],
        "zones": {
            z.district_code: {
                "zone": z.zone,
                "colour": z.colour,
                "label": z.label,
                "level": z.level,
                "weekly_rate": z.weekly_rate,
            }
            for z in latest_zones(within=_region_code(request))
        },
    }


def _region_code(request: HttpRequest) -> str | None:
    """The caller's region (a city admin's city); None for the issuer: every kecamatan."""
    region = getattr(request.user, "region", None)
    return region.code if region is not None else None


@router.get("/{name}", response={200: dict[str, Any], frozenset({400, 403, 404}): ErrorOut})
def table(request: HttpRequest, name: str) -> dict[str, Any]:
    """One dashboard table by name (rollout-sector, checkins-venue, least-compliant...)."""
    filters = _filters(request)
    if name not in tables.TABLES:
        message = _("Tabel tidak dikenal. Tabel yang ada: %(tables)s.")
        raise ApiError(404, "unknown_table", message % {"tables": ", ".join(tables.TABLES)})
    with replicas.reading():
        built = tables.build(
            name,
            user=request.user,
            scope=scope_for(request.user, filters),
            filters=filters,
            language=get_language() or "id",
        )
        return {"filters": filters.params(), **built.as_json()}
