"""What `jejak bench-national` measures inside the loaded database (its measuring
process runs with DATABASE_URL on its primary and DATABASE_REPLICA_URLS on its standby):
partition sizes per day, tracing and the city's usage dashboard on the replica, the
drop of the oldest day, and the read load that runs beside the check-ins."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from django.db import connection
from django.db.models import Max, Min, Sum
from django.test import Client

from jejak.accounts.models import User
from jejak.accounts.roles import Role
from jejak.checkins import partitions, retention
from jejak.core import replicas
from jejak.dashboards.models import DailyVenueCount
from jejak.devtools.trace_bench import data
from jejak.devtools.trace_bench.cases import nearest_rank, pick_cases
from jejak.people.models import Person
from jejak.regions.models import Region
from jejak.tracing.overlap import shared_visits
from jejak.venues.models import Venue

Say = Callable[[str], None]
WINDOW_DAYS = 10  # a case's window, as bench-trace's
DASHBOARD_DAYS = 7


@dataclass(frozen=True)
class Case:
    person_id: int
    start: dt.datetime
    end: dt.datetime


def sizes(say: Say) -> None:
    """Each day's partition: rows, table and index size; the totals."""
    q = connection.ops.quote_name
    table_total = index_total = rows_total = 0
    with connection.cursor() as cursor:
        for item in partitions.listing(count=True):
            cursor.execute(
                "SELECT pg_table_size(to_regclass(%s)), pg_indexes_size(to_regclass(%s))",
                [item.name, item.name],
            )
            table, index = cursor.fetchone()
            table_total, index_total = table_total + table, index_total + index
            rows_total += item.rows
            if item.rows:
                say(
                    f"size {item.name} rows={item.rows} table_mb={table / 2**20:.0f} "
                    f"index_mb={index / 2**20:.0f}"
                    + (f" bytes_per_row={(table + index) / item.rows:.0f}" if item.rows else "")
                )
        cursor.execute("SELECT pg_database_size(current_database())")
        (database,) = cursor.fetchone()
    say(
        f"size total rows={rows_total} table_gb={table_total / 2**30:.2f} "
        f"index_gb={index_total / 2**30:.2f} database_gb={database / 2**30:.2f} "
        f"(table {q(partitions.TABLE)})"
    )


def cases(count: int, *, days: int, now: dt.datetime) -> list[Case]:
    """Random people with several visits in a 10-day window (bench-trace's choice)."""
    bounds = Person.objects.aggregate(first=Min("pk"), last=Max("pk"))
    world = SimpleNamespace(
        first_person_id=bounds["first"],
        people=bounds["last"] - bounds["first"] + 1,
        days=days,
        day0=data.first_day(now, days),
    )
    rng = random.Random(21)  # noqa: S311 (fake data)
    picked = pick_cases(count, cast(data.World, world), WINDOW_DAYS, rng)
    return [Case(p, s, e) for p, s, e in picked]


def trace(picked: list[Case], *, now: dt.datetime, say: Say, label: str = "") -> float:
    """The contact search's read of each case, where the search reads (a replica whose
    lag is under the bound); prints the distribution, returns the p99 in ms."""
    timings, contacts = [], []
    with replicas.reading():
        alias = replicas.read_alias()
        for case in picked:
            began = time.perf_counter()
            found = shared_visits(
                person_id=case.person_id, window_start=case.start, window_end=case.end, now=now
            )
            per_person: defaultdict[int, int] = defaultdict(int)
            for shared in found:
                per_person[shared.contact_person_id] += shared.seconds
            timings.append((time.perf_counter() - began) * 1000)
            contacts.append(len(per_person))
    ordered = sorted(timings)
    p99 = nearest_rank(ordered, 0.99)
    # The contacts of the case whose search was the p99: the tail is the crowded venues'.
    at_p99 = contacts[timings.index(p99)]
    say(
        f"trace {label + ' ' if label else ''}on={alias} cases={len(timings)} "
        f"median_ms={statistics.median(timings):.1f} "
        f"p90_ms={nearest_rank(ordered, 0.90):.1f} p99_ms={p99:.1f} max_ms={ordered[-1]:.1f} "
        f"contacts_median={statistics.median(contacts):.0f} max={max(contacts)} "
        f"at_p99={at_p99}"
    )
    return p99


