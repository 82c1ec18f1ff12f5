"""Recording check-ins: the batch pipeline from scanned codes to stored rows, idempotent
by nonce. The decision itself is decision.py's; occupancy, check-outs and alerts have
their own modules.

`record_many` is the hot path (millions a day at the peak; `record_checkins` is one
request). A batch runs in one transaction and takes two kinds of row lock, always in
this order, so two requests can never wait for each other in a cycle:

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
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jejak.checkins import batch_write, metrics, signals
from jejak.checkins.admit import admit, checkout_json
from jejak.checkins.alerts import record_black_alerts
from jejak.checkins.decision import Entry, decide
from jejak.checkins.errors import CheckInError, DenialReason, Note, Refusal
from jejak.checkins.models import (
    CheckIn,
    CheckInRequest,
    CheckoutMethod,
    VisitorType,
)
from jejak.checkins.occupancy import close_stays, expire, lock_occupancy
from jejak.checkins.people_lock import Locked, LockedPerson, choose, lock_people, max_per_minute
from jejak.checkins.plans import Ask, CheckInResult, Outcome, Plan
from jejak.checkins.scan import Location, check_location, check_scan_time
from jejak.inspections.closures import closure_at
from jejak.people.models import Person
from jejak.ppkm import service as ppkm
from jejak.qrcodes import service as qrcodes
from jejak.qrcodes.errors import QrError
from jejak.rosters import service as rosters
from jejak.screening import service as screening
from jejak.screening.errors import ScreeningError

if TYPE_CHECKING:
    from jejak.accounts.models import User


def _replay(account: User, nonce: uuid.UUID) -> CheckInResult | None:
    stored = (
        CheckInRequest.objects.filter(account=account, nonce=nonce).values_list("result").first()
    )
    return CheckInResult(data=stored[0], replayed=True) if stored else None


def record_checkins(
    *,
    account: User,
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
    staff: User,
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
    outcomes = _record_many(asks, now or timezone.now())
    metrics.count(outcomes)
    return outcomes


def _record_many(asks: Sequence[Ask], now: dt.datetime) -> list[Outcome]:
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
                    out[plan.index] = _record_many([plan.ask], now)[0]
                continue
            found = _replay(group[0].ask.account, group[0].ask.nonce)
            if found is None:
                raise
            stored = {group[0].index: found}
        out.update(stored)
    return out


def _verify(items: list[tuple[int, Ask]], now: dt.datetime, out: dict[int, Outcome]) -> list[Plan]:
    """The checks that need no lock: scan time, codes (one query), radius."""
    plans: list[Plan] = []
    scans: list[tuple[int, Ask, dt.datetime]] = []
    for i, ask in items:
        try:
            if ask.person is not None:
                qrcodes.check_venue(ask.entry_point.venue)
                plans.append(Plan(i, ask, ask.entry_point.venue, ask.entry_point, now))
            else:
                scans.append((i, ask, check_scan_time(ask.scanned_at or now, now)))
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
            check_location(code.venue, ask.location)
        except CheckInError as exc:
            out[i] = exc
            continue
        plans.append(Plan(i, ask, code.venue, code.entry_point, scanned))
    return plans


def _choose_people(plans: list[Plan], now: dt.datetime, out: dict[int, Outcome]) -> Locked:
    """Lock the plans' people and choose each plan's; refusals go to `out`."""
    staff = plans[0].ask.person is not None
    keys = [p.ask.person.pk if p.ask.person else p.ask.account.pk for p in plans]
    locked = lock_people(by="id" if staff else "account", keys=keys, now=now)
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
                if locked.recent.get(ask.account.pk, 0) >= max_per_minute():
                    raise CheckInError(Refusal.TOO_MANY_REQUESTS)
                plan.chosen = choose(locked.people.get(ask.account.pk, []), ask.people)
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
        if ask.person is not None and plan.leaving:
            # A visitor's own second scan at the door means "I am leaving"; staff typing
            # someone in who is still inside means a mistake or a lost check-out, and a
            # silent check-out would put tracing and the crowd count wrong.
            out[plan.index] = CheckInError(Refusal.ALREADY_INSIDE)
            plan.leaving = []
            continue
        plan.entering = [p for p in plan.chosen if p not in plan.leaving]
    return locked


def _colour(plans: list[Plan], out: dict[int, Outcome]) -> list[Plan]:
    """Each entering person's colour and decision before capacity: one query for the
    health records of every plan scanned at the same moment (all of a live batch)."""
    by_moment: dict[dt.datetime, list[Plan]] = defaultdict(list)
    for plan in plans:
        plan.policy = ppkm.policy_for(venue=plan.venue, at=plan.scanned)
        # A Satpol PP closure (in-process snapshot, no query) refuses everyone, employees
        # included; the decision is stored so that dashboards and reports count it.
        plan.closed = closure_at(plan.venue.pk, plan.scanned) is not None
        by_moment[plan.scanned].append(plan)
    staff = _on_roster(plans)
    decided: list[Plan] = []
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
                entry = decide(p, s, policy=plan.policy, visitor_type=kind, at=moment)
                entry.notes = notes
                plan.entries.append(entry)
            if plan.closed:
                for entry in plan.entries:
                    entry.reasons.append(DenialReason.VENUE_CLOSED)
            decided.append(plan)
    return sorted(decided, key=lambda plan: plan.index)


def _on_roster(plans: list[Plan]) -> set[rosters.Claim]:
    """The employee claims of these plans that the venues' staff rosters confirm: one
    query for the batch, and none when nobody claims to be an employee."""
    claims = {
        (p.pk, plan.venue.pk, plan.scanned)
        for plan in plans
        if plan.ask.visitor_type == VisitorType.EMPLOYEE
        for p in plan.entering
    }
    return rosters.rostered(claims=claims)


def _visitor_type(
    plan: Plan, person: LockedPerson, staff: set[rosters.Claim]
) -> tuple[str, list[str]]:
    """What `person` is decided as, and the notes that explain it.

    Employees are held to looser rules (colours, hours, capacity), so the claim is only
    believed for someone on the venue's roster at the scan time; anyone else is a guest,
    told why (the same rule for a staff member's manual check-in)."""
    if plan.ask.visitor_type != VisitorType.EMPLOYEE:
        return plan.ask.visitor_type, []
    if (person.pk, plan.venue.pk, plan.scanned) in staff:
        return VisitorType.EMPLOYEE, []
    return VisitorType.GUEST, [Note.NOT_ON_STAFF_ROSTER]


def _store(plans: list[Plan], now: dt.datetime) -> dict[int, Outcome]:
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
    occupancy = lock_occupancy({plan.venue.pk for plan in decided} | elsewhere)
    for row in occupancy.values():
        expire(row, now)

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
        for venue_id in close_stays(ids, at, method):
            occupancy[venue_id].inside = max(0, occupancy[venue_id].inside - 1)
    left = [active[p.pk].pk for plan in decided for p in plan.leaving]
    closed_rows = {c.pk: c for c in CheckIn.objects.filter(pk__in=left)} if left else {}

    results: list[dict[str, Any]] = []
    rows: list[CheckIn] = []
    for plan in decided:
        out_rows = [checkout_json(closed_rows[active[p.pk].pk], p) for p in plan.leaving]
        data, values = admit(plan, occupancy[plan.venue.pk], out_rows, now)
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
    black: list[tuple[int, Entry, Plan]] = []
    for plan, data in zip(decided, results, strict=True):
        for entry in plan.entries:
            checkin_id = next(checkin_ids)
            if DenialReason.STATUS_BLACK in entry.reasons:
                black.append((checkin_id, entry, plan))
        out[plan.index] = CheckInResult(data=data)
    if black:
        record_black_alerts(black, now=now)
    tagged = [
        (plan.ask, data)
        for plan, data in zip(decided, results, strict=True)
        if plan.ask.origin is not None
    ]
    if tagged:
        # In this transaction: a partner's record of the check-in commits with it.
        signals.recorded.send(sender=None, recorded=tagged, now=now)
    return out
