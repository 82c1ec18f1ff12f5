"""A few weeks of plausible check-ins for the demo, so the usage dashboards have
something to draw. Demo only: never run it on a real deployment.

The rows are written directly, not through `checkins.record.record_checkins`: the
service rightly refuses scans older than 24 hours, and weeks of history is the point.
They are marked with the rule set name `demo-usage`, so running again replaces them.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from jejak.checkins.errors import Decision, DenialReason
from jejak.checkins.models import BlackStatusAlert, CheckIn, CheckInRequest
from jejak.people.models import Person
from jejak.venues.models import Venue, VenueStatus

RULE_SET = "demo-usage"
# (weight, decision, colour, reasons): mostly green and admitted, as the real programme
# reported; a few yellow checked by staff, reds refused, the odd black.
OUTCOMES: list[tuple[int, str, str, list[str]]] = [
    (80, Decision.ALLOWED, "hijau", []),
    (9, Decision.ALLOWED_AFTER_STAFF_CHECK, "kuning", []),
    (6, Decision.DENIED, "merah", [DenialReason.STATUS_RED]),
    (3, Decision.DENIED, "hijau", [DenialReason.CAPACITY_FULL]),
    (1, Decision.DENIED, "hitam", [DenialReason.STATUS_BLACK]),
    (1, Decision.DENIED, "hijau", [DenialReason.OUTSIDE_HOURS]),
]


def build_usage(*, days: int = 21, seed: int = 2021) -> dict[str, int]:
    """Replace the demo's generated check-ins with `days` days of new ones up to today."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    venues = list(
        Venue.objects.filter(status__in=(VenueStatus.ISSUED, VenueStatus.INSTALLED))
        .prefetch_related("entry_points")
        .order_by("short_code")
    )
    people = list(Person.objects.select_related("account").order_by("pk")[:50])
    if not venues or not people:
        return {"venues": 0, "checkins": 0}
    today = timezone.localdate()
    tz = timezone.get_default_timezone()
    weights = [o[0] for o in OUTCOMES]
    with transaction.atomic():
        # Through the requests: deleting them deletes their check-ins and alerts too.
        CheckInRequest.objects.filter(checkins__rule_set=RULE_SET).delete()
        plans: list[tuple[Venue, Any, dt.datetime, tuple[int, str, str, list[str]]]] = []
        for venue in venues:
            entrances = list(venue.entry_points.all())
            if not entrances:
                continue
            # A third of the venues barely scan: the least compliant list needs them.
            busy = rng.choice([0, 0.2, 0.5, 1, 3, 8])
            for back in range(days):
                day = today - dt.timedelta(days=back)
                weekend = day.weekday() >= 5
                for _ in range(int(rng.expovariate(1) * busy * (1.5 if weekend else 1))):
                    at = dt.datetime.combine(
                        day, dt.time(rng.randint(7, 20), rng.randint(0, 59)), tz
                    )
                    if at > timezone.now():
                        continue
                    plans.append(
                        (venue, rng.choice(entrances), at, rng.choices(OUTCOMES, weights)[0])
                    )
        requests = CheckInRequest.objects.bulk_create(
            [
                CheckInRequest(
                    account=people[n % len(people)].account,
                    nonce=uuid.uuid4(),
                    received_at=at,
                    result={},
                )
                for n, (_, _, at, _) in enumerate(plans)
            ]
        )
        rows = []
        for n, ((venue, entrance, at, (_, decision, colour, reasons)), request) in enumerate(
            zip(plans, requests, strict=True)
        ):
            person = people[n % len(people)]
            admitted = decision != Decision.DENIED
            stay = dt.timedelta(minutes=venue.default_stay_minutes)
            rows.append(
                CheckIn(
                    request=request,
                    person=person,
                    account=person.account,
                    venue=venue,
                    entry_point=entrance,
                    visitor_type="guest",
                    decision=decision,
                    reasons=[str(r) for r in reasons],
                    colour=colour,
                    rule_set=RULE_SET,
                    scanned_at=at,
                    received_at=at,
                    checked_in_at=at if admitted else None,
                    planned_checkout_at=at + stay if admitted else None,
                    # Already out: generated stays must not fill today's occupancy.
                    checked_out_at=at + stay if admitted else None,
                    checkout_method="automatic" if admitted else "",
                )
            )
        created = CheckIn.objects.bulk_create(rows, batch_size=1000)
        BlackStatusAlert.objects.bulk_create(
            [
                # History: marked notified, or the periodic sweep would tell everyone now.
                BlackStatusAlert(
                    venue=c.venue, checkin=c, created_at=c.scanned_at, notified_at=c.scanned_at
                )
                for c in created
                if DenialReason.STATUS_BLACK in c.reasons
            ]
        )
    return {"venues": len(venues), "checkins": len(rows)}
