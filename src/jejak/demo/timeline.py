"""The demo's rollout as it happened over the weeks before its check-ins begin.

The builder walks every venue through the workflow's services, which date each step
now. With two weeks of check-ins behind them, codes issued "today" would make the
rollout trend a single step and the least-compliant ranking judge two weeks of scans as
one day. So the steps are moved back: venues with codes were submitted, reviewed,
approved, issued and installed (each a day or few after the last) before the first day
of check-ins; the requests still in the queue arrived in the last few days. Their codes
and entrances are dated with them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.utils import timezone

from jejak.qrcodes.models import QrCode
from jejak.venues.models import EntryPoint, Venue, VenueAction, VenueStatus, VenueTransition

from . import rows

# Working hours of the officers who move the requests along.
OFFICE_HOURS = (8, 16)


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    start, end = OFFICE_HOURS
    moment = dt.time(rng.randrange(start, end), rng.randrange(60), rng.randrange(60))
    return dt.datetime.combine(day, moment, timezone.get_default_timezone())


def backdate_rollout(*, first_day: dt.date, now: dt.datetime, seed: int = 2021) -> None:
    """Date every venue's workflow steps in the weeks before `first_day` (the first day
    of check-ins) or, for requests not yet decided, in the last days before `now`."""
    rng = random.Random(seed)  # noqa: S311 (demo dates, not security)
    today = timezone.localdate(now)
    steps: dict[int, list[VenueTransition]] = defaultdict(list)
    for t in VenueTransition.objects.order_by("venue_id", "at", "id"):
        steps[t.venue_id].append(t)
    venues = Venue.objects.in_bulk(list(steps))
    issued: dict[int, dt.datetime] = {}
    moved: list[VenueTransition] = []
    for venue_id, walk in steps.items():
        venue = venues[venue_id]
        in_service = venue.status in (VenueStatus.ISSUED, VenueStatus.INSTALLED)
        if in_service:
            # Done before the first day of check-ins, the last step the day before it.
            day = first_day - dt.timedelta(days=rng.randint(8, 16))
            last = first_day - dt.timedelta(days=1)
        else:
            day = today - dt.timedelta(days=rng.randint(len(walk), 6))
            last = today - dt.timedelta(days=1)
        previous: dt.datetime | None = None
        for t in walk:
            day = min(day, last)
            t.at = _at(day, rng)
            if previous is not None and t.at <= previous:
                # Two steps on one day: the later step after the earlier one.
                t.at = previous + dt.timedelta(minutes=rng.randint(10, 90))
            previous = t.at
            if t.action == VenueAction.INSTALL:
                t.effective_date = day
            if t.to_status == VenueStatus.ISSUED:
                issued[venue_id] = t.at
            moved.append(t)
            day += dt.timedelta(days=rng.randint(0, 3) if in_service else rng.randint(0, 1))
        venue.created_at = walk[0].at - dt.timedelta(days=rng.randint(1, 5))
        venue.status_changed_at = walk[-1].at
    values = rows.Values()
    rows.update(
        VenueTransition,
        ["at", "effective_date"],
        [(values.when(t.at), values.day(t.effective_date), t.pk) for t in moved],
    )
    rows.update(
        Venue,
        ["created_at", "status_changed_at"],
        [
            (values.when(v.created_at), values.when(v.status_changed_at), v.pk)
            for v in venues.values()
        ],
    )
    rows.update(
        EntryPoint,
        ["created_at"],
        [
            (values.when(venues[venue_id].created_at), pk)
            for pk, venue_id in EntryPoint.objects.values_list("pk", "venue_id")
            if venue_id in venues
        ],
    )
    rows.update(
        QrCode,
        ["issued_at"],
        [
            (values.when(issued[venue_id]), pk)
            for pk, venue_id in QrCode.objects.values_list("pk", "entry_point__venue_id")
            if venue_id in issued
        ],
    )
