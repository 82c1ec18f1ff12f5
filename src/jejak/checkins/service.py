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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
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
)
from jejak.people.models import Person, Relation
from jejak.ppkm import service as ppkm
from jejak.qrcodes import service as qrcodes
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


def _resolve_people(account: Any, wanted: Sequence[str]) -> list[Person]:
    """Lock the account's people and return the requested ones, in request order."""
    # Locking every person of the account (a family: a dozen rows at most) serialises
    # one family's concurrent requests and nobody else's.
    mine = list(Person.objects.select_for_update().filter(account=account).order_by("id"))
    by_key = {p.public_id: p for p in mine}
    own = next((p for p in mine if p.relation == Relation.SELF), None)
    if own is not None:
        by_key["self"] = own
    chosen: list[Person] = []
    for key in wanted:
        person = by_key.get(str(key))
        if person is None:
            raise CheckInError(Refusal.PERSON_UNKNOWN)
        if person not in chosen:
            chosen.append(person)
    if not chosen:
        raise CheckInError(Refusal.PERSON_UNKNOWN)
    return chosen


def _check_burst(account: Any, now: dt.datetime) -> None:
    # Counted in the database (healthchecks' way): exact across processes, no new
    # service. Exact under concurrency too, as the account's people are locked.
    recent = CheckInRequest.objects.filter(
        account=account, received_at__gt=now - dt.timedelta(minutes=1)
    ).count()
    if recent >= _max_per_minute():
        raise CheckInError(Refusal.TOO_MANY_REQUESTS)


def _lock_occupancy(venue_ids: Iterable[int]) -> dict[int, VenueOccupancy]:
    """Lock the occupancy rows of these venues, in id order (creating missing ones)."""
    ids = sorted(set(venue_ids))
    rows = {
        o.venue_id: o
        for o in VenueOccupancy.objects.select_for_update()
        .filter(venue_id__in=ids)
        .order_by("venue_id")
    }
    if len(rows) < len(ids):
        # First check-in at a venue: a racing creator is fine, the conflict is ignored.
        VenueOccupancy.objects.bulk_create(
            [VenueOccupancy(venue_id=i) for i in ids if i not in rows], ignore_conflicts=True
        )
        rows = {
            o.venue_id: o
            for o in VenueOccupancy.objects.select_for_update()
            .filter(venue_id__in=ids)
            .order_by("venue_id")
        }
    return rows


# `VenueOccupancy.sweep_due_at` when no stay is open there: later than any planned end.
NOTHING_DUE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def _expire(occupancy: VenueOccupancy, now: dt.datetime) -> int:
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


def _save_occupancy(occupancy: VenueOccupancy, now: dt.datetime) -> None:
    occupancy.updated_at = now
    occupancy.save(update_fields=["inside", "updated_at", "sweep_due_at"])


def _stay(policy: Any, venue: Venue) -> dt.timedelta:
    minutes = [venue.default_stay_minutes]
    if policy.max_stay_minutes:
        minutes.append(policy.max_stay_minutes)
    return min(dt.timedelta(minutes=min(minutes)), MAX_STAY)


@dataclass
class _Entry:
    person: Person
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
    person: Person, status: Any, *, policy: Any, visitor_type: str, at: dt.datetime
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


def _person_key(person: Person) -> str:
    return "self" if person.relation == Relation.SELF else person.public_id


def _checkout_json(checkin: CheckIn, person: Person) -> dict[str, Any]:
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
    stored = _replay(account, nonce)
    if stored is not None:
        return stored
    if visitor_type not in VisitorType.values:
        raise ValueError(f"visitor_type must be one of {VisitorType.values}")
    scanned_at = _check_scan_time(scanned_at or now, now)
    # Dynamic codes are checked at receipt, not at the claimed scan time: a client's
    # clock cannot revive an expired screen code (offline scans need the poster's code).
    verified = qrcodes.verify(qr, now=now)
    venue, entry_point = verified.venue, verified.entry_point
    _check_location(venue, location)
    try:
        with transaction.atomic():
            result = _record(
                account=account,
                nonce=nonce,
                people=people,
                visitor_type=visitor_type,
                venue=venue,
                entry_point=entry_point,
                scanned_at=scanned_at,
                now=now,
            )
    except IntegrityError:
        # A retry with the same nonce committed first: answer what it answered.
        stored = _replay(account, nonce)
        if stored is None:
            raise
        return stored
    return result


