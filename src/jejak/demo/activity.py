"""Two weeks of the city using its codes, so that a newcomer's first look at the usage
dashboards, the least-compliant ranking, the map, the venue consoles and contact tracing
shows real numbers.

The demo's residents (`population.py`) scan the codes of the issued venues over the last
`demo_days()` days, up to now: fewer days than check-ins are kept
(JEJAK_CHECKIN_RETENTION_DAYS), so the periodic runner does not purge the first demo
day at once. Each sector has its week and its day (offices and schools on weekday
mornings, malls and parks at weekends, restaurants at lunch and dinner, terminals at the
rush hours), each venue its popularity, and some venues barely scan at all: codes
printed but not on the wall, which is what the least-compliant ranking is for.

Every entry is decided by the check-in path's own decision (`checkins.decision`) from
the person's screening status and the venue's PPKM policy at that moment (`ppkm`), with
the venue's occupancy replayed so capacity holds. Most people are admitted; yellow ones
after the staff check; unvaccinated people mostly stay away from places that would refuse
them, and are refused when they come; a few come after closing time or to a full
restaurant. People are never in two places at once. A third forget to check out, and
the system keeps them inside until the automatic check-out or their next check-in
elsewhere, as in service; whoever's stay is not over yet is inside now, on the venues'
live counters.

Tracing runs through its services: a resident tests positive (the result imported as
the health import stores it), the case opens the next morning from that result, a health
officer searches its contacts and, for the older case, designates the close ones, who
then stay home; a case and a contact who still try to enter somewhere are refused as
black, and the venue's alert is in the history. The rows themselves are bulk-inserted:
`checkins.record` refuses scans older than 24 hours, and weeks of history is the point.
"""

from __future__ import annotations

import datetime as dt
import heapq
import io
import math
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from jejak.checkins.decision import apply_capacity_and_parents, decide, stay_length
from jejak.checkins.errors import DenialReason
from jejak.checkins.models import (
    BlackStatusAlert,
    CheckIn,
    CheckInRequest,
    CheckoutMethod,
    VenueOccupancy,
    VisitorType,
    new_public_id,
)
from jejak.checkins.occupancy import NOTHING_DUE
from jejak.checkins.people_lock import LockedPerson
from jejak.health.models import LabOutcome, LabResult
from jejak.health.service import import_health_file
from jejak.ppkm.service import Policy, policy_for
from jejak.screening.service import Status, statuses_for_people
from jejak.tracing.cases import open_case_from_result
from jejak.tracing.designation import designate_contacts
from jejak.tracing.search import search_contacts
from jejak.venues.models import Venue, VenueStatus

from . import rows
from .population import ADULT, SCHOOL_AGE, Household, Member, build_population
from .timeline import backdate_rollout

if TYPE_CHECKING:
    from collections.abc import Iterable

    from jejak.accounts.models import User
    from jejak.identity.synthetic import ResidentRow

# Days of history: two weeks, the incubation period tracing looks back over, and always
# at least two days fewer than retention keeps.
DEMO_DAYS = 14
# All demand below is multiplied by this: the two thousand residents of the demo
# registry cannot make a real city's scans; this keeps them busy but not everywhere.
SCALE = 0.6


@dataclass(frozen=True)
class Profile:
    """How a sector's venues are used: scans a weekday at a typical venue, the weekend's
    factors, the hour of arrival (weights), how long a visit lasts (minutes), the share
    of scans made for a family, and the share of single scans by pupils (ages 6-17)."""

    daily: float
    saturday: float
    sunday: float
    hours: dict[int, float]
    stay: tuple[int, int]
    groups: float
    pupils: float = 0.0


