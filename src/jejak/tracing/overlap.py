"""Who shared a venue with a case: the low-level overlap search behind contact tracing.

Two queries (up to 100 visits in the window): the case's admitted check-ins (a handful of
rows, by the person index), then one `UNION ALL` with a branch per case visit that reads
the other check-ins of that venue. Each branch is a single range scan of the index
`checkin_venue_time` on `(venue_id, scanned_at)`: a stay lasts at most `MAX_STAY` (24 h,
checkins.decision), so whoever overlaps a visit starting at `lo` checked in after
`lo - 24 h`. The range is on `scanned_at` because that is what the index holds; an
admitted check-in's `checked_in_at` is its `scanned_at` (checkins.admit), and the
query repeats the range on `checked_in_at`, which also drops refusals (NULL there).
Without that index each branch reads every check-in of the venue for the last three
weeks (see docs/performance.md, "Tracing"). On PostgreSQL both queries read the held
check-ins too (past retention, kept for an open case or cluster; docs/partitions.md):
a `UNION ALL` of the day-partitioned table and the held table, each branch on its own
index, the days outside the range pruned.

Both queries run where `core.replicas` sends the caller's reads: a replica inside
`replicas.reading()` (the contact search), else the primary.

The bounds are computed here, not in SQL: date arithmetic differs between SQLite (text
timestamps) and PostgreSQL, comparisons do not, and literal bounds let the planner see
the exact range of each branch. The overlap itself is measured by the database, in
integer microseconds (`contact_query`): Python only builds a tuple from each row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone

from jejak.checkins import partitions
from jejak.checkins.decision import MAX_STAY
from jejak.core import replicas
from jejak.venues.models import Venue

DEFAULT_AEROSOL_CAP = dt.timedelta(minutes=30)
# What both queries read of a check-in: all in `checkin_venue_time` (covering). On
# PostgreSQL the held check-ins are read with them (checkins.partitions.with_held).
_COLUMNS = (
    "id",
    "person_id",
    "venue_id",
    "visitor_type",
    "scanned_at",
    "checked_in_at",
    "checked_out_at",
    "planned_checkout_at",
)


@dataclass(frozen=True)
class Presence:
    """Which of the case's stays count and how long the air stays infectious after the
    case left (a tracing profile's `case_min_stay_minutes` and `tail`)."""

    # Stays shorter than this (from check-in to check-out, before any clipping) are
    # ignored, as Corona-Warn-App ignores a case's check-ins under 10 minutes.
    min_stay: dt.timedelta = dt.timedelta(0)
    # "proportional": min(presence, tail) after the presence; "fixed": `tail` after it.
    tail_rule: str = "proportional"
    tail: dt.timedelta = DEFAULT_AEROSOL_CAP

    def tail_us(self, presence_us: int) -> int:
        """The tail after a presence of `presence_us` microseconds."""
        tail = _span(self.tail)
        return min(presence_us, tail) if self.tail_rule == "proportional" else tail


DEFAULT_PRESENCE = Presence()
# SQLite refuses compound SELECTs of more than 500 terms; a case has tens of visits.
_BRANCHES_PER_QUERY = 100


class SharedVisit(NamedTuple):
    """One contact check-in overlapping one case check-in at the same venue: a named
    tuple of plain values, built from the row as the database returns it. A crowded case
    has tens of thousands, and a frozen dataclass or two datetimes each cost more per
    pair than the database's work for it (docs/performance.md, "Figures (2026-12-07,
    night)"). The times are integer microseconds since the epoch; `start` and `end` read
    them as datetimes."""

    case_checkin_id: int
    contact_checkin_id: int
    contact_person_id: int
    venue_id: int
    sector_id: int
    contact_visitor_type: str  # "guest" | "employee"
    start_us: int  # max of the two starts
    end_us: int  # min of the two ends (the case's end includes the aerosol tail)

    @property
    def start(self) -> dt.datetime:
        return from_micros(self.start_us)

    @property
    def end(self) -> dt.datetime:
        return from_micros(self.end_us)

    @property
    def seconds(self) -> int:
        """Whole seconds, always > 0: touching intervals are not contacts."""
        return (self.end_us - self.start_us) // 1_000_000


@dataclass(frozen=True)
class CaseVisit:
    checkin_id: int
    venue_id: int
    sector_id: int
    start: int  # microseconds since the epoch, the presence clipped to the window
    end: int  # the clipped presence's end plus its aerosol tail (may pass the window)


def stay_end(
    checked_in_at: dt.datetime,
    checked_out_at: dt.datetime | None,
    planned_checkout_at: dt.datetime | None,
    now: dt.datetime,
) -> dt.datetime:
    """When a stay ends for tracing: its check-out, else its planned (automatic)
    check-out, else now; never more than MAX_STAY after the check-in."""
    ceiling = checked_in_at + MAX_STAY
    end = checked_out_at or planned_checkout_at or min(now, ceiling)
    return min(end, ceiling)


def shared_visits(
    *,
    person_id: int,
    window_start: dt.datetime,
    window_end: dt.datetime,
    presence: Presence = DEFAULT_PRESENCE,
    now: dt.datetime | None = None,
) -> list[SharedVisit]:
    """Every other person's admitted stay overlapping (by more than zero) one of the
    person's admitted stays at the same venue (any entrance). The person's presence is
    first clipped to [window_start, window_end] (outside it they were not infectious),
    then extended after it by the profile's tail, even past the window's end (the air
    stays after the case left for isolation). Ordered by start, then case and contact
    check-in."""
    now = now or timezone.now()
    visits = case_visits(person_id, window_start, window_end, presence, now)
    found: list[SharedVisit] = []
    for chunk in _chunks(visits, _BRANCHES_PER_QUERY):
        found += _contacts(person_id, chunk, now)
    found.sort(key=attrgetter("start_us", "case_checkin_id", "contact_checkin_id"))
    return found


def case_visits(
    person_id: int,
    window_start: dt.datetime,
    window_end: dt.datetime,
    presence: Presence,
    now: dt.datetime,
) -> list[CaseVisit]:
    """The person's admitted stays present in the window, long enough to count: the
    presence clipped to the window, then its tail."""
    sql, params = case_query(person_id, window_start, window_end, presence)
    now_us, min_us = to_micros(now), _span(presence.min_stay)
    lo_us, hi_us = to_micros(window_start), to_micros(window_end)
    rows = replicas.fetchall(sql, params)
    visits = []
    for checkin_id, venue_id, sector_id, start, out, planned in rows:
        end = max(_stay_end(start, out, planned, now_us), start)
        if end - start < min_us:
            continue
        # Clip first: a stay that ended before the window exposes nobody, tail or not.
        lo, hi = max(start, lo_us), min(end, hi_us)
        if hi > lo:
            visits.append(
                CaseVisit(checkin_id, venue_id, sector_id, lo, hi + presence.tail_us(hi - lo))
            )
    return visits


def case_query(
    person_id: int, window_start: dt.datetime, window_end: dt.datetime, presence: Presence
) -> tuple[str, list[Any]]:
    """The SQL and parameters of the case's own stays (the benchmark explains it)."""
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        f"SELECT c.id, c.venue_id, v.sector_id, {_micros('c.checked_in_at')}, "  # noqa: S608 (names from the models)
        f"{_micros('c.checked_out_at')}, {_micros('c.planned_checkout_at')} "  # nosec B608
        f"FROM {partitions.with_held(_COLUMNS)} c "
        f"JOIN {Venue._meta.db_table} v ON v.id = c.venue_id "
        "WHERE c.person_id = %s AND c.scanned_at > %s AND c.scanned_at < %s "
        "AND c.checked_in_at > %s AND c.checked_in_at < %s ORDER BY c.checked_in_at, c.id"
    )
    # A stay that began before window_start - MAX_STAY ended before the window.
    earliest, latest = adapt(window_start - MAX_STAY), adapt(window_end)
    return sql, [person_id, earliest, latest, earliest, latest]


