"""Fake but plausible tracing data, generated fast enough for ten million check-ins.

Rows are plain tuples of strings in the database's own text format (timestamps, JSON,
booleans), streamed to PostgreSQL's COPY or to SQLite's executemany; nothing goes
through the ORM or the encryption (NIK fields hold cheap deterministic placeholders:
tracing never reads them).

The shape: people of varying activity (a tenth do most of the visiting), venues of very
uneven popularity (a power law: a few malls see tens of thousands of visits a day, most
shops a few dozen), visits mostly by day with peaks at lunch and in the evening, stays
of half an hour to several hours, a third of visitors who never check out (closed at
the planned time), employees on 8-9 hour shifts, and 3 % refusals. A person's visits
never overlap: each day is cut into blocks and a person makes at most one visit a block.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")
# One row in the database's text format: strings, but SQLite's NULL is None and its bytes
# are bytes (see Format), so the values' type depends on the database.
Row = tuple[Any, ...]
# (NIK, the person's public_id) -> (nik_index, nik_encrypted in the database's format).
Identity = Callable[[str, str], tuple[str, str | bytes]]
HEX_TO_BASE32 = str.maketrans("0123456789abcdef", "abcdefghijkmnpqr")

FIRST_NAMES = [
    "Budi",
    "Siti",
    "Agus",
    "Dewi",
    "Rudi",
    "Sri",
    "Andi",
    "Rina",
    "Joko",
    "Nur",
    "Eko",
    "Wati",
    "Hendra",
    "Yuni",
    "Bambang",
    "Ratna",
    "Dedi",
    "Lestari",
    "Fajar",
    "Indah",
    "Rizky",
    "Putri",
    "Wahyu",
    "Ayu",
    "Arif",
    "Fitri",
    "Dian",
    "Hadi",
    "Maya",
    "Teguh",
]
LAST_NAMES = [
    "Santoso",
    "Rahayu",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Kurniawan",
    "Setiawan",
    "Pratama",
    "Lestari",
    "Susanto",
    "Nugroho",
    "Wibowo",
    "Siregar",
    "Hasibuan",
    "Nasution",
    "Simanjuntak",
    "Sihombing",
    "Harahap",
    "Purba",
    "Tanjung",
]

# Local hours of the day's blocks: [start, end). A person visits at most once a block,
# so their stays cannot overlap; the night block runs past midnight.
BLOCKS = ((6, 10), (10, 14), (14, 18), (18, 22), (22, 30))
BLOCK_SHARE = (0.14, 0.30, 0.20, 0.30, 0.06)
# Default stay (automatic check-out) by sector, in minutes.
STAY_BY_SECTOR = {
    "pusat-perbelanjaan": 180,
    "rumah-makan": 90,
    "toko": 60,
    "hotel": 720,
    "apartemen": 720,
    "kantor-pemerintahan": 480,
    "sekolah": 480,
    "sarana-olahraga": 120,
    "tempat-wisata": 240,
    "rumah-sakit": 180,
    "puskesmas": 120,
    "terminal": 60,
}
SECTOR_SHARE = {
    "toko": 30,
    "rumah-makan": 25,
    "kantor-pemerintahan": 8,
    "pusat-perbelanjaan": 5,
    "sarana-olahraga": 5,
    "tempat-wisata": 4,
    "hotel": 5,
    "apartemen": 4,
    "sekolah": 6,
    "rumah-sakit": 3,
    "puskesmas": 3,
    "terminal": 2,
}
EMPLOYEE_SHARE = 0.05
EMPLOYEE_WORKDAY = 0.8
REFUSED_SHARE = 0.03
CHECKED_OUT_SHARE = 0.65


@dataclass(frozen=True)
class Format:
    """How one database spells NULL, timestamps, booleans and bytes in our text rows."""

    null: str | None
    tz: str  # appended to "YYYY-MM-DD HH:MM:SS"
    true: str
    false: str
    placeholder_bytes: str | bytes


POSTGRES = Format(null="\\N", tz="+00", true="t", false="f", placeholder_bytes="\\\\x6a656a616b")
SQLITE = Format(null=None, tz="", true="1", false="0", placeholder_bytes=b"jejak")


@dataclass
class VenueInfo:
    id: int
    entrances: list[int]
    stay_minutes: int
    weight: int


@dataclass
class World:
    """What the check-in generator needs to know about the rows loaded before it."""

    people: int
    first_person_id: int
    first_request_id: int
    first_account_id: int
    account_of: list[int]  # person index -> account index
    venues: list[VenueInfo]
    day0: dt.datetime  # local midnight of the first day, as an aware UTC datetime
    days: int
    rng: random.Random = field(default_factory=lambda: random.Random(6))  # noqa: S311
    employee_share: float = EMPLOYEE_SHARE  # of people, on shifts at one venue each


def first_day(now: dt.datetime, days: int) -> dt.datetime:
    """Local midnight `days` days before today's: the data ends where today begins."""
    today = now.astimezone(JAKARTA).date()
    start = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(), JAKARTA)
    return start.astimezone(dt.UTC)