PROFILES: dict[str, Profile] = {
    "kantor-pemerintahan": Profile(
        9, 0.1, 0.03, {7: 4, 8: 5, 9: 3, 10: 2, 11: 1.5, 13: 1.5, 14: 1}, (60, 480), 0.02
    ),
    "sekolah": Profile(
        8, 0.15, 0.02, {6: 5, 7: 4, 8: 1, 9: 0.5, 10: 0.5, 12: 0.5, 13: 0.5}, (180, 420), 0.05, 0.6
    ),
    "rumah-sakit": Profile(
        90, 0.8, 0.6,
        {7: 3, 8: 4, 9: 4, 10: 3, 11: 2, 13: 2, 14: 2, 15: 1.5, 16: 1.5, 17: 1, 18: 1, 19: 1},
        (30, 180), 0.3,
    ),
    "puskesmas": Profile(
        22, 0.5, 0.03, {7: 4, 8: 5, 9: 4, 10: 3, 11: 2, 13: 1}, (30, 110), 0.25
    ),
    "pusat-perbelanjaan": Profile(
        160, 1.6, 1.8,
        {10: 2, 11: 3, 12: 4, 13: 4, 14: 3, 15: 3, 16: 4, 17: 5, 18: 6, 19: 6, 20: 4, 21: 2,
         22: 0.15},
        (45, 180), 0.45,
    ),
    "rumah-makan": Profile(
        45, 1.4, 1.5,
        {7: 1, 10: 1, 11: 3, 12: 6, 13: 4, 14: 1, 17: 2, 18: 5, 19: 5, 20: 3, 21: 1, 22: 0.2},
        (25, 70), 0.5,
    ),
    "toko": Profile(
        55, 1.3, 1.2,
        {8: 2, 9: 3, 10: 3, 11: 3, 12: 2, 13: 2, 14: 2, 15: 3, 16: 4, 17: 5, 18: 5, 19: 4, 20: 3,
         21: 2, 22: 0.2},
        (10, 45), 0.15,
    ),
    "apartemen": Profile(
        35, 1.1, 1.1, {6: 1, 7: 2, 8: 1, 12: 1, 17: 2, 18: 3, 19: 3, 20: 2, 21: 1}, (60, 600), 0.2
    ),
    "hotel": Profile(
        10, 1.5, 1.2, {11: 1, 12: 2, 13: 2, 14: 4, 15: 4, 16: 3, 17: 2, 18: 2, 19: 2, 20: 1, 21: 1},
        (720, 1440), 0.45,
    ),
    "terminal": Profile(
        35, 1.3, 1.4,
        {5: 2, 6: 4, 7: 4, 8: 2, 9: 1, 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 15: 2, 16: 3, 17: 4,
         18: 3, 19: 2, 20: 1},
        (10, 50), 0.3,
    ),
    "tempat-wisata": Profile(
        18, 2.8, 3.2, {6: 2, 7: 3, 8: 3, 9: 3, 10: 3, 11: 2, 14: 2, 15: 3, 16: 4, 17: 3},
        (45, 180), 0.6,
    ),
    "sarana-olahraga": Profile(
        12, 2.0, 2.2, {5: 2, 6: 4, 7: 3, 8: 2, 15: 2, 16: 4, 17: 4, 18: 3, 19: 2, 20: 1},
        (45, 120), 0.2,
    ),
}  # fmt: skip
# The story's landmarks, and one popular restaurant that fills up at lunch and dinner:
# scans a weekday, whatever their sector's typical venue does.
NAMED_DAILY = {
    "RM-001": 150,
    "PUSPEM-TNG": 110,
    "GEDUNG-CISADANE": 30,
    "RSUD-TNG": 90,
    "MALL-TCITY": 320,
    "MALL-CILEDUG": 120,
    "TERM-PORIS": 170,
    "STADION-BENTENG": 60,
}
# How much of its visitors a venue's code catches: installed codes mostly do, a few
# venues barely scan; codes issued but not confirmed on the wall often are not up yet.
USE_INSTALLED = (0.02, 0.25, 0.6, 1.0, 1.0, 1.2, 1.5)
USE_ISSUED = (0.0, 0.0, 0.05, 0.2, 0.5)
# Where a case is likely to have met people: the cases are chosen among their visitors.
CROWDED = frozenset(
    {
        "pusat-perbelanjaan",
        "rumah-makan",
        "toko",
        "terminal",
        "tempat-wisata",
        "sarana-olahraga",
        "rumah-sakit",
    }
)
# Someone whose colour the venue refuses mostly knows it and stays away.
COMES_ANYWAY = 0.08
# Visitors who check out by the button; the others scan the code again on the way out.
EXPLICIT_SHARE = 0.85
# Visitors who forget to check out at all: the automatic check-out (or their next check-in
# elsewhere) closes the stay. The benchmarks' data leaves a third open; so does this.
FORGET_SHARE = 0.33
# Scans queued offline on the phone and uploaded later.
OFFLINE_SHARE = 0.01
ISOLATION = dt.timedelta(days=10)
QUARANTINE = dt.timedelta(days=11)

