"""The people of a check-in batch, locked: every person of each account (or each person,
for staff check-ins) with their open stay and, by account, the requests of the burst
window, in one statement after the lock's own. The lock serialises one family's requests
and nobody else's."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import connection

from jejak.checkins.errors import CheckInError, Refusal
from jejak.checkins.models import (
    ADMITTED,
    CheckIn,
    CheckInRequest,
)
from jejak.core import sql
from jejak.people.models import Person, Relation


def max_per_minute() -> int:
    return settings.JEJAK_CHECKINS_PER_MINUTE


@dataclass(frozen=True)
class LockedPerson:
    """What the check-in path needs of a person (read by hand, not as a model)."""

    pk: int
    public_id: str
    relation: str
    nik_index: str
    birth_date: dt.date
    nik_masked: str
    identity_verified_at: dt.datetime | None


@dataclass(frozen=True)
class OpenStay:
    """A person's open stay."""

    pk: int
    public_id: str
    venue_id: int
    checked_in_at: dt.datetime
    planned_checkout_at: dt.datetime | None


_PERSON_FIELDS = (
    "id",
    "account",
    "public_id",
    "relation",
    "nik_index",
    "birth_date",
    "nik_masked",
    "identity_verified_at",
)
_ACTIVE_FIELDS = ("id", "public_id", "venue_id", "checked_in_at", "planned_checkout_at")


@cache
def _people_sql(vendor: str, by: str) -> str:
    """The people (of some accounts, or some people by id), each with their open stay
    and, by account, the account's requests of the burst window, in id order (locked
    by `_lock_sql` just before, where the database can)."""
    p, c, r = Person, CheckIn, CheckInRequest
    pc, cc, rc = partial(sql.column, p), partial(sql.column, c), partial(sql.column, r)
    # Quoted names from the models' metadata and the constant ADMITTED decisions; every
    # other value is a parameter (`by` must name a field of Person: sql.column checks).
    admitted = ", ".join(f"'{d}'" for d in ADMITTED)
    burst = (
        f"(SELECT COUNT(*) FROM {sql.table(r)} r WHERE r.{rc('account')} = p.{pc('account')} "
        f"AND r.{rc('received_at')} > %s)"  # nosec B608
        if by == "account"
        else "0"
    )
    # The open stay is read through the partial index (checkin_one_active_per_person:
    # unique but on PostgreSQL's partitioned table), whose condition (ACTIVE_Q) the join
    # repeats. On PostgreSQL a LATERAL join keeps it a
    # look-up per person: as a plain join, the plan prepared once per connection merged
    # the people with every open stay in the city.
    active = (
        f"c.{cc('person')} = p.{pc('id')} AND c.{cc('decision')} IN ({admitted}) "
        f"AND c.{cc('checked_out_at')} IS NULL"
    )
    if vendor == "postgresql":
        stay = (
            f"LEFT JOIN LATERAL (SELECT {', '.join(cc(f) for f in _ACTIVE_FIELDS)} "
            f"FROM {sql.table(c)} c WHERE {active} LIMIT 1) c ON TRUE"  # nosec B608
        )
    else:
        stay = f"LEFT JOIN {sql.table(c)} c ON {active}"
    return (
        f"SELECT {', '.join('p.' + pc(f) for f in _PERSON_FIELDS)}, "
        f"{', '.join('c.' + cc(f) for f in _ACTIVE_FIELDS)}, {burst} "
        f"FROM {sql.table(p)} p {stay} "
        f"WHERE {sql.any_of('p.' + pc(by))} ORDER BY p.{pc('id')}"  # nosec B608
    )


@cache
def _lock_sql(vendor: str, by: str) -> str:
    """The people (of some accounts, or some people by id) locked, in id order."""
    del vendor  # part of the cache key only
    p, pc = Person, partial(sql.column, Person)
    return (
        f"SELECT p.{pc('id')} FROM {sql.table(p)} p WHERE {sql.any_of('p.' + pc(by))} "
        f"ORDER BY p.{pc('id')} FOR UPDATE"  # nosec B608
    )


@dataclass
class Locked:
    """What `lock_people` read: people by account, open stays by person, burst counts."""

    people: dict[int, list[LockedPerson]]
    active: dict[int, OpenStay]
    recent: dict[int, int]


def lock_people(*, by: str, keys: Sequence[int], now: dt.datetime) -> Locked:
    """Lock the people (every person of these accounts, or these people), then read their
    open stays and each account's requests of the last minute in one statement."""
    # Locking every person of the account (a family: a dozen rows at most) serialises
    # one family's concurrent requests and nobody else's, which keeps one active
    # check-in per person and makes the burst count exact. One statement locks a whole
    # batch in id order, so two batches never wait for each other in a cycle.
    if connection.features.has_select_for_update:
        # Locked first, read after: a statement that waited for a lock still reads the
        # other tables as they were when it began (READ COMMITTED), so a family's second
        # request, read in the same statement as its lock, missed the stay the first had
        # just committed (9 racing scans of one person: 9 stays open, test_concurrency).
        # The partial unique index caught that with an error until PostgreSQL's table was
        # partitioned by day, where it cannot be unique (docs/partitions.md).
        sql.fetchall(_lock_sql(sql.vendor(), by), [sql.many(sorted(keys))])
    params: list[Any] = []
    if by == "account":
        params.append(sql.prepare(CheckInRequest, "received_at", now - BURST_WINDOW))
    rows = sql.fetchall(_people_sql(sql.vendor(), by), [*params, sql.many(sorted(keys))])
    p_conv = sql.converters(Person, _PERSON_FIELDS)
    c_conv = sql.converters(CheckIn, _ACTIVE_FIELDS)
    n = len(_PERSON_FIELDS)
    found = Locked(defaultdict(list), {}, {})
    last = None
    for row in rows:
        pk, account_id, *rest = (f(v) for f, v in zip(p_conv, row[:n], strict=True))
        if pk != last:
            found.people[account_id].append(LockedPerson(pk, *rest))
            last = pk
        if row[n] is not None:
            found.active[pk] = OpenStay(*(f(v) for f, v in zip(c_conv, row[n:-1], strict=True)))
        found.recent[account_id] = int(row[-1])
    return found


def choose(people: list[LockedPerson], wanted: Sequence[str]) -> list[LockedPerson]:
    """The requested people among the account's, in request order."""
    by_key = {p.public_id: p for p in people}
    own = next((p for p in people if p.relation == Relation.SELF), None)
    if own is not None:
        by_key["self"] = own
    chosen: list[LockedPerson] = []
    for key in wanted:
        person = by_key.get(str(key))
        if person is None:
            raise CheckInError(Refusal.PERSON_UNKNOWN)
        if person not in chosen:
            chosen.append(person)
    if not chosen:
        raise CheckInError(Refusal.PERSON_UNKNOWN)
    return chosen


# The burst limit counts an account's requests over this window (healthchecks' way:
# in the database, exact across processes, no new service).
BURST_WINDOW = dt.timedelta(minutes=1)
