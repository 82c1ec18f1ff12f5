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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Min, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from jejak.audit import service as audit
from jejak.checkins import batch_write
from jejak.checkins.errors import CheckInError, Decision, DenialReason, Note, Refusal
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
from jejak.rosters import service as rosters
from jejak.screening import service as screening
from jejak.screening.errors import ScreeningError
from jejak.screening.models import UNVERIFIED
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
    identity_verified_at: dt.datetime | None


@dataclass(frozen=True)
class _Active:
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
    and, by account, the account's requests of the burst window; locked, in id order."""
    p, c, r = Person, CheckIn, CheckInRequest
    pc, cc, rc = partial(sql.column, p), partial(sql.column, c), partial(sql.column, r)
    admitted = ", ".join(f"'{d}'" for d in ADMITTED)
    burst = (
        f"(SELECT COUNT(*) FROM {sql.table(r)} r WHERE r.{rc('account')} = p.{pc('account')} "
        f"AND r.{rc('received_at')} > %s)"
        if by == "account"
        else "0"
    )
    lock = " FOR UPDATE OF p" if connection.features.has_select_for_update_of else ""
    # The open stay is read through the partial unique index (checkin_one_active_per_person),
    # whose condition (ACTIVE_Q) the join repeats. On PostgreSQL a LATERAL join keeps it a
    # look-up per person: as a plain join, the plan prepared once per connection merged
    # the people with every open stay in the city.
    active = (
        f"c.{cc('person')} = p.{pc('id')} AND c.{cc('decision')} IN ({admitted}) "
        f"AND c.{cc('checked_out_at')} IS NULL"
    )
    if vendor == "postgresql":
        stay = (
            f"LEFT JOIN LATERAL (SELECT {', '.join(cc(f) for f in _ACTIVE_FIELDS)} "
            f"FROM {sql.table(c)} c WHERE {active} LIMIT 1) c ON TRUE"
        )
    else:
        stay = f"LEFT JOIN {sql.table(c)} c ON {active}"
    return (
        f"SELECT {', '.join('p.' + pc(f) for f in _PERSON_FIELDS)}, "
        f"{', '.join('c.' + cc(f) for f in _ACTIVE_FIELDS)}, {burst} "
        f"FROM {sql.table(p)} p {stay} "
        f"WHERE {sql.any_of('p.' + pc(by))} ORDER BY p.{pc('id')}{lock}"
    )


@dataclass
class _Locked:
    """What `_lock_people` read: people by account, open stays by person, burst counts."""

    people: dict[int, list[_Person]]
    active: dict[int, _Active]
    recent: dict[int, int]


def _lock_people(*, by: str, keys: Sequence[int], now: dt.datetime) -> _Locked:
    """Lock the people (every person of these accounts, or these people) and read their
    open stays and each account's requests of the last minute, in one statement."""
    # Locking every person of the account (a family: a dozen rows at most) serialises
    # one family's concurrent requests and nobody else's, which keeps one active
    # check-in per person and makes the burst count exact. One statement locks a whole
    # batch in id order, so two batches never wait for each other in a cycle.
    params: list[Any] = []
    if by == "account":
        params.append(sql.prepare(CheckInRequest, "received_at", now - BURST_WINDOW))
    rows = sql.fetchall(_people_sql(sql.vendor(), by), [*params, sql.many(sorted(keys))])
    p_conv = sql.converters(Person, _PERSON_FIELDS)
    c_conv = sql.converters(CheckIn, _ACTIVE_FIELDS)
    n = len(_PERSON_FIELDS)
    found = _Locked(defaultdict(list), {}, {})
    last = None
    for row in rows:
        pk, account_id, *rest = (f(v) for f, v in zip(p_conv, row[:n], strict=True))
        if pk != last:
            found.people[account_id].append(_Person(pk, *rest))
            last = pk
        if row[n] is not None:
            found.active[pk] = _Active(*(f(v) for f, v in zip(c_conv, row[n:-1], strict=True)))
        found.recent[account_id] = int(row[-1])
    return found


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


