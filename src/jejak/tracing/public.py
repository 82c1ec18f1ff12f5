"""What the public sees of tracing: published exposure sites, nothing that names a case.

Shared by /paparan/ and GET /api/v1/exposure-sites. Sites stay listed for 14 days after
their window ends, the incubation period a visitor should watch for symptoms.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language

from jejak.tracing.models import ExposureSite

LISTED_FOR = dt.timedelta(days=14)


def published_sites(*, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Published sites whose window ended less than 14 days ago, latest first; the same
    venue and window published for two cases is listed once."""
    now = now or timezone.now()
    language = get_language() or "id"
    sites = (
        ExposureSite.objects.filter(published_at__isnull=False, window_end__gte=now - LISTED_FOR)
        .select_related("venue__sector", "venue__region__parent__parent")
        .order_by("-window_start", "venue__name")
    )
    seen: set[tuple[int, dt.datetime, dt.datetime]] = set()
    listed = []
    for site in sites:
        key = (site.venue_id, site.window_start, site.window_end)
        if key in seen:
            continue
        seen.add(key)
        district, city = _district_and_city(site.venue.region)
        listed.append(
            {
                "venue": site.venue.name,
                "short_code": site.venue.short_code,
                "sector": site.venue.sector.root.name(language),
                "district": district,
                "city": city,
                "window_start": site.window_start,
                "window_end": site.window_end,
            }
        )
    return listed


def windows_at_venue(
    venue_id: int, *, now: dt.datetime | None = None, limit: int = 10
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The published windows at one venue that /paparan/ lists now (ended less than 14
    days ago), latest first, each once: only when, never whose. One indexed query."""
    now = now or timezone.now()
    found = (
        ExposureSite.objects.filter(
            venue_id=venue_id, published_at__isnull=False, window_end__gte=now - LISTED_FOR
        )
        .order_by("-window_start", "-window_end")
        .values_list("window_start", "window_end")
        .distinct()
    )
    return list(found[:limit])


def _district_and_city(region: Any) -> tuple[str, str]:
    chain = []
    while region is not None:
        chain.append(region)
        region = region.parent
    by_level = {r.level: r.name for r in chain}
    return by_level.get("district", ""), by_level.get("regency", "")
