"""The benchmark's city in the database: venues through the ORM, then accounts, people,
their placeholder requests and the check-ins in bulk (data.py's rows, load.py's
loaders). `jejak bench-trace` and `jejak bench-warn` build theirs with it."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable

from django.core.management.base import CommandError
from django.db import connection

from jejak.accounts import privacy
from jejak.checkins import partitions
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.devtools.trace_bench import data
from jejak.devtools.trace_bench.load import (
    Stopwatch,
    indexes_dropped,
    load,
    next_id,
    reset_sequence,
)
from jejak.regions.models import Region
from jejak.sectors.models import Sector
from jejak.venues.models import EntryPoint, Venue, VenueStatus


def load_world(
    *,
    people: int,
    venues: int,
    checkins: int,
    days: int,
    day0: dt.datetime,
    clock: Stopwatch,
    say: Callable[[str], None],
    top: int = 2000,
    exponent: float = 0.7,
    employee_share: float = data.EMPLOYEE_SHARE,
    identity: data.Identity | None = None,
    cities: int = 1,
) -> data.World:
    """Venues (make_venues), then accounts, people and their placeholder requests, then
    the check-ins, in bulk into the current database; a line per table through `say`.
    `top`, `exponent`, `employee_share` and `identity` shape the data (data.py);
    `cities` spreads the venues over that many cities of one province (make_venues)."""
    vendor = connection.vendor
    fmt = data.POSTGRES if vendor == "postgresql" else data.SQLITE
    rng = random.Random(5)  # noqa: S311 (fake data)
    made = make_venues(venues, rng, top=top, exponent=exponent, cities=cities)
    say(f"{vendor} load venues n={len(made)} s={clock.lap():.1f}")

    stamp = (day0 - dt.timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S") + fmt.tz
    # A placeholder request holds check-ins of every day, so it is received after the
    # last: stamped before the window, every one of them would look past retention, and
    # each retention round would walk them all (millions) asking whether any is empty,
    # which a service's requests, received as their check-ins are, never make it do.
    received = (day0 + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S") + fmt.tz
    sizes = data.family_sizes(people, rng)
    account0, person0, request0 = (
        next_id("accounts_user"),
        next_id("people_person"),
        next_id("checkins_checkinrequest"),
    )
    account_of = [a for a, size in enumerate(sizes) for _ in range(size)]
    steps = [
        (
            "accounts_user",
            data.USER_COLUMNS,
            data.user_rows(fmt, len(sizes), account0, stamp, privacy.current_version()),
        ),
        (
            "people_person",
            data.PERSON_COLUMNS,
            data.person_rows(fmt, sizes, person0, account0, stamp, identity),
        ),
        (
            "checkins_checkinrequest",
            data.REQUEST_COLUMNS,
            data.request_rows(len(sizes), request0, account0, received),
        ),
    ]
    for table, columns, rows in steps:
        with indexes_dropped(table):
            count = load(table, columns, rows)
            say(f"{vendor} load {table} rows={count} s={clock.lap():.1f}")
        reset_sequence(table)
        say(f"{vendor} load {table} indexes s={clock.lap():.1f}")

    world = data.World(
        people=people,
        first_person_id=person0,
        first_request_id=request0,
        first_account_id=account0,
        account_of=account_of,
        venues=made,
        day0=day0,
        days=days,
        employee_share=employee_share,
    )
    table = CheckIn._meta.db_table
    # COPY FREEZE needs a plain table emptied in its transaction: not a partitioned one
    # (PostgreSQL after checkins 0010), whose COPY routes each row to its day.
    freeze = vendor == "postgresql" and not partitions.active()
    with indexes_dropped(table):
        rows = data.checkin_rows(fmt, world, checkins)
        count = load(table, data.CHECKIN_COLUMNS, rows, freeze=freeze)
        say(f"{vendor} load {table} rows={count} s={clock.lap():.1f}")
    say(f"{vendor} load {table} indexes s={clock.lap():.1f}")
    if CheckInRequest.objects.count() != len(sizes):
        raise CommandError("requests went missing (TRUNCATE ... CASCADE?)")
    return world


def make_venues(
    count: int,
    rng: random.Random,
    *,
    top: int = 2000,
    exponent: float = 0.7,
    cities: int = 1,
) -> list[data.VenueInfo]:
    """Venues in Kota Tangerang's districts with one to four entrances, through the ORM
    (a few thousand rows); popularity (data.venue_weights) and stays for the generator.

    With `cities` > 1, venue i is in city i modulo `cities`: Kota Tangerang first, then
    made-up cities of Banten with one kecamatan each, so that each city holds about an
    equal share of the venues, popular or not, and of the check-ins (a province's city
    holds a twentieth of its rows, issue 21)."""
    from jejak.demo.builder import CITY, REGIONS_CSV
    from jejak.regions.imports import import_regions

    import_regions(REGIONS_CSV)
    province = Region.objects.get(code=CITY.split(".")[0])
    # Each city's kecamatan, city 0 first: venue i is in places[i % cities].
    places = [list(Region.objects.filter(level="district", parent__code=CITY))]
    for k in range(1, cities):
        city, _ = Region.objects.get_or_create(
            code=f"{province.code}.{k:02d}",
            defaults={"name": f"Kota Uji {k}", "level": "regency", "parent": province},
        )
        district, _ = Region.objects.get_or_create(
            code=f"{city.code}.01",
            defaults={"name": f"Uji {k}", "level": "district", "parent": city},
        )
        places.append([district])
    by_slug = {s.slug: s for s in Sector.objects.all()}
    slugs = list(data.SECTOR_SHARE)
    chosen = rng.choices(slugs, weights=[data.SECTOR_SHARE[s] for s in slugs], k=count)
    weights = data.venue_weights(count, chosen, rng, top=top, exponent=exponent)
    venues = Venue.objects.bulk_create(
        [
            Venue(
                short_code=f"TRACE-{i:05d}",
                name=f"{by_slug[slug].name_id} {i}",
                sector=by_slug[slug],
                region=_district(places, i),
                capacity=max(20, weights[i] * 5),
                default_stay_minutes=data.STAY_BY_SECTOR[slug],
                status=VenueStatus.INSTALLED,
            )
            for i, slug in enumerate(chosen)
        ],
        batch_size=1000,
    )
    doors = [
        EntryPoint(venue=venue, name=f"Pintu {k + 1}", position=k)
        for venue, weight in zip(venues, weights, strict=True)
        for k in range(1 + min(3, weight // 500))
    ]
    EntryPoint.objects.bulk_create(doors, batch_size=2000)
    entrances: defaultdict[int, list[int]] = defaultdict(list)
    for door in doors:
        entrances[door.venue_id].append(door.pk)
    return [
        data.VenueInfo(v.pk, entrances[v.pk], v.default_stay_minutes, w)
        for v, w in zip(venues, weights, strict=True)
    ]


def _district(places: list[list[Region]], i: int) -> Region:
    """Venue i's kecamatan: its city is i modulo the cities, then its kecamatan in turn."""
    city = places[i % len(places)]
    return city[(i // len(places)) % len(city)]