def _lock_occupancy(venue_ids: Iterable[int]) -> dict[int, _Occupancy]:
    """Lock the occupancy rows of these venues, in id order (creating missing ones).

    FOR NO KEY UPDATE: only `inside` and the sweep bound change, and it leaves the
    venue's key alone for anything that only references it. SQLite has no row locks:
    its writers are serialised by the IMMEDIATE transactions configured in settings."""
    ids = sorted(set(venue_ids))
    locked = (
        VenueOccupancy.objects.select_for_update(no_key=True)
        .filter(venue_id__in=ids)
        .order_by("venue_id")
        .values_list("venue_id", "inside", "sweep_due_at")
    )

    def read() -> dict[int, _Occupancy]:
        # A fresh query each time (.all()): a queryset keeps the rows it read first.
        return {venue: _Occupancy(venue, inside, due) for venue, inside, due in locked.all()}

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


def _save_occupancy(rows: Iterable[_Occupancy], now: dt.datetime) -> None:
    """Write back locked occupancy rows (one statement for several venues)."""
    batch_write.save_occupancy([(r.venue_id, r.inside, r.sweep_due_at) for r in rows], now)


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
    # The type the person was decided as: "employee" only when on the venue's roster.
    visitor_type: str = VisitorType.GUEST
    notes: list[str] = field(default_factory=list)

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
    entry = _Entry(person, status.colour, list(status.reasons), [], visitor_type=visitor_type)
    age = _age(person.birth_date, at)
    entry.adult = age >= ADULT_AGE
    if status.colour == UNVERIFIED:
        # Whoever typed this NIK may not be its owner: no colour, no entry (whatever the
        # visitor type), until the registry confirms the identity.
        entry.reasons.append(DenialReason.IDENTITY_UNVERIFIED)
    elif status.colour == "hitam":
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


def _apply_capacity_and_parents(entries: list[_Entry], *, inside: int, capacity: int) -> int:
    """Give places to adults first, then to children with an admitted adult; returns
    how many are admitted. Employees enter even when the venue is full."""
    admitted = 0

    def take(entry: _Entry) -> None:
        nonlocal admitted
        if not entry.admitted:
            return
        if entry.visitor_type == VisitorType.GUEST and inside + admitted >= capacity:
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
        "notes": [],
    }


@dataclass(frozen=True)
class Ask:
    """One check-in request as the service takes it: a visitor's scan for "self" and/or
    dependants (`people`), or a staff member's check-in of one `person` (`record_staff_checkin`).
    """

    account: Any
    nonce: uuid.UUID
    visitor_type: str
    qr: str = ""
    people: Sequence[str] = ()
    scanned_at: dt.datetime | None = None
    location: Location | None = None
    # Staff check-ins: the person (matched by NIK at the desk) and the entrance.
    person: Person | None = None
    entry_point: Any = None


Outcome = CheckInResult | CheckInError | QrError


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
    ask = Ask(
        account=account,
        qr=qr,
        nonce=nonce,
        people=people,
        visitor_type=visitor_type,
        scanned_at=scanned_at,
        location=location,
    )
    return _raised(record_many(asks=[ask], now=now)[0])


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
    ask = Ask(
        account=staff,
        nonce=nonce,
        visitor_type=visitor_type,
        person=person,
        entry_point=entry_point,
    )
    return _raised(record_many(asks=[ask], now=now)[0])


def _raised(outcome: Outcome) -> CheckInResult:
    if isinstance(outcome, CheckInResult):
        return outcome
    raise outcome