# The columns written, in the order of the rows `_City.enter` makes.
REQUEST_COLUMNS = rows.columns(CheckInRequest, ["id", "account", "nonce", "received_at", "result"])
CHECKIN_COLUMNS = rows.columns(
    CheckIn,
    [
        "id",
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
    ],
)
CHECKED_OUT, METHOD = 18, 19  # a row's checked_out_at and checkout_method
CLOSE_COLUMNS = rows.columns(CheckIn, ["checked_out_at", "checkout_method"], every=False)


@dataclass(frozen=True)
class CaseStory:
    """A resident tests positive this many days ago; the case opens the next morning and
    its contacts are searched. With `designate`, the officer designates the close contacts
    the same day."""

    specimen_days_ago: int
    designate: bool


CASES = (CaseStory(8, designate=True), CaseStory(2, designate=False))


def demo_days(retention: int | None = None) -> int:
    """Days of demo history: DEMO_DAYS, but at least two fewer than check-ins are kept."""
    keep = settings.JEJAK_CHECKIN_RETENTION_DAYS if retention is None else retention
    return max(1, min(DEMO_DAYS, keep - 2))


@dataclass
class Place:
    venue: Venue
    sector: str
    kecamatan: str
    entrances: list[int]
    heap: list[dt.datetime] = field(default_factory=list)  # ends of the stays inside


@dataclass
class _Held:
    """A stay its visitor forgot to check out of, open in the system until `planned`."""

    row: list[Any]
    planned: dt.datetime
    written: bool = False


@dataclass(order=True)
class _Item:
    at: dt.datetime
    seq: int
    kind: str = field(compare=False)  # "scan", "attempt", "specimen", "result"
    place: Place | None = field(default=None, compare=False)
    group: bool = field(default=False, compare=False)
    member: Member | None = field(default=None, compare=False)
    story: Any = field(default=None, compare=False)


@dataclass
class _Case:
    story: CaseStory
    member: Member
    specimen_at: dt.datetime
    opened_at: dt.datetime