def contact_query(
    person_id: int, visits: Sequence[CaseVisit], now: dt.datetime
) -> tuple[str, list[Any]]:
    """The SQL and parameters of the contact search (the benchmark explains it). Each
    row is a SharedVisit's fields in order: the overlap is measured by the database, in
    microseconds, so that a crowded venue's thousands of pairs cost Python one tuple each
    (the caller drops those under a second)."""
    adapt = connection.ops.adapt_datetimefield_value
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    checked_in = _micros("c.checked_in_at")
    # A stay ends at its check-out, else its planned check-out, else now, and never more
    # than MAX_STAY after it began (stay_end); the overlap ends there or at the visit's
    # end, whichever comes first.
    ends = (
        f"{least}(COALESCE({_micros('c.checked_out_at')}, {_micros('c.planned_checkout_at')}, "
        f"%s), {checked_in} + {_MAX_STAY_US}, %s)"
    )
    # `scanned_at > lo - MAX_STAY` is what makes each branch one index range scan; the
    # COALESCE keeps a stay that ended before the visit began out of the result (a stay
    # with neither check-out nor plan ends at now: see stay_end).
    branch = (
        f"SELECT %s, c.id, c.person_id, %s, %s, c.visitor_type, "  # noqa: S608 (names from the model)
        f"{greatest}({checked_in}, %s), {ends} "  # nosec B608
        f"FROM {partitions.with_held(_COLUMNS)} c WHERE c.venue_id = %s "
        "AND c.scanned_at > %s AND c.scanned_at < %s "
        "AND c.checked_in_at > %s AND c.checked_in_at < %s AND c.person_id <> %s "
        "AND COALESCE(c.checked_out_at, c.planned_checkout_at, %s) > %s"
    )
    sql = " UNION ALL ".join([branch] * len(visits))
    params: list[Any] = []
    now_us = to_micros(now)
    for v in visits:
        start = from_micros(v.start)
        earliest, latest = adapt(start - MAX_STAY), adapt(from_micros(v.end))
        params += [
            v.checkin_id,
            v.venue_id,
            v.sector_id,
            v.start,
            now_us,
            v.end,
            v.venue_id,
            earliest,
            latest,
            earliest,
            latest,
            person_id,
            adapt(now),
            adapt(start),
        ]
    return sql, params