def record_many(*, asks: Sequence[Ask], now: dt.datetime | None = None) -> list[Outcome]:
    """Decide and record several check-in requests together (the API's batches); each
    comes back, in order, as its result or the error that refused it.

    The same decision as one request at a time, made with a fixed number of statements
    per batch instead of per request: one for the codes, one transaction that locks the
    people of every account, reads the colours, locks the venues' occupancy, and writes
    every request's rows. Requests of one account depend on each other (open stays, the
    burst count), so they go in successive rounds. If the batch's transaction fails (a
    retried nonce among them), each request is redone alone: a retry then answers its
    stored result and the others are unaffected.
    """
    now = now or timezone.now()
    for ask in asks:
        if ask.visitor_type not in VisitorType.values:
            raise ValueError(f"visitor_type must be one of {VisitorType.values}")
    outcomes: dict[int, Outcome] = {}
    pending = list(range(len(asks)))
    while pending:
        seen: set[int] = set()
        this_round: list[int] = []
        later: list[int] = []
        for i in pending:
            (later if asks[i].account.pk in seen else this_round).append(i)
            seen.add(asks[i].account.pk)
        outcomes.update(_round([(i, asks[i]) for i in this_round], now))
        pending = later
    # No look-up of the nonce up front: a retry is rare, and it is caught where it costs
    # nothing on the common path. A retry whose first attempt committed fails on the
    # unique nonce and rolls back; one refused on the way (a code revoked since, a
    # burst) finds its stored result here.
    for i, outcome in outcomes.items():
        if not isinstance(outcome, CheckInResult):
            outcomes[i] = _replay(asks[i].account, asks[i].nonce) or outcome
    return [outcomes[i] for i in range(len(asks))]


@dataclass
class _Plan:
    """One request of a batch on its way through the decision."""

    index: int
    ask: Ask
    venue: Venue
    entry_point: Any
    scanned: dt.datetime
    chosen: list[_Person] = field(default_factory=list)
    leaving: list[_Person] = field(default_factory=list)
    entering: list[_Person] = field(default_factory=list)
    policy: Any = None
    closed: bool = False
    rule_set: str = ""
    entries: list[_Entry] = field(default_factory=list)


def _round(items: list[tuple[int, Ask]], now: dt.datetime) -> dict[int, Outcome]:
    """One round of `record_many`: no two requests of the same account."""
    out: dict[int, Outcome] = {}
    plans = _verify(items, now, out)
    # Staff check-ins lock people by id, visitors' by account: one statement each kind.
    for group in (
        [p for p in plans if p.ask.person is None],
        [p for p in plans if p.ask.person is not None],
    ):
        if not group:
            continue
        try:
            with transaction.atomic():
                stored = _store(group, now)
        except IntegrityError:
            if len(group) > 1:
                for plan in group:
                    out[plan.index] = record_many(asks=[plan.ask], now=now)[0]
                continue
            found = _replay(group[0].ask.account, group[0].ask.nonce)
            if found is None:
                raise
            stored = {group[0].index: found}
        out.update(stored)
    return out


def _verify(items: list[tuple[int, Ask]], now: dt.datetime, out: dict[int, Outcome]) -> list[_Plan]:
    """The checks that need no lock: scan time, codes (one query), radius."""
    plans: list[_Plan] = []
    scans: list[tuple[int, Ask, dt.datetime]] = []
    for i, ask in items:
        try:
            if ask.person is not None:
                qrcodes.check_venue(ask.entry_point.venue)
                plans.append(_Plan(i, ask, ask.entry_point.venue, ask.entry_point, now))
            else:
                scans.append((i, ask, _check_scan_time(ask.scanned_at or now, now)))
        except (CheckInError, QrError) as exc:
            out[i] = exc
    # Dynamic codes are checked at receipt, not at the claimed scan time: a client's
    # clock cannot revive an expired screen code (offline scans need the poster's code).
    codes = qrcodes.verify_many([ask.qr for _i, ask, _s in scans], now=now)
    for (i, ask, scanned), code in zip(scans, codes, strict=True):
        if isinstance(code, QrError):
            out[i] = code
            continue
        try:
            _check_location(code.venue, ask.location)
        except CheckInError as exc:
            out[i] = exc
            continue
        plans.append(_Plan(i, ask, code.venue, code.entry_point, scanned))
    return plans