# The city officer the dashboard is read as.
OFFICER = "bench-national-city"


def city_officer() -> tuple[Client, Region]:
    """A signed-in city officer of the city the venues are in."""
    district = Venue.objects.select_related("region__parent").first().region  # type: ignore[union-attr]
    city = district.parent if district.level == "district" and district.parent else district
    user, _created = User.objects.get_or_create(
        username=OFFICER,
        defaults={"role": Role.CITY_ADMIN, "region": city, "first_name": "Bench"},
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client, city


def dashboard(client: Client, *, now: dt.datetime) -> tuple[float, int]:
    """The usage dashboard of the officer's city for the last week (its numbers read on
    a replica): seconds and the HTTP status."""
    end = now.astimezone(data.JAKARTA).date()
    start = end - dt.timedelta(days=DASHBOARD_DAYS - 1)
    began = time.perf_counter()
    response = client.get(f"/dasbor/penggunaan/?start={start}&end={end}")
    return time.perf_counter() - began, response.status_code


def city_share(city: Region, *, now: dt.datetime) -> tuple[int, float]:
    """The city's venues, and its share of the check-ins of the week's rolled-up days
    (the daily rollups the dashboard reads; on the primary)."""
    end = now.astimezone(data.JAKARTA).date()
    week = DailyVenueCount.objects.filter(
        day__gte=end - dt.timedelta(days=DASHBOARD_DAYS - 1), day__lte=end
    )
    inside = city.subtree_q("venue__region")
    total = week.aggregate(n=Sum("count"))["n"] or 0
    mine = week.filter(inside).aggregate(n=Sum("count"))["n"] or 0
    venues = Venue.objects.filter(city.subtree_q("region")).count()
    return venues, mine / total if total else 0.0


def drop_oldest(*, now: dt.datetime, say: Say) -> tuple[float, float]:
    """Drop the oldest day's partition as retention does (the holds' rows copied first);
    returns the seconds it took in all, and those the check-in table was locked."""
    days = partitions.existing()
    if not days:
        say("drop no day partition (not partitioned)")
        return float("nan"), float("nan")
    oldest = days[0]
    keep = [hold(oldest.hi) for hold in retention.KEEP_PREDICATES]
    began = time.perf_counter()
    dropped = partitions.drop(oldest, keep)
    seconds = time.perf_counter() - began
    say(
        f"drop {oldest.name} s={seconds:.3f} locked_s={dropped.locked:.3f} "
        f"checkins={dropped.checkins} held={dropped.held} "
        f"waiting={dropped.waiting} cascaded={dict(dropped.cascaded or {})}"
    )
    return seconds, dropped.locked


def read_load(
    picked: list[Case],
    *,
    seconds: float,
    now: dt.datetime,
    say: Say,
    start: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """One trace a second and the city's dashboard every 5 s, on the replica, for
    `seconds` from when `start` returns: the read load that runs beside the check-ins.
    Before that, one dashboard and one trace, uncounted: a served process has made its
    first ones long before (templates compiled, the search's code imported)."""
    client, _city = city_officer()
    dashboard(client, now=now)
    with replicas.reading():
        first = picked[0]
        shared_visits(
            person_id=first.person_id, window_start=first.start, window_end=first.end, now=now
        )
    start()
    traces = dashboards = failures = 0
    began = time.monotonic()
    next_trace = next_dashboard = began
    index = 0
    while (clock := time.monotonic()) - began < seconds:
        if clock >= next_dashboard:
            _took, status = dashboard(client, now=now)
            dashboards += 1
            failures += status != 200
            next_dashboard += 5
        if clock >= next_trace:
            case = picked[index % len(picked)]
            index += 1
            with replicas.reading():
                shared_visits(
                    person_id=case.person_id, window_start=case.start, window_end=case.end, now=now
                )
            traces += 1
            next_trace += 1
        time.sleep(max(0.0, min(next_trace, next_dashboard) - time.monotonic()))
    return {"traces": traces, "dashboards": dashboards, "failures": failures}