def _record(
    *,
    account: Any,
    nonce: uuid.UUID,
    people: Sequence[str],
    visitor_type: str,
    venue: Venue,
    entry_point: Any,
    scanned_at: dt.datetime,
    now: dt.datetime,
) -> CheckInResult:
    chosen = _resolve_people(account, people)
    _check_burst(account, now)
    active = {
        c.person_id: c
        for c in CheckIn.objects.filter(ACTIVE_Q, person__in=chosen).only(
            "id", "public_id", "person_id", "venue_id", "checked_in_at", "planned_checkout_at"
        )
    }
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
        closed = CheckIn.objects.filter(ACTIVE_Q, pk__in=ids, venue_id=other_id).update(
            checked_out_at=Greatest(F("checked_in_at"), Value(scanned_at)),
            checkout_method=CheckoutMethod.ELSEWHERE,
        )
        other.inside = max(0, other.inside - closed)
        _save_occupancy(other, now)

    out_rows: list[dict[str, Any]] = []
    if leaving:
        ids = [active[p.pk].pk for p in leaving]
        closed = CheckIn.objects.filter(ACTIVE_Q, pk__in=ids).update(
            checked_out_at=Greatest(F("checked_in_at"), Value(scanned_at)),
            checkout_method=CheckoutMethod.RESCAN,
        )
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
    rows = [
        CheckIn(
            person=e.person,
            account=account,
            venue=venue,
            entry_point=entry_point,
            visitor_type=visitor_type,
            decision=e.decision,
            reasons=[str(r) for r in e.reasons],
            colour=e.colour,
            colour_reasons=e.colour_reasons,
            rule_set=rule_set,
            policy=reference,
            scanned_at=scanned_at,
            received_at=now,
            checked_in_at=scanned_at if e.admitted else None,
            planned_checkout_at=planned if e.admitted else None,
            checked_out_at=None if (still_inside or not e.admitted) else planned,
            checkout_method=""
            if (still_inside or not e.admitted)
            else CheckoutMethod.AUTOMATIC.value,
        )
        for e in entries
    ]

    in_rows = [
        {
            "person": _person_key(r.person),
            "action": "check_in",
            "checkin": r.public_id,
            "decision": str(r.decision),
            "reasons": r.reasons,
            "colour": r.colour,
            "colour_reasons": r.colour_reasons,
            "checked_in_at": _iso(r.checked_in_at),
            "planned_checkout_at": _iso(r.planned_checkout_at),
            "checked_out_at": _iso(r.checked_out_at),
            "checkout_method": r.checkout_method,
        }
        for r in rows
    ]
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
    request = CheckInRequest.objects.create(
        account=account, nonce=nonce, received_at=now, result=data
    )
    for row in rows:
        row.request = request
    CheckIn.objects.bulk_create(rows)
    _alert_black_status([r for r in rows if DenialReason.STATUS_BLACK in r.reasons], account)
    return CheckInResult(data=data)


def _alert_black_status(rows: list[CheckIn], account: Any) -> None:
    if not rows:
        return
    alerts = BlackStatusAlert.objects.bulk_create(
        [
            BlackStatusAlert(
                venue=r.venue,
                checkin=r,
                home_region_code=_home_region_code(r.person),
                created_at=r.received_at,
            )
            for r in rows
        ]
    )
    for alert, row in zip(alerts, rows, strict=True):
        audit.record(
            actor=account,
            action="checkins.black_status_refused",
            obj=row,
            venue=row.venue.short_code,
            alert=alert.pk,
        )
    from jejak.checkins.tasks import notify_black_status

    ids = [a.pk for a in alerts]
    transaction.on_commit(lambda: notify_black_status.enqueue(alert_ids=ids))


def _home_region_code(person: Person) -> str:
    # The NIK's first four digits are the regency that issued it (36.71 Kota Tangerang);
    # the masked NIK keeps them, so nothing is decrypted.
    digits = person.nik_masked[:4]
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