def _choose_people(plans: list[_Plan], now: dt.datetime, out: dict[int, Outcome]) -> _Locked:
    """Lock the plans' people and choose each plan's; refusals go to `out`."""
    staff = plans[0].ask.person is not None
    keys = [p.ask.person.pk if p.ask.person else p.ask.account.pk for p in plans]
    locked = _lock_people(by="id" if staff else "account", keys=keys, now=now)
    for plan in plans:
        ask = plan.ask
        try:
            if ask.person is not None:
                plan.chosen = [
                    p for group in locked.people.values() for p in group if p.pk == ask.person.pk
                ]
                if not plan.chosen:
                    raise CheckInError(Refusal.PERSON_UNKNOWN)
            else:
                if locked.recent.get(ask.account.pk, 0) >= _max_per_minute():
                    raise CheckInError(Refusal.TOO_MANY_REQUESTS)
                plan.chosen = _choose(locked.people.get(ask.account.pk, []), ask.people)
        except CheckInError as exc:
            out[plan.index] = exc
            continue
        active = locked.active
        # A stay already over counts as over, whatever the periodic task has done yet.
        plan.leaving = [
            p
            for p in plan.chosen
            if p.pk in active
            and active[p.pk].venue_id == plan.venue.pk
            and (active[p.pk].planned_checkout_at or plan.scanned) > plan.scanned
        ]
        plan.entering = [p for p in plan.chosen if p not in plan.leaving]
    return locked


def _colour(plans: list[_Plan], out: dict[int, Outcome]) -> list[_Plan]:
    """Each entering person's colour and decision before capacity: one query for the
    health records of every plan scanned at the same moment (all of a live batch)."""
    by_moment: dict[dt.datetime, list[_Plan]] = defaultdict(list)
    for plan in plans:
        plan.policy = ppkm.policy_for(venue=plan.venue, at=plan.scanned)
        # A Satpol PP closure (in-process snapshot, no query) refuses everyone, employees
        # included; the decision is stored so that dashboards and reports count it.
        plan.closed = closure_at(plan.venue.pk, plan.scanned) is not None
        by_moment[plan.scanned].append(plan)
    staff = _on_roster(plans)
    decided: list[_Plan] = []
    for moment, group in by_moment.items():
        people = [(p.nik_index, p.birth_date) for plan in group for p in plan.entering]
        unverified = {
            p.nik_index for plan in group for p in plan.entering if p.identity_verified_at is None
        }
        try:
            statuses = iter(screening.statuses(people=people, at=moment, unverified=unverified))
        except ScreeningError:
            for plan in group:
                # The reason's own sentence, read in each caller's language when answered
                # (the screening error's message was made in this thread's language).
                out[plan.index] = CheckInError(Refusal.NO_RULE_SET)
            continue
        for plan in group:
            mine = [next(statuses) for _ in plan.entering]
            plan.rule_set = mine[0].rule_set if mine else ""
            plan.entries = []
            for p, s in zip(plan.entering, mine, strict=True):
                kind, notes = _visitor_type(plan, p, staff)
                entry = _decide(p, s, policy=plan.policy, visitor_type=kind, at=moment)
                entry.notes = notes
                plan.entries.append(entry)
            if plan.closed:
                for entry in plan.entries:
                    entry.reasons.append(DenialReason.VENUE_CLOSED)
            decided.append(plan)
    return sorted(decided, key=lambda plan: plan.index)


def _on_roster(plans: list[_Plan]) -> set[rosters.Claim]:
    """The employee claims of these plans that the venues' staff rosters confirm: one
    query for the batch, and none when nobody claims to be an employee."""
    claims = {
        (p.pk, plan.venue.pk, plan.scanned)
        for plan in plans
        if plan.ask.visitor_type == VisitorType.EMPLOYEE
        for p in plan.entering
    }
    return rosters.rostered(claims=claims)


