"""Check-in and check-out: the entry decision, occupancy and capacity, idempotency.

`record_checkins` is the hot path (millions a day at the peak). It runs in one
transaction and takes two kinds of row lock, always in this order, so two requests can
never wait for each other in a cycle:

1. the caller's own people (`Person` rows of the account): requests of one family queue,
   which keeps one active check-in per person and makes the burst limit exact;
2. the `VenueOccupancy` rows involved, in venue-id order, taken as late as possible
   (after the colours and the policy are known) and held until commit.

Check-outs (explicit, staff, automatic) take only occupancy locks.

Refusals of the whole request (the code, the scan time, the people, the burst limit, the
radius) raise `CheckInError`/`QrError` and store nothing: no rule set or policy made them.
Per-person decisions, denials included, are stored with the rule set and the policy.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Min, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from jejak.audit import service as audit
from jejak.checkins.errors import CheckInError, Decision, DenialReason, Refusal
from jejak.checkins.models import (
    ACTIVE_Q,
    ADMITTED,
    BlackStatusAlert,
    CheckIn,
    CheckInRequest,
    CheckoutMethod,
    VenueOccupancy,
    VisitorType,
    new_public_id,
)
from jejak.core import sql
from jejak.inspections.closures import closure_at
from jejak.people.models import Person, Relation
from jejak.ppkm import service as ppkm
from jejak.qrcodes import service as qrcodes
from jejak.qrcodes.errors import QrError
from jejak.screening import service as screening
from jejak.screening.errors import ScreeningError
from jejak.venues.models import Venue

MAX_SCAN_AGE = dt.timedelta(hours=24)
# Phones' clocks drift; a scan "from the future" within this is taken as now.
CLOCK_SKEW = dt.timedelta(minutes=2)
MAX_STAY = dt.timedelta(hours=24)
ADULT_AGE = 18
NEGATIVE_TEST_REASONS = frozenset({"negative_antigen", "negative_pcr"})
COLOUR_REFUSAL = {
    "hitam": DenialReason.STATUS_BLACK,
    "merah": DenialReason.STATUS_RED,
    "kuning": DenialReason.STATUS_YELLOW,
}


def _max_per_minute() -> int:
    return settings.JEJAK_CHECKINS_PER_MINUTE


def _max_distance_m() -> float:
    return float(settings.JEJAK_CHECKIN_MAX_DISTANCE_M)


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float = 0.0


@dataclass(frozen=True)
class CheckInResult:
    """What a check-in request returned; `data` is the JSON stored for replays."""

    data: dict[str, Any]
    replayed: bool = False


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _age(born: dt.date, at: dt.datetime) -> int:
    today = timezone.localtime(at).date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; plenty for a 1 km radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, a)))


def _check_location(venue: Venue, location: Location | None) -> None:
    # The location is compared here and dropped: it is never stored or logged.
    if location is None or venue.latitude is None or venue.longitude is None:
        return
    away = distance_m(location.lat, location.lon, float(venue.latitude), float(venue.longitude))
    if away - max(0.0, location.accuracy_m) > _max_distance_m():
        raise CheckInError(Refusal.TOO_FAR)


def _check_scan_time(scanned_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    if timezone.is_naive(scanned_at):
        raise CheckInError(Refusal.SCAN_IN_FUTURE, "scanned_at needs a time zone.")
    if scanned_at > now + CLOCK_SKEW:
        raise CheckInError(Refusal.SCAN_IN_FUTURE)
    if scanned_at < now - MAX_SCAN_AGE:
        raise CheckInError(Refusal.SCAN_TOO_OLD)
    return min(scanned_at, now)


def _replay(account: Any, nonce: uuid.UUID) -> CheckInResult | None:
    stored = (
        CheckInRequest.objects.filter(account=account, nonce=nonce).values_list("result").first()
    )
    return CheckInResult(data=stored[0], replayed=True) if stored else None


@dataclass(frozen=True)
class _Person:
    """What the check-in path needs of a person (read by hand, not as a model)."""

    pk: int
    public_id: str
    relation: str
    nik_index: str
    birth_date: dt.date
    nik_masked: str


@dataclass(frozen=True)
class _Active:
    """A person's open stay."""

    pk: int
    public_id: str
    venue_id: int
    checked_in_at: dt.datetime
    planned_checkout_at: dt.datetime | None