@dataclass
class Summary:
    days: int = 0
    accounts: int = 0
    people: int = 0
    checkins: int = 0
    admitted: int = 0
    denied: int = 0
    inside_now: int = 0
    black_alerts: int = 0
    cases: int = 0
    contacts: int = 0
    designated: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class _City:
    """The demo's days replayed in time order: scans, and the tracing events between
    them, taken from one queue; who is where, and every venue's occupancy, as of each."""

    def __init__(
        self,
        households: list[Household],
        places: list[Place],
        *,
        officer: User | None,
        now: dt.datetime,
        rng: random.Random,
    ) -> None:
        self.households = households
        self.places = places
        self.officer = officer
        self.now = now
        self.rng = rng
        self.summary = Summary()
        self.everyone = [m for h in households for m in h.members]
        self.adults: dict[str, list[Member]] = defaultdict(list)
        self.pupils: dict[str, list[Member]] = defaultdict(list)
        self.families: dict[str, list[Household]] = defaultdict(list)
        for h in households:
            if any(m.age >= ADULT for m in h.members) and len(h.members) > 1:
                self.families[h.kecamatan].append(h)
                self.families[""].append(h)
            for m in h.members:
                if m.age >= ADULT:
                    self.adults[m.kecamatan].append(m)
                    self.adults[""].append(m)
                elif m.age >= SCHOOL_AGE[0]:
                    self.pupils[m.kecamatan].append(m)
                    self.pupils[""].append(m)
        self.locked = {
            m.pk: LockedPerson(
                pk=m.pk,
                public_id=m.person.public_id,
                relation=m.person.relation,
                nik_index=m.person.nik_index,
                birth_date=m.person.birth_date,
                nik_masked=m.person.nik_masked,
                identity_verified_at=m.person.identity_verified_at,
            )
            for m in self.everyone
        }
        self.busy: dict[int, dt.datetime] = {}
        self.away: dict[int, dt.datetime] = {}
        # Admitted visits at crowded venues, per person: where the cases are chosen.
        self.outings: dict[int, list[dt.datetime]] = defaultdict(list)
        self.policies: dict[tuple[int, dt.date], Policy] = {}
        self.requests: list[tuple[Any, ...]] = []
        self.checkins: list[list[Any]] = []
        self.alerts: list[BlackStatusAlert] = []
        self.values = rows.Values()
        self.held: dict[int, _Held] = {}
        self.open_now: dict[int, tuple[int, dt.datetime]] = {}
        self.next_request = rows.next_id(CheckInRequest)
        self.next_checkin = rows.next_id(CheckIn)
        self.cases: list[_Case] = []
        self.queue: list[_Item] = []
        self.seq = 0

    # --- the queue ---------------------------------------------------------------------

    def push(self, at: dt.datetime, kind: str, **kwargs: Any) -> None:
        self.seq += 1
        heapq.heappush(self.queue, _Item(at, self.seq, kind, **kwargs))

    def plan(self, days: int, today: dt.date, seed: int) -> None:
        """Every venue's scans of each day up to now. Each venue draws from a generator of
        its own (and of each day), so its use and its days do not depend on the others,
        nor on the hour the demo is built."""
        tz = timezone.get_default_timezone()
        for place in self.places:
            profile = PROFILES[place.sector]
            code = place.venue.short_code
            mine = random.Random(f"{seed}:{code}")  # noqa: S311 (demo data, not security)
            if code in NAMED_DAILY:
                daily = float(NAMED_DAILY[code])
            else:
                use = USE_INSTALLED if place.venue.status == VenueStatus.INSTALLED else USE_ISSUED
                daily = profile.daily * mine.lognormvariate(0, 0.45) * mine.choice(use)
            hours, weights = list(profile.hours), list(profile.hours.values())
            for back in range(days):
                day = today - dt.timedelta(days=back)
                rng = random.Random(f"{seed}:{code}:{day.isoformat()}")  # noqa: S311 (demo data)
                factor = {5: profile.saturday, 6: profile.sunday}.get(day.weekday(), 1.0)
                for _ in range(_poisson(rng, daily * factor * SCALE)):
                    hour = rng.choices(hours, weights)[0]
                    at = dt.datetime.combine(
                        day, dt.time(hour, rng.randrange(60), rng.randrange(60)), tz
                    )
                    group = rng.random() < profile.groups
                    if at <= self.now:
                        self.push(at, "scan", place=place, group=group)
        rng = self.rng
        for story in CASES:
            day = today - dt.timedelta(days=story.specimen_days_ago)
            # The window looks two days back from the specimen: inside the history.
            if story.specimen_days_ago + 2 <= days - 1:
                at = dt.datetime.combine(day, dt.time(8, rng.randrange(60)), tz)
                self.push(at, "specimen", story=story)

    def run(self) -> None:
        while self.queue:
            item = heapq.heappop(self.queue)
            if item.kind == "scan":
                assert item.place is not None
                self.scan(item.at, item.place, group=item.group)
            elif item.kind == "attempt":
                assert item.place is not None and item.member is not None
                self.attempt(item.at, item.place, item.member)
            elif item.kind == "specimen":
                self.specimen(item.at, item.story)
            elif item.kind == "result":
                self.result(item.story)
        self.flush()

    # --- who comes ---------------------------------------------------------------------

    def free(self, m: Member, at: dt.datetime) -> bool:
        pk = m.pk
        return self.busy.get(pk, at) <= at and self.away.get(pk, at) <= at

    def willing(self, m: Member, policy: Policy) -> bool:
        return policy.admits(m.colour, VisitorType.GUEST) or self.rng.random() < COMES_ANYWAY

    def pick(self, at: dt.datetime, place: Place, policy: Policy, group: bool) -> list[Member]:
        rng = self.rng
        if group:
            for _ in range(8):
                families = self.families[place.kecamatan if rng.random() < 0.5 else ""]
                if not families:
                    break
                free = [m for m in rng.choice(families).members if self.free(m, at)]
                adults = [m for m in free if m.age >= ADULT]
                if not adults or len(free) < 2:
                    continue
                lead = rng.choice(adults)
                others = [m for m in free if m is not lead]
                rng.shuffle(others)
                party = [lead, *others[: rng.randint(1, 3)]]
                if all(self.willing(m, policy) for m in party):
                    return party
        profile = PROFILES[place.sector]
        pool = self.pupils if rng.random() < profile.pupils else self.adults
        for _ in range(10):
            people = pool[place.kecamatan if rng.random() < 0.6 else ""]
            if not people:
                break
            m = rng.choice(people)
            if self.free(m, at) and self.willing(m, policy):
                return [m]
        return []

    # --- what happens at the door ------------------------------------------------------

    def policy(self, place: Place, at: dt.datetime) -> Policy:
        key = (place.venue.pk, timezone.localdate(at))
        if key not in self.policies:
            self.policies[key] = policy_for(venue=place.venue, at=at)
        return self.policies[key]

    def scan(self, at: dt.datetime, place: Place, *, group: bool) -> None:
        policy = self.policy(place, at)
        party = self.pick(at, place, policy, group)
        if party:
            self.enter(at, place, policy, party, [m.status for m in party])

    def attempt(self, at: dt.datetime, place: Place, member: Member) -> None:
        """Someone isolating or in quarantine tries to enter anyway: screened at that
        moment, black."""
        status = statuses_for_people([member.person], at=at)[0]
        self.enter(at, place, self.policy(place, at), [member], [status])

    def enter(
        self,
        at: dt.datetime,
        place: Place,
        policy: Policy,
        party: list[Member],
        statuses: list[Status | None],
    ) -> None:
        rng, v = self.rng, self.values
        while place.heap and place.heap[0] <= at:
            heapq.heappop(place.heap)
        entries = [
            decide(self.locked[m.pk], s, policy=policy, visitor_type=VisitorType.GUEST, at=at)
            for m, s in zip(party, statuses, strict=True)
        ]
        apply_capacity_and_parents(
            entries, inside=len(place.heap), capacity=policy.capacity_for(place.venue.capacity)
        )
        planned = at + stay_length(policy, place.venue)
        lasts = dt.timedelta(minutes=rng.randint(*PROFILES[place.sector].stay))
        # When they leave, and when the system closes their stay: at once (the button, or
        # the code scanned again on the way out), or, for those who forget, at the
        # automatic check-out or their next check-in elsewhere, whichever comes first.
        left = min(at + lasts, planned)
        method = CheckoutMethod.EXPLICIT if rng.random() < EXPLICIT_SHARE else CheckoutMethod.RESCAN
        forgot = left == planned or rng.random() < FORGET_SHARE
        if forgot:
            closed, method = planned, CheckoutMethod.AUTOMATIC
        else:
            closed = left
        received = at + dt.timedelta(seconds=rng.uniform(0.3, 3))
        if rng.random() < OFFLINE_SHARE:
            received = min(self.now, at + dt.timedelta(minutes=rng.randint(5, 90)))
        account_id = party[0].account_id
        request_id = self.next_request
        self.next_request += 1
        self.requests.append(
            (
                request_id,
                account_id,
                v.uuid(uuid.UUID(int=rng.getrandbits(128), version=4)),
                v.when(received),
                # The answer a retry would replay: none is retried in the demo's past.
                v.json({}),
            )
        )
        entrance = place.entrances[0 if rng.random() < 0.5 else rng.randrange(len(place.entrances))]
        reference = v.json(policy.as_reference())
        for m, status, entry in zip(party, statuses, entries, strict=True):
            assert status is not None
            admitted = entry.admitted
            is_open = admitted and closed > self.now
            out = admitted and not is_open
            pk = m.pk
            if admitted:
                self.leave_elsewhere(pk, at)
            checkin_id = self.next_checkin
            self.next_checkin += 1
            row = [
                checkin_id,
                new_public_id(),
                request_id,
                pk,
                account_id,
                place.venue.pk,
                entrance,
                VisitorType.GUEST.value,
                entry.decision,
                v.json([str(r) for r in entry.reasons]),
                status.colour,
                v.json(list(status.reasons)),
                status.rule_set,
                reference,
                v.when(at),
                v.when(received),
                v.when(at if admitted else None),
                v.when(planned if admitted else None),
                v.when(closed if out else None),
                method.value if out else "",
            ]
            self.checkins.append(row)
            if DenialReason.STATUS_BLACK in entry.reasons:
                # History: marked notified, or the periodic sweep would tell everyone now.
                self.alerts.append(
                    BlackStatusAlert(
                        venue_id=place.venue.pk,
                        checkin_id=checkin_id,
                        home_region_code=f"{m.nik[:2]}.{m.nik[2:4]}",
                        created_at=at,
                        notified_at=received,
                    )
                )
            if admitted:
                heapq.heappush(place.heap, closed)
                if is_open:
                    self.open_now[checkin_id] = (place.venue.pk, planned)
                if forgot:
                    self.held[pk] = _Held(row, planned)
                if place.sector in CROWDED:
                    self.outings[pk].append(at)
                # Ten minutes to get anywhere else.
                self.busy[pk] = left + dt.timedelta(minutes=10)
                self.summary.admitted += 1
            else:
                self.busy[pk] = at + dt.timedelta(minutes=5)
                self.summary.denied += 1
            self.summary.checkins += 1

    def leave_elsewhere(self, pk: int, at: dt.datetime) -> None:
        """A check-in closes the person's stay the system still holds open elsewhere (one
        they forgot to check out of), as `checkins.occupancy` does."""
        held = self.held.pop(pk, None)
        if held is None or held.planned <= at:
            return
        row = held.row
        row[CHECKED_OUT], row[METHOD] = self.values.when(at), CheckoutMethod.ELSEWHERE.value
        self.open_now.pop(row[0], None)
        if held.written:
            rows.update(CheckIn, CLOSE_COLUMNS, [(row[CHECKED_OUT], row[METHOD], row[0])])

    def flush(self) -> None:
        """Write the decided scans (before tracing reads them, and at the end)."""
        rows.insert(CheckInRequest, REQUEST_COLUMNS, self.requests)
        rows.insert(CheckIn, CHECKIN_COLUMNS, self.checkins)
        rows.reset_sequences(CheckInRequest, CheckIn)
        BlackStatusAlert.objects.bulk_create(self.alerts)
        self.summary.black_alerts += len(self.alerts)
        self.requests, self.checkins, self.alerts = [], [], []
        for held in self.held.values():
            held.written = True

    # --- tracing -----------------------------------------------------------------------

    def specimen(self, at: dt.datetime, story: CaseStory) -> None:
        """A resident who has been out and about is tested (and positive): from now on
        they stay home; the result is imported as the health import stores it."""
        since = at - dt.timedelta(days=2)
        taken = {c.member.pk for c in self.cases}
        scored = [
            (sum(1 for t in self.outings[m.pk] if since <= t <= at), m)
            for m in self.adults[""]
            if 20 <= m.age < 60 and m.colour == "hijau" and m.pk not in taken and self.free(m, at)
        ]
        # Anyone who went out where people gather more than once: most such cases have
        # tens of contacts to trace, not the hundreds of whoever spent the days at the mall.
        outgoing = [m for score, m in scored if score >= 2] or [m for score, m in scored if score]
        if not outgoing:
            return
        member = self.rng.choice(outgoing)
        self.away[member.pk] = at + ISOLATION
        when = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
        sheet = (
            "nik,record_type,date,end_date,datetime,dose_number,product,product_code,method,"
            f"result,lab,reason\n{member.nik},lab_result,,,{when},,,,pcr,positive,"
            "Labkesda Kota Tangerang,\n"
        )
        report = import_health_file(
            io.BytesIO(sheet.encode()), actor=None, filename="demo-lab-results.csv"
        )
        if not report.ok:
            raise RuntimeError(f"demo lab result refused: {report.problems}")
        # The result comes back the next morning and the case opens from it.
        opened = at + dt.timedelta(
            hours=24 + self.rng.randint(1, 3), minutes=self.rng.randrange(60)
        )
        if opened + dt.timedelta(hours=5) < self.now:
            case = _Case(story, member, at, opened)
            self.cases.append(case)
            self.push(opened, "result", story=case)

    def result(self, run: _Case) -> None:
        self.flush()
        lab = (
            LabResult.objects.filter(
                nik_index=run.member.person.nik_index, result=LabOutcome.POSITIVE
            )
            .order_by("-specimen_at")
            .first()
        )
        case = lab and open_case_from_result(lab_result=lab, now=run.opened_at)
        if not case:
            return
        self.summary.cases += 1
        searched = run.opened_at + dt.timedelta(minutes=90)
        contacts = search_contacts(case=case, actor=self.officer, now=searched)
        self.summary.contacts += len(contacts)
        tomorrow = dt.datetime.combine(
            timezone.localdate(run.opened_at) + dt.timedelta(days=1),
            dt.time(11, 12),
            timezone.get_default_timezone(),
        )
        shop = self.nearest_shop(run.member.kecamatan)
        if shop is not None and tomorrow < self.now:
            # Isolating, and still tries the shop next door.
            self.push(tomorrow, "attempt", place=shop, member=run.member)
        # The officer designates the close contacts; with none above the threshold, the
        # three who shared the most time with the case.
        chosen = [c for c in contacts if c.is_close] or contacts[:3]
        if not run.story.designate or not chosen:
            return
        designated_at = run.opened_at + dt.timedelta(hours=4)
        done = designate_contacts(
            case=case, actor=self.officer, contact_ids=[c.pk for c in chosen], now=designated_at
        )
        self.summary.designated += done.designated
        members = {m.pk: m for m in self.everyone}
        close = list(case.contacts.filter(designated_at__isnull=False).order_by("rank"))
        for contact in close:
            # In quarantine: they stay home until it ends.
            self.away[contact.person_id] = contact.last_exposure_at + QUARANTINE
        first = members.get(close[0].person_id) if close else None
        later = designated_at + dt.timedelta(days=1, hours=3)
        if first is not None and shop is not None and later < self.now:
            self.push(later, "attempt", place=shop, member=first)

    def nearest_shop(self, kecamatan: str) -> Place | None:
        shops = [p for p in self.places if p.sector in ("pusat-perbelanjaan", "toko")]
        local = [p for p in shops if p.kecamatan == kecamatan]
        return next(iter(local or shops), None)

    # --- the end -----------------------------------------------------------------------

    def occupancy(self) -> None:
        """Each venue's live counter as those check-ins leave it: who is inside now, and
        when the earliest of their stays is due to end."""
        inside: dict[int, list[dt.datetime]] = defaultdict(list)
        for venue_id, planned in self.open_now.values():
            inside[venue_id].append(planned)
        VenueOccupancy.objects.bulk_create(
            [
                VenueOccupancy(
                    venue=p.venue,
                    inside=len(inside[p.venue.pk]),
                    updated_at=self.now,
                    sweep_due_at=min(inside[p.venue.pk], default=NOTHING_DUE),
                )
                for p in self.places
            ]
        )
        self.summary.inside_now = len(self.open_now)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    # Knuth's: multiply uniforms until the product drops below e^-mean.
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _places() -> list[Place]:
    venues = (
        Venue.objects.filter(status__in=(VenueStatus.ISSUED, VenueStatus.INSTALLED))
        .select_related("region", "sector__parent")
        .prefetch_related("entry_points")
        .order_by("short_code")
    )
    return [
        Place(
            venue=v,
            sector=v.sector.root.slug,
            kecamatan=v.region.code[:8],
            entrances=[e.pk for e in sorted(v.entry_points.all(), key=lambda e: e.position)],
        )
        for v in venues
        if v.sector.root.slug in PROFILES and v.entry_points.all()
    ]


def build_activity(
    *,
    residents: Iterable[ResidentRow],
    officer: User | None,
    days: int | None = None,
    seed: int = 2021,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """The residents as visitors, `days` (default `demo_days()`) of their check-ins up to
    `now` at the venues with codes (whose rollout is first dated before those days), and
    the tracing cases among them; returns what was made, for printing."""
    now = now or timezone.now()
    days = demo_days() if days is None else max(1, days)
    today = timezone.localdate(now)
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    backdate_rollout(first_day=today - dt.timedelta(days=days - 1), now=now, seed=seed)
    households = build_population(residents, now=now, today=today, seed=seed)
    city = _City(households, _places(), officer=officer, now=now, rng=rng)
    city.plan(days, today, seed)
    city.run()
    city.occupancy()
    summary = city.summary
    summary.days = days
    summary.accounts = len(households)
    summary.people = len(city.everyone)
    return summary.as_dict()