def _visitor_type(plan: _Plan, person: _Person, staff: set[rosters.Claim]) -> tuple[str, list[str]]:
    """What `person` is decided as, and the notes that explain it.

    Employees are held to looser rules (colours, hours, capacity), so the claim is only
    believed for someone on the venue's roster at the scan time; anyone else is a guest,
    told why (the same rule for a staff member's manual check-in)."""
    if plan.ask.visitor_type != VisitorType.EMPLOYEE:
        return plan.ask.visitor_type, []
    if (person.pk, plan.venue.pk, plan.scanned) in staff:
        return VisitorType.EMPLOYEE, []
    return VisitorType.GUEST, [Note.NOT_ON_STAFF_ROSTER]


def _store(plans: list[_Plan], now: dt.datetime) -> dict[int, Outcome]:
    """Inside the batch's transaction: lock, decide, write. Returns each plan's outcome."""
    out: dict[int, Outcome] = {}
    locked = _choose_people(plans, now, out)
    decided = _colour([p for p in plans if p.index not in out], out)
    if not decided:
        return out
    active = locked.active
    elsewhere = {
        active[p.pk].venue_id
        for plan in decided
        for p in plan.entering
        if p.pk in active and active[p.pk].venue_id != plan.venue.pk
    }
    # Taken as late as possible (the colours and policies are known) and held to commit.
    occupancy = _lock_occupancy({plan.venue.pk for plan in decided} | elsewhere)
    for row in occupancy.values():
        _expire(row, now)

    # The previous stay elsewhere ends when this scan happened (not before it began); a
    # rescan of the same venue checks out.
    closing: dict[tuple[dt.datetime, str], list[int]] = defaultdict(list)
    for plan in decided:
        for p in plan.entering:
            if p.pk in active and active[p.pk].venue_id != plan.venue.pk:
                closing[(plan.scanned, CheckoutMethod.ELSEWHERE)].append(active[p.pk].pk)
        for p in plan.leaving:
            closing[(plan.scanned, CheckoutMethod.RESCAN)].append(active[p.pk].pk)
    for (at, method), ids in closing.items():
        for venue_id in _close(ids, at, method):
            occupancy[venue_id].inside = max(0, occupancy[venue_id].inside - 1)
    left = [active[p.pk].pk for plan in decided for p in plan.leaving]
    closed_rows = {c.pk: c for c in CheckIn.objects.filter(pk__in=left)} if left else {}

    results: list[dict[str, Any]] = []
    rows: list[CheckIn] = []
    for plan in decided:
        out_rows = [_checkout_json(closed_rows[active[p.pk].pk], p) for p in plan.leaving]
        data, values = _admit(plan, occupancy[plan.venue.pk], out_rows, now)
        results.append(data)
        rows.extend(values)
    # The request rows carry the unique nonces: a racing retry fails here and rolls back.
    checkin_ids = iter(
        batch_write.write(
            occupancy=[(o.venue_id, o.inside, o.sweep_due_at) for o in occupancy.values()],
            requests=[
                CheckInRequest(
                    account_id=plan.ask.account.pk,
                    nonce=plan.ask.nonce,
                    received_at=now,
                    result=data,
                )
                for plan, data in zip(decided, results, strict=True)
            ],
            checkins=rows,
            of_request=[k for k, plan in enumerate(decided) for _entry in plan.entries],
            now=now,
        )
    )
    black: list[tuple[int, _Entry, _Plan]] = []
    for plan, data in zip(decided, results, strict=True):
        for entry in plan.entries:
            checkin_id = next(checkin_ids)
            if DenialReason.STATUS_BLACK in entry.reasons:
                black.append((checkin_id, entry, plan))
        out[plan.index] = CheckInResult(data=data)
    if black:
        _alert_black_status(black, now=now)
    return out