_PERSON_FIELDS = ("id", "public_id", "relation", "nik_index", "birth_date", "nik_masked")
_ACTIVE_FIELDS = ("id", "public_id", "venue_id", "checked_in_at", "planned_checkout_at")


@cache
def _people_sql(vendor: str, by: str) -> str:
    """The people (of an account, or one person), each with their open stay, locked."""
    del vendor
    p, c, r = Person, CheckIn, CheckInRequest
    pc, cc, rc = partial(sql.column, p), partial(sql.column, c), partial(sql.column, r)
    admitted = ", ".join(f"'{d}'" for d in ADMITTED)
    burst = (
        f"(SELECT COUNT(*) FROM {sql.table(r)} r WHERE r.{rc('account')} = %s "
        f"AND r.{rc('received_at')} > %s)"
        if by == "account"
        else "0"
    )
    lock = " FOR UPDATE OF p" if connection.features.has_select_for_update_of else ""
    # The LEFT JOIN repeats the partial unique index's condition (ACTIVE_Q) so the
    # planner reads the open stay through it.
    return (
        f"SELECT {', '.join('p.' + pc(f) for f in _PERSON_FIELDS)}, "
        f"{', '.join('c.' + cc(f) for f in _ACTIVE_FIELDS)}, {burst} "
        f"FROM {sql.table(p)} p LEFT JOIN {sql.table(c)} c ON c.{cc('person')} = p.{pc('id')} "
        f"AND c.{cc('decision')} IN ({admitted}) AND c.{cc('checked_out_at')} IS NULL "
        f"WHERE p.{pc(by)} = %s ORDER BY p.{pc('id')}{lock}"
    )


def _lock_people(
    *, by: str, key: int, now: dt.datetime
) -> tuple[list[_Person], dict[int, _Active], int]:
    """Lock the people (all of an account's, or one person's) and read their open stays
    and the account's requests of the last minute, in one statement."""
    # Locking every person of the account (a family: a dozen rows at most) serialises
    # one family's concurrent requests and nobody else's, which keeps one active
    # check-in per person and makes the burst count exact.
    params: list[Any] = []
    if by == "account":
        params += [key, sql.prepare(CheckInRequest, "received_at", now - BURST_WINDOW)]
    rows = sql.fetchall(_people_sql(connection.vendor, by), [*params, key])
    p_conv = sql.converters(Person, _PERSON_FIELDS)
    c_conv = sql.converters(CheckIn, _ACTIVE_FIELDS)
    n = len(_PERSON_FIELDS)
    people: list[_Person] = []
    active: dict[int, _Active] = {}
    recent = 0
    for row in rows:
        person = _Person(*(f(v) for f, v in zip(p_conv, row[:n], strict=True)))
        if not people or people[-1].pk != person.pk:
            people.append(person)
        if row[n] is not None:
            active[person.pk] = _Active(*(f(v) for f, v in zip(c_conv, row[n:-1], strict=True)))
        recent = int(row[-1])
    return people, active, recent


def _choose(people: list[_Person], wanted: Sequence[str]) -> list[_Person]:
    """The requested people among the account's, in request order."""
    by_key = {p.public_id: p for p in people}
    own = next((p for p in people if p.relation == Relation.SELF), None)
    if own is not None:
        by_key["self"] = own
    chosen: list[_Person] = []
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


@dataclass
class _Occupancy:
    """A locked `VenueOccupancy` row, as the check-in path reads and writes it."""

    venue_id: int
    inside: int
    sweep_due_at: dt.datetime | None