def family_sizes(people: int, rng: random.Random) -> list[int]:
    """Account sizes (the holder and dependants) adding up to `people`."""
    sizes: list[int] = []
    left = people
    while left > 0:
        size = min(left, rng.choices((1, 2, 3, 4), weights=(50, 20, 18, 12))[0])
        sizes.append(size)
        left -= size
    return sizes


def user_rows(
    fmt: Format, accounts: int, first_id: int, joined: str, accepted: str = ""
) -> Iterator[Row]:
    """accounts_user: id, password, is_superuser, username, first_name, last_name, email,
    is_staff, is_active, date_joined, role, phone, phone_index, phone_masked, position,
    and as for citizens who signed in: the privacy notice version `accepted` and the
    language kept for their messages."""
    f = fmt.false
    for i in range(accounts):
        yield (
            str(first_id + i),
            "!",
            f,
            f"warga{i}",
            "",
            "",
            "",
            f,
            fmt.true,
            joined,
            "visitor",
            "",
            f"p{i:063x}",
            f"0812****{i % 10_000:04d}",
            "",
            accepted,
            "id",
        )


USER_COLUMNS = [
    "id",
    "password",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "role",
    "phone",
    "phone_index",
    "phone_masked",
    "position",
    "privacy_notice_version",
    "language",
]


def person_rows(
    fmt: Format,
    sizes: list[int],
    first_id: int,
    first_account_id: int,
    created: str,
    identity: Identity | None = None,
) -> Iterator[Row]:
    """people_person rows; each NIK is well formed and distinct (its serial counts the
    people of its district and birth date). Without `identity` the NIK's index and
    ciphertext are placeholders (tracing never reads them); with it, what it gives."""
    rng = random.Random(7)  # noqa: S311 (fake data)
    relations = ("self", "spouse", "child", "child")
    districts = ("367101", "367102", "367103", "367104", "367105", "367401", "317101")
    serials: Counter[str] = Counter()
    n = 0
    for account, size in enumerate(sizes):
        for k in range(size):
            sex = "F" if rng.random() < 0.5 else "M"
            year = rng.randint(1950, 2004) if k < 2 else rng.randint(2008, 2020)
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            born = (
                f"{rng.choice(districts)}{day + (40 if sex == 'F' else 0):02d}"
                f"{month:02d}{year % 100:02d}"
            )
            serials[born] += 1
            nik = f"{born}{serials[born]:04d}"
            public_id = f"{n:012x}".translate(HEX_TO_BASE32)
            if identity is None:
                index, sealed = f"{n:064x}", fmt.placeholder_bytes
            else:
                index, sealed = identity(nik, public_id)
            yield (
                str(first_id + n),
                public_id,
                str(first_account_id + account),
                relations[k],
                index,
                sealed,
                nik[:4] + "********" + nik[-4:],
                f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                f"{year:04d}-{month:02d}-{day:02d}",
                sex,
                created,
                created,
                created,  # verified by the registry when the profile was made
                "registry_file",
                "",
            )
            n += 1


PERSON_COLUMNS = [
    "id",
    "public_id",
    "account_id",
    "relation",
    "nik_index",
    "nik_encrypted",
    "nik_masked",
    "full_name",
    "birth_date",
    "sex",
    "created_at",
    "nik_claimed_at",
    "identity_verified_at",
    "identity_backend",
    "family_card_index",
]


def request_rows(accounts: int, first_id: int, first_account_id: int, at: str) -> Iterator[Row]:
    """One placeholder request per account: check-ins must name one, tracing reads none."""
    for i in range(accounts):
        yield (
            str(first_id + i),
            str(first_account_id + i),
            f"00000000-0000-4000-8000-{i:012x}",
            at,
            "{}",
        )


REQUEST_COLUMNS = ["id", "account_id", "nonce", "received_at", "result"]

CHECKIN_COLUMNS = [
    "public_id",
    "request_id",
    "person_id",
    "account_id",
    "venue_id",
    "entry_point_id",
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
]


def venue_weights(
    count: int, sectors: list[str], rng: random.Random, *, top: int = 2000, exponent: float = 0.7
) -> list[int]:
    """Popularity by a power law of a random rank (shopping centres draw twice as many),
    capped: at 5,000 venues the busiest take about 2 % of all visits (some 10,000 a day
    at 10 million check-ins in 21 days), the median one about 30 a day. A smaller `top`
    or `exponent` spreads the visits more evenly."""
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    return [
        max(1, min(top, round(top / rank**exponent * (2 if sector == "pusat-perbelanjaan" else 1))))
        for rank, sector in zip(ranks, sectors, strict=True)
    ]