def _admit(
    plan: _Plan, here: _Occupancy, out_rows: list[dict[str, Any]], now: dt.datetime
) -> tuple[dict[str, Any], list[CheckIn]]:
    """Capacity and the with-parent rule for one plan at its venue's locked occupancy;
    returns the request's result and its CheckIn rows (unsaved, the request unset)."""
    policy, venue, entries, scanned = plan.policy, plan.venue, plan.entries, plan.scanned
    capacity = policy.capacity_for(venue.capacity)
    planned = scanned + _stay(policy, venue)
    # An offline scan uploaded after its stay was over is history, not occupancy.
    still_inside = planned > now
    admitted = _apply_capacity_and_parents(
        entries,
        inside=here.inside,
        capacity=capacity if still_inside else 1 << 62,
    )
    if still_inside:
        here.inside += admitted
        if admitted and here.sweep_due_at is not None:
            here.sweep_due_at = min(here.sweep_due_at, planned)

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
            "checked_in_at": scanned if e.admitted else None,
            "planned_checkout_at": planned if e.admitted else None,
            "checked_out_at": None if (still_inside or not e.admitted) else planned,
            "checkout_method": ""
            if (still_inside or not e.admitted)
            else CheckoutMethod.AUTOMATIC.value,
            "notes": [str(n) for n in e.notes],
        }
        values.append(
            CheckIn(
                public_id=row["checkin"],
                person_id=e.person.pk,
                account_id=plan.ask.account.pk,
                venue_id=venue.pk,
                entry_point_id=plan.entry_point.pk,
                # As decided: tracing scores an employee's contacts differently.
                visitor_type=e.visitor_type,
                decision=row["decision"],
                reasons=row["reasons"],
                colour=e.colour,
                colour_reasons=e.colour_reasons,
                rule_set=plan.rule_set,
                policy=reference,
                scanned_at=scanned,
                received_at=now,
                checked_in_at=row["checked_in_at"],
                planned_checkout_at=row["planned_checkout_at"],
                checked_out_at=row["checked_out_at"],
                checkout_method=row["checkout_method"],
            )
        )
        for key in ("checked_in_at", "planned_checkout_at", "checked_out_at"):
            row[key] = _iso(row[key])
        in_rows.append(row)
    by_person = {r["person"]: r for r in in_rows + out_rows}
    data = {
        "venue": {"short_code": venue.short_code, "name": venue.name},
        "entry_point": {"name": plan.entry_point.name},
        "crowd": {"inside": here.inside, "capacity": capacity},
        "scanned_at": _iso(scanned),
        "received_at": _iso(now),
        "planned_checkout_at": _iso(planned) if any(e.admitted for e in entries) else None,
        "rule_set": plan.rule_set,
        "policy": reference,
        "people": [by_person[_person_key(p)] for p in plan.chosen],
    }
    return data, values


@cache
def _close_sql(vendor: str) -> str:
    """Close open stays by id: out when the scan happened, not before in."""
    del vendor
    cc = partial(sql.column, CheckIn)
    # Only `checked_out_at IS NULL`, not the whole ACTIVE_Q: the ids are of admitted stays
    # already, and a condition that matched the partial indexes' let the planner (on a
    # young table's statistics, kept for the life of a prepared statement) scan every
    # open stay instead of fetching a handful by primary key.
    return (
        f"UPDATE {sql.table(CheckIn)} SET {cc('checked_out_at')} = CASE WHEN "
        f"{cc('checked_in_at')} > %s THEN {cc('checked_in_at')} ELSE %s END, "
        f"{cc('checkout_method')} = %s WHERE {sql.any_of(cc('id'))} "
        f"AND {cc('checked_out_at')} IS NULL RETURNING {cc('venue')}"
    )


def _close(ids: list[int], at: dt.datetime, method: str) -> list[int]:
    """Close these stays (their venues' occupancy rows are locked); returns the venue of
    each stay closed."""
    moment = sql.prepare(CheckIn, "checked_out_at", at)
    found = sql.fetchall(_close_sql(sql.vendor()), [moment, moment, method, sql.many(ids)])
    return [row[0] for row in found]