@cache
def _occupancy_sql(vendor: str, count: int) -> str:
    del vendor
    o, oc = VenueOccupancy, partial(sql.column, VenueOccupancy)
    marks = ", ".join(["%s"] * count)
    return (
        f"SELECT {oc('venue')}, {oc('inside')}, {oc('sweep_due_at')} FROM {sql.table(o)} "
        f"WHERE {oc('venue')} IN ({marks}) ORDER BY {oc('venue')}{sql.lock_clause()}"
    )


def _lock_occupancy(venue_ids: Iterable[int]) -> dict[int, _Occupancy]:
    """Lock the occupancy rows of these venues, in id order (creating missing ones)."""
    ids = sorted(set(venue_ids))
    statement = _occupancy_sql(connection.vendor, len(ids))
    convert = sql.converters(VenueOccupancy, ["sweep_due_at"])[0]

    def read() -> dict[int, _Occupancy]:
        return {
            row[0]: _Occupancy(row[0], row[1], convert(row[2]))
            for row in sql.fetchall(statement, ids)
        }

    rows = read()
    if len(rows) < len(ids):
        # First check-in at a venue: a racing creator is fine, the conflict is ignored.
        VenueOccupancy.objects.bulk_create(
            [VenueOccupancy(venue_id=i) for i in ids if i not in rows], ignore_conflicts=True
        )
        rows = read()
    return rows


# `VenueOccupancy.sweep_due_at` when no stay is open there: later than any planned end.
NOTHING_DUE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def _expire(occupancy: _Occupancy, now: dt.datetime) -> int:
    """Check out stays that are over at this venue (its occupancy row is locked).

    Skipped without a query while `sweep_due_at` says no open stay can be over yet; a
    sweep then records the earliest planned end of the stays still open. Closing a stay
    leaves the bound valid; opening one lowers it (`_record`)."""
    due = occupancy.sweep_due_at
    if due is not None and due > now:
        return 0
    active = CheckIn.objects.filter(ACTIVE_Q, venue_id=occupancy.venue_id)
    closed = active.filter(planned_checkout_at__lte=now).update(
        checked_out_at=F("planned_checkout_at"), checkout_method=CheckoutMethod.AUTOMATIC
    )
    occupancy.inside = max(0, occupancy.inside - closed)
    earliest = active.aggregate(earliest=Min("planned_checkout_at"))["earliest"]
    occupancy.sweep_due_at = earliest or NOTHING_DUE
    return closed


@cache
def _save_occupancy_sql(vendor: str) -> str:
    del vendor
    oc = partial(sql.column, VenueOccupancy)
    return (
        f"UPDATE {sql.table(VenueOccupancy)} SET {oc('inside')} = %s, {oc('updated_at')} = %s, "
        f"{oc('sweep_due_at')} = %s WHERE {oc('venue')} = %s"
    )


def _save_occupancy(occupancy: _Occupancy, now: dt.datetime) -> None:
    prep = partial(sql.prepare, VenueOccupancy)
    sql.execute(
        _save_occupancy_sql(connection.vendor),
        [
            occupancy.inside,
            prep("updated_at", now),
            prep("sweep_due_at", occupancy.sweep_due_at),
            occupancy.venue_id,
        ],
    )


def _stay(policy: Any, venue: Venue) -> dt.timedelta:
    minutes = [venue.default_stay_minutes]
    if policy.max_stay_minutes:
        minutes.append(policy.max_stay_minutes)
    return min(dt.timedelta(minutes=min(minutes)), MAX_STAY)


@dataclass
class _Entry:
    person: _Person
    colour: str
    colour_reasons: list[str]
    reasons: list[str]
    staff_check: bool = False
    child: bool = False
    adult: bool = False

    @property
    def admitted(self) -> bool:
        return not self.reasons

    @property
    def decision(self) -> str:
        if self.reasons:
            return Decision.DENIED
        return Decision.ALLOWED_AFTER_STAFF_CHECK if self.staff_check else Decision.ALLOWED


