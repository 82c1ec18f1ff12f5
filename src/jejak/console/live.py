"""What the console shows and polls: occupancy, today's check-ins, black-status alerts.

Polled every few seconds by every open console, so each part is a cheap query: the
occupancy row and the partial "inside" index (checkins.occupancy.crowd), the alerts'
(venue, created_at) index, and today's counts, which scan the day's check-ins and are
therefore cached for a few seconds per venue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from jejak.checkins import occupancy
from jejak.checkins.errors import Decision
from jejak.checkins.models import BlackStatusAlert, CheckIn
from jejak.screening.models import Colour
from jejak.venues.models import Venue

COUNTS_CACHE_SECONDS = 10
ALERTS_SHOWN = 20


def start_of_day(now: dt.datetime) -> dt.datetime:
    """Midnight in Asia/Jakarta (the project's TIME_ZONE) of `now`'s local day."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _counts_key(venue: Venue, now: dt.datetime) -> str:
    return f"console:today:{venue.pk}:{start_of_day(now).date().isoformat()}"


def forget_today_counts(venue: Venue, now: dt.datetime | None = None) -> None:
    """Drop the cached counts, so the staff member who just acted sees the change."""
    cache.delete(_counts_key(venue, now or timezone.now()))


def today_counts(venue: Venue, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Today's decisions at `venue`, by decision and by colour (denials included)."""
    key = _counts_key(venue, now)
    found = cache.get(key)
    if found is not None:
        return dict(found)
    rows = (
        CheckIn.objects.filter(venue=venue, scanned_at__gte=start_of_day(now))
        .values_list("decision", "colour")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_decision = dict.fromkeys(Decision.values, 0)
    by_colour = dict.fromkeys(Colour.values, 0)
    for decision, colour, n in rows:
        by_decision[decision] = by_decision.get(decision, 0) + n
        by_colour[colour] = by_colour.get(colour, 0) + n
    counts = {"decision": by_decision, "colour": by_colour}
    cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def recent_alerts(venue: Venue, now: dt.datetime) -> list[dict[str, Any]]:
    """Today's black-status alerts, newest first: the colour, the time and the entrance.

    Nothing that names the person: venue staff only need to know someone with status
    black was refused at that door (health officers are told who, elsewhere)."""
    alerts = (
        BlackStatusAlert.objects.filter(venue=venue, created_at__gte=start_of_day(now))
        .select_related("checkin__entry_point")
        .only("id", "created_at", "acknowledged_at", "checkin__entry_point__name")
        .order_by("-created_at")[:ALERTS_SHOWN]
    )
    return [
        {
            "id": a.pk,
            "colour": Colour.HITAM.value,
            "colour_label": str(Colour.HITAM.label),
            "at": a.created_at.isoformat(),
            "time": timezone.localtime(a.created_at).strftime("%H:%M:%S"),
            "entry_point": a.checkin.entry_point.name,
            "acknowledged": a.acknowledged_at is not None,
        }
        for a in alerts
    ]


def live_state(venue: Venue, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    crowd = occupancy.crowd(venue=venue, now=now)
    capacity = max(0, crowd["capacity"])
    percent = min(100, round(100 * crowd["inside"] / capacity)) if capacity else 100
    return {
        "inside": crowd["inside"],
        "capacity": capacity,
        "percent": percent,
        "today": today_counts(venue, now),
        "alerts": recent_alerts(venue, now),
        "at": now.isoformat(),
    }
