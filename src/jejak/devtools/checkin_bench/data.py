"""Benchmark data: visitors of mixed colours (a fifth with dependants), venues with poster
and screen codes (one in fifteen small enough to fill up), their staff and the city's
health officers with phone numbers, and sessions for the web app's visitors.

Rows are bulk-inserted rather than made through the services: 30,000 sign-ins through the
one-time-code flow would measure the SMS backend, not check-in. What check-in reads is
the same either way: encrypted NIKs with their blind index, health records, tokens,
signed codes of installed venues, sessions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.crypto import get_random_string

from jejak.accounts import privacy
from jejak.accounts.models import ApiToken, User
from jejak.accounts.roles import Role
from jejak.core.crypto import encrypt
from jejak.health.models import LabResult, Source, VaccinationDose
from jejak.people.masking import mask_nik
from jejak.people.models import Person, Relation, new_public_id
from jejak.people.nik import nik_index
from jejak.ppkm.service import policy_for
from jejak.qrcodes import service as codes
from jejak.qrcodes.tokens import qr_url
from jejak.regions.models import Region
from jejak.rosters.models import RosterEntry
from jejak.sectors.models import Sector
from jejak.venues.models import EntryPoint, Venue, VenueStatus

# Share of people per colour under the 2022 rule set (booster for adults).
MIX = (("hijau", 70), ("kuning", 15), ("merah", 10), ("hitam", 5))
SECTORS = ("pusat-perbelanjaan", "rumah-makan", "hotel", "toko", "kantor-pemerintahan")
# One visitor in five brings dependants: one, or two for every other such visitor.
WITH_DEPENDANTS_EVERY = 5
# One venue in fifteen is small: it fills up in the run's first seconds and then refuses
# most of the guests it is dealt (bench_checkins deals visitors to venues in turn, so each
# venue would hold about visitors/venues of them at a time; a small one admits a tenth).
SMALL_EVERY = 15
SMALL_FILL = 0.1
# One visitor in thirty-three (3 %) checks in as an employee: on the roster of the first
# two venues they are dealt (a hit, then a miss once the deal moves on: both look it up).
EMPLOYEE_EVERY = 33
HEALTH_OFFICERS = 2
BACKEND = "django.contrib.auth.backends.ModelBackend"  # as visitor_login signs in


def _colour(i: int) -> str:
    slot = i % 100
    for colour, share in MIX:
        if slot < share:
            return colour
        slot -= share
    return "hijau"


@dataclass
class Visitor:
    user_id: int
    token: str  # raw bearer token
    nik_index: str  # their own profile's, for the roster
    dependants: list[str] = field(default_factory=list)  # public ids
    visitor_type: str = "guest"

    @property
    def people(self) -> list[str]:
        return ["self", *self.dependants]


@dataclass
class BenchVenue:
    venue_id: int
    poster: str  # the scanned text of the poster's (static) code
    small: bool
    capacity: int  # what the PPKM policy admits
    screen: str = ""  # a screen's (dynamic) code, made by make_screen_codes


class _People:
    """Persons with valid, unique NIKs (serials 0001-9999 under one birth date, then the
    next day) and the health records that give them their colour."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.people: list[Person] = []
        self.doses: list[VaccinationDose] = []
        self.labs: list[LabResult] = []

    def add(self, k: int, *, account: User, relation: str, name: str) -> Person:
        day = 1 + k // 9999
        born = dt.date(1980, 1 + (day - 1) // 28, 1 + (day - 1) % 28)
        nik = f"367101{born.day:02d}{born.month:02d}80{k % 9999 + 1:04d}"
        public_id = new_public_id()
        index = nik_index(nik)
        person = Person(
            account=account,
            relation=relation,
            public_id=public_id,
            nik_index=index,
            nik_encrypted=encrypt(nik.encode(), aad=b"people.nik:" + public_id.encode()),
            nik_masked=mask_nik(nik),
            full_name=name,
            birth_date=born,
            sex="M",  # a woman's NIK adds 40 to the day
            identity_verified_at=self.now,
            identity_backend="registry_file",
        )
        self.people.append(person)
        colour = _colour(k)
        count = {"hijau": 3, "kuning": 2, "hitam": 1}.get(colour, 0)
        self.doses += [
            VaccinationDose(
                nik_index=index,
                dose_number=d,
                given_on=(self.now - dt.timedelta(days=400 - 30 * d)).date(),
                product="CoronaVac",
                source=Source.CSV,
            )
            for d in range(1, count + 1)
        ]
        if colour == "hitam":
            self.labs.append(
                LabResult(
                    nik_index=index,
                    method="pcr",
                    result="positive",
                    specimen_at=self.now - dt.timedelta(days=1),
                    source=Source.CSV,
                )
            )
        return person

    def save(self) -> None:
        Person.objects.bulk_create(self.people, batch_size=2000)
        VaccinationDose.objects.bulk_create(self.doses, batch_size=5000)
        LabResult.objects.bulk_create(self.labs, batch_size=5000)


def make_visitors(n: int, *, prefix: str, first: int = 0) -> list[Visitor]:
    """Create n visitors named `bench-<prefix>-<i>` with profiles, records, dependants and
    bearer tokens. `first` offsets the NIK serials so that several calls never collide."""
    now = timezone.now()
    # Citizens who signed in before: they accepted the current privacy notice, and their
    # language is kept (a first sign-in writes both once, not on every check-in).
    accepted = privacy.current_version()
    users = User.objects.bulk_create(
        [
            # "!" is Django's unusable password: visitors sign in with one-time codes only.
            User(
                username=f"bench-{prefix}-{i}",
                role=Role.VISITOR,
                password="!",  # noqa: S106
                privacy_notice_version=accepted,
                language="id",
            )
            for i in range(n)
        ]
    )
    made = _People(now)
    visitors, tokens = [], []
    k = first * 2  # leaves room for one dependant per visitor on average
    for i, user in enumerate(users):
        own = made.add(k, account=user, relation=Relation.SELF, name=f"Pengunjung {prefix} {i}")
        k += 1
        dependants = []
        if i % WITH_DEPENDANTS_EVERY == 0:
            for d in range(1 + (i // WITH_DEPENDANTS_EVERY) % 2):
                relation = Relation.SPOUSE if d == 0 else Relation.PARENT
                dependants.append(
                    made.add(k, account=user, relation=relation, name=f"Keluarga {i}-{d}").public_id
                )
                k += 1
        raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
        tokens.append(
            ApiToken(user=user, name="bench", digest=hashlib.sha256(raw.encode()).hexdigest())
        )
        kind = "employee" if i % EMPLOYEE_EVERY == EMPLOYEE_EVERY - 1 else "guest"
        visitors.append(
            Visitor(user.pk, raw, own.nik_index, dependants=dependants, visitor_type=kind)
        )
    with transaction.atomic():
        made.save()
        ApiToken.objects.bulk_create(tokens, batch_size=5000)
    return visitors


def make_rosters(visitors: list[Visitor], venues: list[BenchVenue]) -> int:
    """Put each employee on the rosters of the first two venues bench_checkins deals them
    (visitor v scans venue v, then v + 1, ... in turn), by their verified NIK."""
    today = timezone.localdate()
    entries = [
        RosterEntry(
            venue_id=venues[(v + step) % len(venues)].venue_id,
            nik_index=visitor.nik_index,
            nik_masked="3671**********01",
            role="Karyawan",
            valid_from=today - dt.timedelta(days=30),
        )
        for v, visitor in enumerate(visitors)
        if visitor.visitor_type == "employee"
        for step in (0, 1)
    ]
    RosterEntry.objects.bulk_create(entries, batch_size=5000)
    return len(entries)


def make_city() -> None:
    """Kota Tangerang's regions and PPKM levels, as in the demo (Level 1)."""
    from jejak.demo.builder import REGIONS_CSV
    from jejak.ppkm.demo import seed_demo_levels
    from jejak.regions.imports import import_regions

    import_regions(REGIONS_CSV)
    seed_demo_levels()


def small_capacity(*, visitors: int, venues: int, people_per_visitor: float) -> int:
    """The admitted places of a small venue: SMALL_FILL of the people it holds at a time
    when every venue takes its share of the visitors."""
    return max(1, math.floor(visitors / venues * people_per_visitor * SMALL_FILL))


def make_venues(
    n: int, *, prefix: str, small_places: int, first_phone: int = 0
) -> list[BenchVenue]:
    """Create n installed venues `BENCH-<prefix>-<i>` with one entrance, a poster code and
    a staff member with a phone number each (numbers from `first_phone` on); every
    SMALL_EVERY-th admits `small_places` people under its PPKM policy, the others 5,000."""
    districts = list(Region.objects.filter(code__startswith="36.71.", level="district"))
    sectors = [Sector.objects.get(slug=slug) for slug in SECTORS]
    venues = Venue.objects.bulk_create(
        [
            Venue(
                short_code=f"BENCH-{prefix}-{i:04d}",
                name=f"Tempat Uji {prefix} {i}",
                sector=sectors[i % len(sectors)],
                region=districts[i % len(districts)],
                capacity=5000,
                default_stay_minutes=60,
                status=VenueStatus.INSTALLED,
            )
            for i in range(n)
        ]
    )
    EntryPoint.objects.bulk_create([EntryPoint(venue=v, name="Pintu Utama") for v in venues])
    now = timezone.now()
    out = []
    for i, venue in enumerate(venues):
        small = i % SMALL_EVERY == SMALL_EVERY - 1
        policy = policy_for(venue=venue, at=now)
        if small:
            # The smallest capacity whose PPKM share admits `small_places`.
            venue.capacity = small_places
            while policy.capacity_for(venue.capacity) < small_places:
                venue.capacity += 1
            Venue.objects.filter(pk=venue.pk).update(capacity=venue.capacity)
        (code,) = codes.issue_codes(venue=venue)
        out.append(
            BenchVenue(
                venue_id=venue.pk,
                poster=qr_url(code.token),
                small=small,
                capacity=policy.capacity_for(venue.capacity),
            )
        )
    staff = User.objects.bulk_create(
        [
            User(
                username=f"bench-staff-{prefix}-{i}",
                role=Role.VENUE_STAFF,
                password="!",  # noqa: S106
                phone=f"0812{5_000_000 + first_phone + i:07d}",
            )
            for i in range(n)
        ]
    )
    User.venues.through.objects.bulk_create(
        [
            User.venues.through(user_id=u.pk, venue_id=v.pk)
            for u, v in zip(staff, venues, strict=True)
        ]
    )
    return out


def make_health_officers() -> int:
    """Health officers of Kota Tangerang (the visitors' home regency), with phone numbers:
    each black-status alert goes to them and to the venue's staff."""
    city = Region.objects.get(code="36.71")
    User.objects.bulk_create(
        [
            User(
                username=f"bench-officer-{i}",
                role=Role.HEALTH_OFFICER,
                region=city,
                password="!",  # noqa: S106
                phone=f"0813{7_000_000 + i:07d}",
            )
            for i in range(HEALTH_OFFICERS)
        ]
    )
    return HEALTH_OFFICERS


def make_screen_codes(venues: Iterable[BenchVenue], *, valid_for: int) -> None:
    """Give each venue the code its entrance screen shows (`qrcodes.dynamic_token`), valid
    for `valid_for` seconds: as long as the run, instead of the screen's few minutes. Each
    scan of it is verified as a screen's code is (signature every time, expiry)."""
    with override_settings(JEJAK_DYNAMIC_QR_SECONDS=valid_for):
        for venue in venues:
            entry = EntryPoint.objects.select_related("venue").get(venue_id=venue.venue_id)
            token, _expires = codes.dynamic_token(entry_point=entry)
            venue.screen = qr_url(token)


@dataclass(frozen=True)
class BrowserSession:
    """What a signed-in browser sends with POST /api/v1/checkins: its cookies and the
    X-CSRFToken header (visits/static/visits/visits.js)."""

    session_key: str
    csrf_cookie: str
    csrf_token: str

    @property
    def cookie_header(self) -> str:
        return (
            f"{settings.SESSION_COOKIE_NAME}={self.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={self.csrf_cookie}"
        )


def csrf_pair() -> tuple[str, str]:
    """A CSRF cookie and a token for it, made as Django makes them for a page (the token is
    the cookie's secret, masked)."""
    request = HttpRequest()
    token = get_token(request)
    return request.META["CSRF_COOKIE"], token


def make_sessions(users: list[int]) -> list[BrowserSession]:
    """A signed-in session (what `login` leaves in Django's session store) and a CSRF pair
    for each user id, in order. The rows are inserted together: one at a time,
    `SessionStore.create` took 2 ms each."""
    accounts = User.objects.in_bulk(users)
    store = SessionStore()
    expires = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows, out = [], []
    for user_id in users:
        user = accounts[user_id]
        key = get_random_string(32, VALID_KEY_CHARS)  # as SessionStore makes its keys
        data = {
            SESSION_KEY: user._meta.pk.value_to_string(user),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        cookie, token = csrf_pair()
        out.append(BrowserSession(key, cookie, token))
    Session.objects.bulk_create(rows, batch_size=5000)
    return out


def make_history(*, visits_per_person: int = 1, days: int = 14) -> int:
    """Closed check-ins of the past `days` (a database in service has them): the planner's
    statistics then describe tables in use, not empty ones. Returns how many were made.

    Each venue's occupancy row is what those check-ins left: nobody inside, no stay due.
    Without it the first check-in at each venue creates the row and sweeps the venue's
    stays, which happens once in a venue's life but filled the benchmark's first second."""
    from jejak.checkins.models import CheckIn, CheckInRequest, CheckoutMethod, new_public_id

    now = timezone.now()
    people = list(Person.objects.values_list("id", "account_id"))
    entrances = list(EntryPoint.objects.values_list("id", "venue_id"))
    requests, visits = [], []
    for i, (person_id, account_id) in enumerate(people):
        for k in range(visits_per_person):
            at = now - dt.timedelta(days=1 + (i * 7 + k * 3) % days, minutes=(i * 13) % 600)
            entry_point_id, venue_id = entrances[(i + k * 97) % len(entrances)]
            requests.append(
                CheckInRequest(account_id=account_id, nonce=uuid.uuid4(), received_at=at, result={})
            )
            visits.append(
                CheckIn(
                    person_id=person_id,
                    account_id=account_id,
                    venue_id=venue_id,
                    entry_point_id=entry_point_id,
                    visitor_type="guest",
                    decision="allowed",
                    colour="hijau",
                    rule_set="2022-07-17",
                    policy={"level": 1, "rule_id": None, "rule_version": 0},
                    scanned_at=at,
                    received_at=at,
                    checked_in_at=at,
                    planned_checkout_at=at + dt.timedelta(hours=1),
                    checked_out_at=at + dt.timedelta(minutes=45),
                    checkout_method=CheckoutMethod.EXPLICIT,
                    public_id=new_public_id(),
                )
            )
    with transaction.atomic():
        CheckInRequest.objects.bulk_create(requests, batch_size=5000)
        for request, visit in zip(requests, visits, strict=True):
            visit.request = request
        CheckIn.objects.bulk_create(visits, batch_size=5000)
        make_occupancy(sorted({venue_id for _id, venue_id in entrances}))
    return len(visits)


def make_occupancy(venue_ids: list[int]) -> None:
    """The venues' occupancy rows as a past with no open stay leaves them: nobody inside,
    no stay due (make_history's, and those of venues made after it)."""
    from jejak.checkins.models import VenueOccupancy
    from jejak.checkins.occupancy import NOTHING_DUE

    VenueOccupancy.objects.bulk_create(
        [VenueOccupancy(venue_id=v, inside=0, sweep_due_at=NOTHING_DUE) for v in venue_ids]
    )