def _decide(
    person: _Person, status: Any, *, policy: Any, visitor_type: str, at: dt.datetime
) -> _Entry:
    """One person's decision before capacity and the with-parent rule are applied."""
    entry = _Entry(person, status.colour, list(status.reasons), [])
    age = _age(person.birth_date, at)
    entry.adult = age >= ADULT_AGE
    if status.colour == "hitam":
        entry.reasons.append(DenialReason.STATUS_BLACK)
    elif policy.admits(status.colour, visitor_type):
        entry.staff_check = policy.needs_staff_check(status.colour, visitor_type)
    else:
        entry.reasons.append(COLOUR_REFUSAL.get(status.colour, DenialReason.COLOUR_NOT_ADMITTED))
    # Opening hours and age limits are for guests: staff work before and after hours.
    if visitor_type == VisitorType.GUEST:
        if not policy.is_open(timezone.localtime(at)):
            entry.reasons.append(DenialReason.OUTSIDE_HOURS)
        if policy.children_age_below and age < policy.children_age_below:
            rule = policy.children_rule
            if rule == "with_parent":
                entry.child = True  # decided once the adults' decisions are known
            elif rule == "denied" or (
                rule == "negative_test"
                and not (status.colour == "hijau" and NEGATIVE_TEST_REASONS & set(status.reasons))
            ):
                entry.reasons.append(DenialReason.AGE_RESTRICTED)
    return entry


def _apply_capacity_and_parents(
    entries: list[_Entry], *, inside: int, capacity: int, visitor_type: str
) -> int:
    """Give places to adults first, then to children with an admitted adult; returns
    how many are admitted. Employees enter even when the venue is full."""
    admitted = 0

    def take(entry: _Entry) -> None:
        nonlocal admitted
        if not entry.admitted:
            return
        if visitor_type == VisitorType.GUEST and inside + admitted >= capacity:
            entry.reasons.append(DenialReason.CAPACITY_FULL)
            return
        admitted += 1

    for entry in entries:
        if not entry.child:
            take(entry)
    has_adult = any(e.adult and e.admitted for e in entries if not e.child)
    for entry in entries:
        if entry.child:
            if not has_adult and DenialReason.AGE_RESTRICTED not in entry.reasons:
                entry.reasons.append(DenialReason.AGE_RESTRICTED)
            take(entry)
    return admitted


def _person_key(person: _Person) -> str:
    return "self" if person.relation == Relation.SELF else person.public_id


def _checkout_json(checkin: CheckIn, person: _Person) -> dict[str, Any]:
    return {
        "person": _person_key(person),
        "action": "check_out",
        "checkin": checkin.public_id,
        "decision": str(checkin.decision),
        "reasons": list(checkin.reasons),
        "colour": checkin.colour,
        "colour_reasons": list(checkin.colour_reasons),
        "checked_in_at": _iso(checkin.checked_in_at),
        "planned_checkout_at": _iso(checkin.planned_checkout_at),
        "checked_out_at": _iso(checkin.checked_out_at),
        "checkout_method": checkin.checkout_method,
    }