def checkin_rows(fmt: Format, world: World, total: int) -> Iterator[Row]:
    """`total` check-ins over `world.days` days, in time order block by block."""
    rng = world.rng
    rand = rng.random
    minutes = (world.days + 2) * 1440
    stamp = [
        (world.day0 + dt.timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:") for m in range(minutes)
    ]
    second = [f"{s:02d}{fmt.tz}" for s in range(60)]

    def ts(t: int) -> str:
        return stamp[t // 60] + second[t % 60]

    null = fmt.null
    # Draws by index into "ticket" lists (an item repeated by its weight): far cheaper
    # than random.choices for ten million draws.
    person_tickets: list[int] = []
    for p in range(world.people):
        r = rand()
        person_tickets += [p] * (1 if r < 0.4 else 2 if r < 0.7 else 4 if r < 0.9 else 8)
    venue_tickets: list[int] = []
    for v, info in enumerate(world.venues):
        venue_tickets += [v] * info.weight
    n_people_tickets, n_venue_tickets = len(person_tickets), len(venue_tickets)
    stays = [min(6 * 3600, max(600, int(3000 * math.exp(rng.gauss(0, 0.75))))) for _ in range(4096)]

    employees = rng.sample(range(world.people), int(world.people * world.employee_share))
    employer = {p: venue_tickets[int(rand() * n_venue_tickets)] for p in employees}
    evening_shift = {p for p in employees if rand() < 0.2}
    expected_shifts = len(employees) * EMPLOYEE_WORKDAY * world.days
    guests_per_day = max(0.0, (total - expected_shifts) / world.days)

    made = 0
    serial = 0
    request0, person0 = world.first_request_id, world.first_person_id
    account0 = world.first_account_id
    account_of = world.account_of
    allowed = ("allowed", "[]", "hijau")
    refused = ("denied", '["status_red"]', "merah")
    policy = '{"level": 2, "rule_id": 1, "rule_version": 1}'

    def row(p: int, v: int, start: int, end: int | None, planned: int, kind: str) -> Row:
        nonlocal serial
        serial += 1
        info = world.venues[v]
        entrance = info.entrances[serial % len(info.entrances)]
        is_refused = kind == "guest" and rand() < REFUSED_SHARE
        decision, reasons, colour = refused if is_refused else allowed
        scanned = ts(start)
        checked_in = null if is_refused else scanned
        account = account_of[p]
        if is_refused:
            planned_at = out = null
            method = ""
        elif end is None:
            planned_at = out = ts(planned)
            method = "automatic"
        else:
            planned_at, out, method = ts(planned), ts(end), "explicit"
        return (
            f"{serial:016x}".translate(HEX_TO_BASE32),
            str(request0 + account),
            str(person0 + p),
            str(account0 + account),
            str(info.id),
            str(entrance),
            kind,
            decision,
            reasons,
            colour,
            "[]",
            "2022-02",
            policy,
            scanned,
            scanned,
            checked_in,
            planned_at,
            out,
            method,
        )

    for day in range(world.days):
        busy: set[int] = set()
        shifts: dict[int, list[Row]] = {0: [], 2: []}
        for p in employees:
            if rand() >= EMPLOYEE_WORKDAY or made + len(shifts[0]) + len(shifts[2]) >= total:
                continue
            v = employer[p]
            if p in evening_shift:
                block, start_h, hours = 2, 14.0, 8
            else:
                block, start_h, hours = 0, 7.5, 9
            shift_start = int((day * 24 + start_h) * 3600) + int(rand() * 3600)
            # A shift spans three blocks (the evening one may run past 22:00).
            busy.update(p * 8 + b for b in range(block, block + 3))
            shift_end = shift_start + hours * 3600 + int(rand() * 1800)
            kept = shift_end if rand() < 0.8 else None
            shifts[block].append(row(p, v, shift_start, kept, shift_start + 10 * 3600, "employee"))
        for block, (first_h, last_h) in enumerate(BLOCKS):
            for shift in shifts.get(block, ()):
                made += 1
                yield shift
            want = int(guests_per_day * BLOCK_SHARE[block])
            if day == world.days - 1 and block == len(BLOCKS) - 1:
                want = total - made  # the last block tops up to the exact total
            block_start = (day * 24 + first_h) * 3600
            block_end = (day * 24 + last_h) * 3600
            span = (last_h - first_h) * 3600 - 1800
            done = misses = 0
            while done < want and made < total and misses < 100 * (want + 10):
                p = person_tickets[int(rand() * n_people_tickets)]
                key = p * 8 + block
                if key in busy:
                    misses += 1
                    continue
                busy.add(key)
                v = venue_tickets[int(rand() * n_venue_tickets)]
                start = block_start + int(rand() * span)
                planned = start + world.venues[v].stay_minutes * 60
                out: int | None = None
                if rand() < CHECKED_OUT_SHARE:
                    out = min(start + stays[int(rand() * 4096)], block_end, planned)
                done += 1
                made += 1
                yield row(p, v, start, out, planned, "guest")