def _contacts(person_id: int, visits: Sequence[CaseVisit], now: dt.datetime) -> list[SharedVisit]:
    sql, params = contact_query(person_id, visits, now)
    # Whole seconds: an overlap under one second counts as touching (the stay's ceiling
    # can also end it before the visit began).
    return [
        SharedVisit._make(row)
        for row in replicas.fetchall(sql, params)
        if row[7] - row[6] >= 1_000_000
    ]


# Times travel as integer microseconds since the epoch: parsing thousands of timestamps
# per case in the driver cost more than the query itself (about 60 us each), and integer
# arithmetic is the same on both databases. SQLite's julianday() keeps milliseconds.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MAX_STAY_US = int(MAX_STAY.total_seconds()) * 1_000_000


def _micros(column: str) -> str:
    if connection.vendor == "postgresql":
        # date_part() is double precision (exact to the microsecond for these dates);
        # EXTRACT() is numeric, and three of them cost more than the index scan.
        return f"CAST(date_part('epoch', {column}) * 1000000 AS BIGINT)"
    return f"CAST(ROUND((julianday({column}) - 2440587.5) * 86400000.0) AS INTEGER) * 1000"


def _stay_end(start: int, out: int | None, planned: int | None, now: int) -> int:
    """stay_end in microseconds."""
    ceiling = start + _MAX_STAY_US
    end = out if out is not None else planned if planned is not None else min(now, ceiling)
    return min(end, ceiling)


def _span(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_micros(moment: dt.datetime) -> int:
    return _span(moment - _EPOCH)


def from_micros(micros: int) -> dt.datetime:
    # Twice as fast as adding a timedelta, and exact: a double holds today's epoch
    # microseconds to a fraction of one, and fromtimestamp rounds to the nearest.
    return dt.datetime.fromtimestamp(micros / 1_000_000, dt.UTC)


def _chunks(items: Sequence[CaseVisit], size: int) -> Iterable[Sequence[CaseVisit]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