def record_checkins(
    *,
    account: Any,
    qr: str,
    nonce: uuid.UUID,
    people: Sequence[str],
    visitor_type: str,
    scanned_at: dt.datetime | None = None,
    location: Location | None = None,
    now: dt.datetime | None = None,
) -> CheckInResult:
    """Decide and record the entry of `people` (the account's "self" and/or dependants'
    public ids) at the entrance named by the scanned `qr`.

    A request whose `nonce` the account already used returns the stored result, unchanged
    and without writing. A person already inside this venue is checked out instead (a
    rescan); one inside another venue is checked out there first. Raises QrError or
    CheckInError when the whole request is refused; per-person denials are in the result.
    """
    now = now or timezone.now()
    if visitor_type not in VisitorType.values:
        raise ValueError(f"visitor_type must be one of {VisitorType.values}")
    # No look-up of the nonce up front: a retry is rare, and it is caught where it costs
    # nothing on the common path. A retry whose first attempt committed fails on the
    # unique nonce and rolls back everything it did; one refused on the way (a code
    # revoked since, a burst) is looked up before the refusal is returned.

    def attempt() -> CheckInResult:
        scanned = _check_scan_time(scanned_at or now, now)
        # Dynamic codes are checked at receipt, not at the claimed scan time: a client's
        # clock cannot revive an expired screen code (offline scans need the poster's code).
        verified = qrcodes.verify(qr, now=now)
        venue, entry_point = verified.venue, verified.entry_point
        _check_location(venue, location)
        with transaction.atomic():
            mine, active, recent = _lock_people(by="account", key=account.pk, now=now)
            if recent >= _max_per_minute():
                raise CheckInError(Refusal.TOO_MANY_REQUESTS)
            return _record(
                account=account,
                nonce=nonce,
                chosen=_choose(mine, people),
                active=active,
                visitor_type=visitor_type,
                venue=venue,
                entry_point=entry_point,
                scanned_at=scanned,
                now=now,
            )

    return _or_replay(account, nonce, attempt)


def record_staff_checkin(
    *,
    staff: Any,
    entry_point: Any,
    person: Person,
    visitor_type: str,
    nonce: uuid.UUID,
    now: dt.datetime | None = None,
) -> CheckInResult:
    """Check in a visitor without a smartphone at `entry_point`, entered by venue staff.

    The same decision as a scan, stored under the staff account (the request's nonce
    is the staff member's). The caller has checked the staff member's venue, matched the
    person's NIK, name and birth date, applied its rate limit and audits the call.
    Raises QrError when the venue does not admit visitors, CheckInError otherwise."""
    now = now or timezone.now()
    if visitor_type not in VisitorType.values:
        raise ValueError(f"visitor_type must be one of {VisitorType.values}")
    venue = entry_point.venue

    def attempt() -> CheckInResult:
        qrcodes.check_venue(venue)
        with transaction.atomic():
            found, active, _recent = _lock_people(by="id", key=person.pk, now=now)
            if not found:
                raise CheckInError(Refusal.PERSON_UNKNOWN)
            return _record(
                account=staff,
                nonce=nonce,
                chosen=found,
                active=active,
                visitor_type=visitor_type,
                venue=venue,
                entry_point=entry_point,
                scanned_at=now,
                now=now,
            )

    return _or_replay(staff, nonce, attempt)


def _or_replay(
    account: Any, nonce: uuid.UUID, attempt: Callable[[], CheckInResult]
) -> CheckInResult:
    """Run `attempt`; if it fails or is refused, answer the nonce's stored result when
    there is one (a retry), else let the failure through."""
    try:
        return attempt()
    except (IntegrityError, QrError, CheckInError):
        stored = _replay(account, nonce)
        if stored is None:
            raise
        return stored


@cache
def _close_sql(vendor: str, count: int) -> str:
    """Close open stays by id at one venue: out when the scan happened, not before in."""
    del vendor
    cc = partial(sql.column, CheckIn)
    admitted = ", ".join(f"'{d}'" for d in ADMITTED)
    return (
        f"UPDATE {sql.table(CheckIn)} SET {cc('checked_out_at')} = CASE WHEN "
        f"{cc('checked_in_at')} > %s THEN {cc('checked_in_at')} ELSE %s END, "
        f"{cc('checkout_method')} = %s WHERE {cc('id')} IN ({', '.join(['%s'] * count)}) "
        f"AND {cc('venue')} = %s AND {cc('decision')} IN ({admitted}) "
        f"AND {cc('checked_out_at')} IS NULL"
    )


def _close(ids: list[int], venue_id: int, at: dt.datetime, method: str) -> int:
    moment = sql.prepare(CheckIn, "checked_out_at", at)
    return sql.execute(
        _close_sql(connection.vendor, len(ids)), [moment, moment, method, *ids, venue_id]
    )