def _alert_black_status(black: list[tuple[int, _Entry, _Plan]], *, now: dt.datetime) -> None:
    """Record the black-status refusals of a batch (alerts and audit rows, a statement
    each) and, with a task worker, enqueue their notification after commit, all in one
    task. An alert whose task is lost (a crash, a deploy) stays un-notified
    (`notified_at` null) until the periodic sweep notifies it."""
    alerts = BlackStatusAlert.objects.bulk_create(
        [
            BlackStatusAlert(
                venue_id=plan.venue.pk,
                checkin_id=checkin_id,
                home_region_code=_home_region_code(entry.person.nik_masked),
                created_at=now,
            )
            for checkin_id, entry, plan in black
        ]
    )
    ids = [alert.pk for alert in alerts]
    audit.record_many(
        [
            audit.event(
                actor=plan.ask.account,
                action="checkins.black_status_refused",
                obj=CheckIn(pk=checkin_id),
                venue=plan.venue.short_code,
                alert=alert_id,
            )
            for alert_id, (checkin_id, _entry, plan) in zip(ids, black, strict=True)
        ]
    )
    from jejak.checkins import tasks

    if tasks.tasks_run_inline():
        # Enqueueing would notify right here, SMS included (a gateway's timeout, retried),
        # while the visitor waits at the door: without a worker, `jejak run-periodic`
        # notifies these alerts on its next round.
        return
    # With the database backend, enqueueing is an INSERT of the task's row, and if it
    # fails after the commit the sweep still notifies the alerts.
    transaction.on_commit(lambda: tasks.notify_black_status.enqueue(alert_ids=ids))


def _home_region_code(nik_masked: str) -> str:
    # The NIK's first four digits are the regency that issued it (36.71 Kota Tangerang);
    # the masked NIK keeps them, so nothing is decrypted.
    digits = nik_masked[:4]
    return f"{digits[:2]}.{digits[2:]}" if digits.isdigit() else ""


def alert_recipients(*, alert: BlackStatusAlert) -> list[Any]:
    """Who is told about a black-status refusal: the venue's staff and managers, and the
    health officers whose region contains the person's home regency."""
    return alerts_recipients(alerts=[alert])[alert.pk]


def alerts_recipients(*, alerts: Sequence[BlackStatusAlert]) -> dict[int, list[Any]]:
    """`alert_recipients` of several alerts, by alert id, in two queries for them all."""
    from django.contrib.auth import get_user_model

    from jejak.accounts.roles import VENUE_ROLES, Role

    users = get_user_model().objects.filter(is_active=True)
    # Two indexed look-ups (through the venues' staff, through the regions), not one
    # query with OR across both joins: that one read every account, citizens included.
    staff: dict[int, dict[int, Any]] = defaultdict(dict)
    venue_ids = {a.venue_id for a in alerts}
    for user in users.filter(role__in=VENUE_ROLES, venues__in=venue_ids).annotate(
        alerted_venue=F("venues")
    ):
        staff[user.alerted_venue][user.pk] = user
    parents = {a.pk: _region_and_parents(a.home_region_code) for a in alerts}
    codes = set().union(*parents.values())
    officers: dict[str, list[Any]] = defaultdict(list)
    if codes:
        found = users.filter(role=Role.HEALTH_OFFICER, region__code__in=codes)
        for officer in found.annotate(region_code=F("region__code")):
            officers[officer.region_code].append(officer)
    out = {}
    for alert in alerts:
        chosen = dict(staff[alert.venue_id])
        for code in parents[alert.pk]:
            chosen.update((u.pk, u) for u in officers[code])
        out[alert.pk] = [chosen[pk] for pk in sorted(chosen)]
    return out


def _region_and_parents(code: str) -> set[str]:
    # "36.71" -> {"36", "36.71"}: an officer of the province or of the city.
    if not code:
        return set()
    return {code[:i] for i in range(len(code) + 1) if code[i : i + 1] in (".", "")}


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
        _save_occupancy([occupancy], now)
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
        _save_occupancy([occupancy], now)
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
            _save_occupancy([occupancy], now)
    return total
