"""The usage page's per-venue numbers summed by the database (usage_counts.venue_totals,
busiest, least_compliant) give what the former per-venue, per-day Python computation
gave, on seeded random cities with some days rolled up; and the week's page runs a
fixed number of queries however many venues and check-ins there are."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from dataclasses import asdict
from typing import Any

import pytest
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.checkins.errors import Decision, DenialReason
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.dashboards import rollups, usage_counts
from jejak.dashboards.metrics import IN_SERVICE
from jejak.dashboards.rollups import Parts
from jejak.dashboards.tests.conftest import END, START, WIB, walk, wib
from jejak.regions.models import Region
from jejak.screening.models import Colour
from jejak.screening.tests.factories import make_person
from jejak.sectors.models import Sector
from jejak.venues.models import Venue, VenueQuerySet, VenueStatus
from jejak.venues.tests.factories import VenueFactory

# The check-ins reach a day either side of the week.
DAYS = [START + dt.timedelta(days=n) for n in range(-1, 9)]


def generate(city: Region, visitor: Any, rng: random.Random, *, venues: int, checkins: int) -> None:
    """Venues of several sectors (a sub-category among them) at every stage, codes issued
    before, during and after the week, and check-ins of every decision, colour and
    reason list on the days around it."""
    districts = list(city.children.all())
    sekolah = Sector.objects.get(slug="sekolah")
    sectors = [
        *Sector.objects.filter(slug__in=["hotel", "pusat-perbelanjaan", "puskesmas"]),
        Sector.objects.create(slug="smp", name_id="SMP", name_en="Junior high", parent=sekolah),
    ]
    made = []
    for n in range(venues):
        venue = VenueFactory(
            short_code=f"G{n:03d}",
            # A few share their name: the order must come from the code.
            name=f"Tempat {n % 7}",
            sector=rng.choice(sectors),
            region=rng.choice(districts),
            entrances=[f"Pintu {k}" for k in range(rng.randint(1, 3))],
        )
        stage = rng.random()
        if stage < 0.7:
            issued = wib(10, 25) + dt.timedelta(days=rng.randint(0, 15), hours=rng.randint(0, 23))
            steps = [("submit", issued), ("approve", issued), ("issue", issued)]
            if stage < 0.4:
                steps.append(("install", issued + dt.timedelta(days=1)))
            walk(venue, steps)
        elif stage < 0.8:
            walk(venue, [("submit", wib(10, 28))])
        made.append(venue)
    person = visitor.people.first()
    request = CheckInRequest.objects.create(
        account=visitor, nonce=uuid.uuid4(), received_at=wib(11, 1), result={}
    )
    reasons = [str(r) for r in DenialReason]
    rows = []
    for _ in range(checkins):
        venue = rng.choice(made)
        # Popular venues: a third of the scans go to the first five.
        if rng.random() < 0.3:
            venue = made[rng.randint(0, 4)]
        at = dt.datetime.combine(rng.choice(DAYS), dt.time(rng.randint(0, 23)), tzinfo=WIB)
        decision = rng.choice([str(d) for d in Decision])
        admitted = decision != Decision.DENIED
        rows.append(
            CheckIn(
                request=request,
                person=person,
                account=visitor,
                venue=venue,
                entry_point=venue.entry_points.first(),
                visitor_type="guest",
                decision=decision,
                reasons=[] if admitted else rng.sample(reasons, rng.randint(1, 2)),
                colour=rng.choice([str(c) for c in Colour]),
                rule_set="uji",
                scanned_at=at,
                received_at=at,
                checked_in_at=at if admitted else None,
                checked_out_at=at if admitted else None,
            )
        )
    CheckIn.objects.bulk_create(rows, batch_size=500)


# --- The former computations, kept here as the reference ----------------------------------


def former_venue_rows(scope: VenueQuerySet, start: dt.date, end: dt.date) -> list[list[Any]]:
    """The usage view's venue table before venue_totals: every venue's days summed in
    Python from checkins_per_day(by="venue"), most check-ins first."""
    per_venue: dict[str, list[Any]] = {}
    for row in usage_counts.checkins_per_day(scope, start, end, by="venue"):
        entry = per_venue.setdefault(row.key, [row.key, row.name, 0, 0, 0])
        entry[2] += row.total
        entry[3] += row.admitted
        entry[4] += row.denied
    return sorted(per_venue.values(), key=lambda r: (-r[2], r[0]))


def former_least_compliant(
    scope: VenueQuerySet, start: dt.date, end: dt.date, *, limit: int | None
) -> list[usage_counts.Compliance]:
    """least_compliant before it read venue_totals: a model per venue, every venue ranked."""
    venues = list(
        scope.filter(status__in=IN_SERVICE)
        .select_related("sector__parent")
        .annotate(
            n_entrances=Count("entry_points", distinct=True),
            first_issued=Min(
                "transitions__at", filter=Q(transitions__to_status=VenueStatus.ISSUED)
            ),
        )
        .order_by()
    )
    parts = Parts.of(start, end)
    in_service = scope.filter(status__in=IN_SERVICE)
    used: Counter[int] = Counter()
    for venue, n in (
        parts.checkins(in_service).values("venue").annotate(n=Count("id")).values_list("venue", "n")
    ):
        used[venue] += n
    for venue, n in (
        parts.counts(in_service).values("venue").annotate(n=Sum("count")).values_list("venue", "n")
    ):
        used[venue] += n
    tz = timezone.get_default_timezone()
    rows = []
    for v in venues:
        issued_on = timezone.localtime(v.first_issued, tz).date() if v.first_issued else None
        first_day = max(start, issued_on) if issued_on else start
        days = max((end - first_day).days + 1, 0)
        n = used.get(v.pk, 0)
        per_day = n / days if days else 0.0
        root = v.sector.root
        rows.append(
            usage_counts.Compliance(
                short_code=v.short_code,
                name=v.name,
                sector=root.slug,
                sector_name=root.name("id"),
                status=v.status,
                entrances=v.n_entrances,
                issued_on=issued_on,
                days=days,
                checkins=n,
                per_day=round(per_day, 2),
                per_entrance_per_day=round(per_day / v.n_entrances, 2) if v.n_entrances else 0.0,
            )
        )
    rows = [r for r in rows if r.days > 0]
    rows.sort(key=lambda r: (r.per_entrance_per_day, r.checkins, r.short_code))
    return rows[:limit] if limit is not None else rows


def venue_rows(scope: VenueQuerySet, start: dt.date, end: dt.date, limit: int) -> list[list[Any]]:
    totals = usage_counts.venue_totals(scope, start, end)
    return [
        [r.short_code, r.name, r.total, r.admitted, r.denied]
        for r in usage_counts.busiest(totals, limit=limit)
    ]


def compare(scope: VenueQuerySet, start: dt.date, end: dt.date) -> None:
    former = former_venue_rows(scope, start, end)
    assert former  # the seeds give every scope check-ins to compare
    assert len(usage_counts.venue_totals(scope, start, end)) == len(former)
    for limit in (1, 5, 20, len(former) + 1):
        assert venue_rows(scope, start, end, limit) == former[:limit]
    for limit in (None, 1, 20):
        expected = [asdict(r) for r in former_least_compliant(scope, start, end, limit=limit)]
        assert [
            asdict(r) for r in usage_counts.least_compliant(scope, start, end, limit=limit)
        ] == expected
        # As the page calls it: with the totals of the whole scope, in service or not.
        totals = usage_counts.venue_totals(scope, start, end)
        assert [
            asdict(r)
            for r in usage_counts.least_compliant(scope, start, end, limit=limit, totals=totals)
        ] == expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_totals_match_the_former_python_computation(city, make_user, seed):
    rng = random.Random(seed)
    visitor = make_user(Role.VISITOR)
    make_person(visitor)
    generate(city, visitor, rng, venues=40, checkins=600)
    scope = Venue.objects.filter(city.subtree_q("region"))
    hotels = scope.filter(sector__slug="hotel")
    periods = [(START, END), (START, START), (DAYS[0], DAYS[-1])]
    per_day = {p: usage_counts.checkins_per_day(scope, *p) for p in periods}
    for period in periods:
        compare(scope, *period)
        compare(hotels, *period)
    # Some days rolled up, the others read live: runs of one day and of several.
    for day in DAYS:
        if rng.random() < 0.6:
            rollups.roll_day(day)
    assert Parts.of(*periods[2]).rolled and Parts.of(*periods[2]).live
    for period in periods:
        compare(scope, *period)
        compare(hotels, *period)
        assert usage_counts.checkins_per_day(scope, *period) == per_day[period]


def test_the_weeks_page_runs_a_fixed_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(Role.CITY_ADMIN, region=world.city)
    url = f"/dasbor/penggunaan/?start={START}&end={END}"
    for day in DAYS:
        rollups.roll_day(day)

    # The session and user, the filters' choices, which days are rolled up (once per
    # count), then grouped queries: none per venue, day or check-in.
    def count() -> int:
        with django_assert_max_num_queries(23) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    # Many more venues with check-ins on every day: not one query more.
    rng = random.Random(7)
    generate(world.city, world.visitor, rng, venues=30, checkins=300)
    for day in DAYS:
        rollups.roll_day(day)
    assert count() == before