_CHECKIN_FIELDS = (
    "public_id",
    "request",
    "person",
    "account",
    "venue",
    "entry_point",
    "visitor_type",
    "decision",
    "reasons",
    "colour",
    "colour_reasons",
    "rule_set",
    "policy",
    "scanned_at",
    "received_at",
    "checked_in_at",
    "planned_checkout_at",
    "checked_out_at",
    "checkout_method",
)


def _record(
    *,
    account: Any,
    nonce: uuid.UUID,
    chosen: list[_Person],
    active: dict[int, _Active],
    visitor_type: str,
    venue: Venue,
    entry_point: Any,
    scanned_at: dt.datetime,
    now: dt.datetime,
) -> CheckInResult:
    # A stay already over counts as over, whatever the periodic task has done yet.
    leaving = [
        p
        for p in chosen
        if p.pk in active
        and active[p.pk].venue_id == venue.pk
        and (active[p.pk].planned_checkout_at or scanned_at) > scanned_at
    ]
    entering = [p for p in chosen if p not in leaving]

    policy = ppkm.policy_for(venue=venue, at=scanned_at)
    # A Satpol PP closure (in-process snapshot, no query) refuses everyone, employees
    # included; the decision is stored so that dashboards and reports count it.
    venue_closed = closure_at(venue.pk, scanned_at) is not None
    try:
        statuses = screening.statuses(
            people=[(p.nik_index, p.birth_date) for p in entering], at=scanned_at
        )
    except ScreeningError as exc:
        raise CheckInError(Refusal.NO_RULE_SET, exc.message) from None
    rule_set = statuses[0].rule_set if statuses else ""
    entries = [
        _decide(p, s, policy=policy, visitor_type=visitor_type, at=scanned_at)
        for p, s in zip(entering, statuses, strict=True)
    ]
    if venue_closed:
        for entry in entries:
            entry.reasons.append(DenialReason.VENUE_CLOSED)

    elsewhere = {
        active[p.pk].venue_id
        for p in entering
        if p.pk in active and active[p.pk].venue_id != venue.pk
    }
    locked = _lock_occupancy({venue.pk, *elsewhere})
    here = locked[venue.pk]
    _expire(here, now)

    # The previous stay elsewhere ends when this scan happened (not before it began).
    for other_id in sorted(elsewhere):
        other = locked[other_id]
        _expire(other, now)
        ids = [active[p.pk].pk for p in entering if p.pk in active]
        closed = _close(ids, other_id, scanned_at, CheckoutMethod.ELSEWHERE)
        other.inside = max(0, other.inside - closed)
        _save_occupancy(other, now)

    out_rows: list[dict[str, Any]] = []
    if leaving:
        ids = [active[p.pk].pk for p in leaving]
        closed = _close(ids, venue.pk, scanned_at, CheckoutMethod.RESCAN)
        here.inside = max(0, here.inside - closed)
        for c in CheckIn.objects.filter(pk__in=ids).order_by("id"):
            person = next(p for p in leaving if p.pk == c.person_id)
            out_rows.append(_checkout_json(c, person))

    capacity = policy.capacity_for(venue.capacity)
    planned = scanned_at + _stay(policy, venue)
    # An offline scan uploaded after its stay was over is history, not occupancy.
    still_inside = planned > now
    admitted = _apply_capacity_and_parents(
        entries,
        inside=here.inside,
        capacity=capacity if still_inside else 1 << 62,
        visitor_type=visitor_type,
    )
    if still_inside:
        here.inside += admitted
        if admitted and here.sweep_due_at is not None:
            here.sweep_due_at = min(here.sweep_due_at, planned)
    _save_occupancy(here, now)

    reference = policy.as_reference()
    in_rows = []
    values = []
    for e in entries:
        row: dict[str, Any] = {
            "person": _person_key(e.person),
            "action": "check_in",
            "checkin": new_public_id(),
            "decision": str(e.decision),
            "reasons": [str(r) for r in e.reasons],
            "colour": e.colour,
            "colour_reasons": e.colour_reasons,
            "checked_in_at": scanned_at if e.admitted else None,
            "planned_checkout_at": planned if e.admitted else None,
            "checked_out_at": None if (still_inside or not e.admitted) else planned,
            "checkout_method": ""
            if (still_inside or not e.admitted)
            else CheckoutMethod.AUTOMATIC.value,
        }
        values.append(
            [
                row["checkin"],
                None,  # the request, once inserted
                e.person.pk,
                account.pk,
                venue.pk,
                entry_point.pk,
                visitor_type,
                row["decision"],
                row["reasons"],
                e.colour,
                e.colour_reasons,
                rule_set,
                reference,
                scanned_at,
                now,
                row["checked_in_at"],
                row["planned_checkout_at"],
                row["checked_out_at"],
                row["checkout_method"],
            ]
        )
        for key in ("checked_in_at", "planned_checkout_at", "checked_out_at"):
            row[key] = _iso(row[key])
        in_rows.append(row)
    by_person = {r["person"]: r for r in in_rows + out_rows}
    data = {
        "venue": {"short_code": venue.short_code, "name": venue.name},
        "entry_point": {"name": entry_point.name},
        "crowd": {"inside": here.inside, "capacity": capacity},
        "scanned_at": _iso(scanned_at),
        "received_at": _iso(now),
        "planned_checkout_at": _iso(planned) if any(e.admitted for e in entries) else None,
        "rule_set": rule_set,
        "policy": reference,
        "people": [by_person[_person_key(p)] for p in chosen],
    }
    # The request row carries the unique nonce: a racing retry fails here and rolls back.
    (request_id,) = sql.insert(
        CheckInRequest,
        ("account", "nonce", "received_at", "result"),
        [(account.pk, nonce, now, data)],
        returning="id",
    )
    for row_values in values:
        row_values[1] = request_id
    ids = sql.insert(CheckIn, _CHECKIN_FIELDS, values, returning="id")
    black = [
        (checkin_id, e)
        for checkin_id, e in zip(ids, entries, strict=True)
        if DenialReason.STATUS_BLACK in e.reasons
    ]
    if black:
        _alert_black_status(black, account=account, venue=venue, now=now)
    return CheckInResult(data=data)


def _alert_black_status(
    black: list[tuple[int, _Entry]], *, account: Any, venue: Venue, now: dt.datetime
) -> None:
    alerts = BlackStatusAlert.objects.bulk_create(
        [
            BlackStatusAlert(
                venue=venue,
                checkin_id=checkin_id,
                home_region_code=_home_region_code(entry.person.nik_masked),
                created_at=now,
            )
            for checkin_id, entry in black
        ]
    )
    for alert, (checkin_id, _entry) in zip(alerts, black, strict=True):
        audit.record(
            actor=account,
            action="checkins.black_status_refused",
            obj=CheckIn(pk=checkin_id),
            venue=venue.short_code,
            alert=alert.pk,
        )
    from jejak.checkins.tasks import notify_black_status

    ids = [a.pk for a in alerts]
    transaction.on_commit(lambda: notify_black_status.enqueue(alert_ids=ids))


def _home_region_code(nik_masked: str) -> str:
    # The NIK's first four digits are the regency that issued it (36.71 Kota Tangerang);
    # the masked NIK keeps them, so nothing is decrypted.
    digits = nik_masked[:4]
    return f"{digits[:2]}.{digits[2:]}" if digits.isdigit() else ""


def alert_recipients(*, alert: BlackStatusAlert) -> list[Any]:
    """Who is told about a black-status refusal: the venue's staff and managers, and the
    health officers whose region contains the person's home regency."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from jejak.accounts.roles import VENUE_ROLES, Role

    users = get_user_model().objects.filter(is_active=True)
    q = Q(role__in=VENUE_ROLES, venues=alert.venue_id)
    code = alert.home_region_code
    if code:
        parents = [code[:i] for i in range(len(code) + 1) if code[i : i + 1] in (".", "")]
        q |= Q(role=Role.HEALTH_OFFICER, region__code__in=parents)
    return list(users.filter(q).distinct().order_by("id"))


def check_out(*, account: Any, checkin_public_id: str, now: dt.datetime | None = None) -> CheckIn:
    """Check out one of the account's people (the button). Idempotent: a check-in that is
    already closed is returned as it is. Raises CheckInError."""
    now = now or timezone.now()
    found = (
        CheckIn.objects.filter(public_id=checkin_public_id, person__account=account)
        .select_related("venue")
        .first()
    )
    if found is None:
        raise CheckInError(Refusal.CHECKIN_NOT_FOUND)
    if found.decision not in ADMITTED:
        raise CheckInError(Refusal.NOT_CHECKED_IN)
    if found.checked_out_at is not None:
        return found
    with transaction.atomic():
        occupancy = _lock_occupancy([found.venue_id])[found.venue_id]
        _expire(occupancy, now)
        closed = CheckIn.objects.filter(ACTIVE_Q, pk=found.pk).update(
            checked_out_at=Greatest(F("checked_in_at"), Value(now)),
            checkout_method=CheckoutMethod.EXPLICIT,
        )
        occupancy.inside = max(0, occupancy.inside - closed)
        _save_occupancy(occupancy, now)
    found.refresh_from_db()
    return found


def check_out_everyone(*, venue: Venue, actor: Any, now: dt.datetime | None = None) -> int:
    """Close every stay at `venue` (staff, at closing time); returns how many were inside.

    The caller has checked that `actor` may do this for this venue.
    """
    now = now or timezone.now()
    with transaction.atomic():
        occupancy = _lock_occupancy([venue.pk])[venue.pk]
        _expire(occupancy, now)
        closed = CheckIn.objects.filter(ACTIVE_Q, venue_id=venue.pk).update(
            checked_out_at=Greatest(F("checked_in_at"), Value(now)),
            checkout_method=CheckoutMethod.STAFF_ALL,
        )
        occupancy.inside = 0
        _save_occupancy(occupancy, now)
        audit.record(actor=actor, action="checkins.checked_out_everyone", obj=venue, count=closed)
    return closed


def crowd(
    *, venue: Venue, now: dt.datetime | None = None, at: dt.datetime | None = None
) -> dict[str, int]:
    """{"inside", "capacity"} for the page a phone opens before confirming.

    Read-only and lock-free (it is fetched as often as check-ins are made): stays that
    are over but not yet closed are subtracted rather than closed here; the next
    check-in or the periodic task closes them.
    """
    now = now or timezone.now()
    inside = (
        VenueOccupancy.objects.filter(venue=venue).values_list("inside", flat=True).first() or 0
    )
    overdue = CheckIn.objects.filter(ACTIVE_Q, venue=venue, planned_checkout_at__lte=now).count()
    policy = ppkm.policy_for(venue=venue, at=at or now)
    return {"inside": max(0, inside - overdue), "capacity": policy.capacity_for(venue.capacity)}


def auto_checkout(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Close every stay that is over, venue by venue; returns how many.

    The periodic task and `jejak auto-checkout` run this; check-ins do it lazily for their
    own venue, so a stopped worker never leaves people inside forever.
    """
    now = now or timezone.now()
    total = 0
    venue_ids = list(
        CheckIn.objects.filter(ACTIVE_Q, planned_checkout_at__lte=now)
        .values_list("venue_id", flat=True)
        .distinct()
        .order_by("venue_id")[:batch]
    )
    for venue_id in venue_ids:
        # One short transaction per venue: a check-in queues behind one venue, not all.
        with transaction.atomic():
            occupancy = _lock_occupancy([venue_id])[venue_id]
            total += _expire(occupancy, now)
            _save_occupancy(occupancy, now)
    return total
