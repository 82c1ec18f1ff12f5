"""The city of `jejak bench-warn` (issue 20) and the FHIR bundle of its positive results.

The data is bench-trace's (trace_bench/data.py: people of uneven activity, venues of a
capped power law, stays, employees, refusals), loaded by its `load_world`, with another
shape: ten million check-ins among a million people give a case hundreds of contacts
(a person visits ten times in 21 days, an employee of a busy mall meets thousands),
which is not what tracing serves. Here five million people visit twice in 21 days on
average, popularity is flatter and fewer people work at a venue, so a visitor of the
last four days meets a few dozen people (`FULL`, measured by `shape`).

People carry real identities: each NIK is well formed and distinct, its index is
people.nik.nik_index(nik) and its ciphertext decrypts with the person's own key (the
health import and the case look people up by that index). The bundle is written entry
by entry, never held whole: a Patient with the NIK identifier and a positive PCR
Observation for each of the chosen people, as health/fhir.py reads them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import random
import statistics
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection

from jejak.checkins.models import CheckIn
from jejak.core.crypto import encrypt
from jejak.devtools.trace_bench import data as trace_data
from jejak.devtools.trace_bench.load import Stopwatch, analyze, bulk_session
from jejak.devtools.trace_bench.world import load_world
from jejak.health import codes
from jejak.people.models import Person
from jejak.people.nik import nik_index
from jejak.people.service import decrypt_nik
from jejak.tracing.overlap import shared_visits

# The cases' infectious windows start two days before the specimen, taken in the last
# three days: a visitor of the last four days is a case's shape.
WINDOW = dt.timedelta(days=4)
SPECIMEN_WITHIN = dt.timedelta(days=3)
LAB = "Labkesda Kota Tangerang"


@dataclass(frozen=True)
class Shape:
    """What the builder loads; see the module's doc for why these numbers."""

    people: int
    venues: int
    checkins: int
    days: int
    top: int  # the busiest venue's weight (trace_bench.data.venue_weights)
    exponent: float  # of the popularity's power law
    employee_share: float  # of people, on shifts at one venue

    @property
    def per_day(self) -> float:
        return self.checkins / self.days


FULL = Shape(
    people=5_000_000,
    venues=5_000,
    checkins=10_000_000,
    days=21,
    top=500,
    exponent=0.5,
    employee_share=0.005,
)
# The same traffic per venue and visits per person at a 500th of the size, for tests and
# SQLite.
SMALL = dataclasses.replace(FULL, people=10_000, venues=10, checkins=20_000)


@dataclass(frozen=True)
class Positive:
    """One of the people the bundle reports positive."""

    person_id: int
    nik: str
    name: str
    birth_date: dt.date
    sex: str  # "F" or "M"


@dataclass(frozen=True)
class Measured:
    """What `shape` found."""

    visitors: int  # people with an admitted visit in the last WINDOW
    sampled: int
    contacts_median: float
    contacts_p99: float


def identity(fmt: trace_data.Format) -> trace_data.Identity:
    """A person's real NIK index and ciphertext, in the database's text format. The
    associated data is people.service's (`_aad`: the person's public_id), which
    decrypt_nik checks."""

    def seal(nik: str, public_id: str) -> tuple[str, str | bytes]:
        blob = encrypt(nik.encode("ascii"), aad=b"people.nik:" + public_id.encode("ascii"))
        sealed: str | bytes = blob if fmt is trace_data.SQLITE else "\\\\x" + blob.hex()
        return nik_index(nik), sealed

    return seal


def build(shape: Shape, *, now: dt.datetime, say: Callable[[str], None]) -> trace_data.World:
    """Load venues, people and check-ins of `shape` over the days before `now` into the
    current (empty) database, then ANALYZE."""
    if CheckIn.objects.exists() or Person.objects.exists():
        raise ValueError("bench-warn builds its city in an empty database")
    clock = Stopwatch()
    fmt = trace_data.POSTGRES if connection.vendor == "postgresql" else trace_data.SQLITE
    with bulk_session():
        world = load_world(
            people=shape.people,
            venues=shape.venues,
            checkins=shape.checkins,
            days=shape.days,
            day0=trace_data.first_day(now, shape.days),
            clock=clock,
            say=say,
            top=shape.top,
            exponent=shape.exponent,
            employee_share=shape.employee_share,
            identity=identity(fmt),
        )
        analyze()
    say(f"{connection.vendor} load analyze s={clock.lap():.1f}")
    return world


# The people with an admitted visit since %s: all, counted, or some at random (random()
# is PostgreSQL's and SQLite's).
VISITORS = "SELECT person_id FROM checkins_checkin WHERE checked_in_at >= %s GROUP BY person_id"
COUNT_VISITORS = f"SELECT COUNT(*) FROM ({VISITORS}) v"  # noqa: S608  # nosec B608 (constants)
RANDOM_VISITORS = f"{VISITORS} ORDER BY random() LIMIT %s"
# ... who are no case yet (a run before, --reuse, made some).
RANDOM_UNTRACED = (
    "SELECT person_id FROM checkins_checkin WHERE checked_in_at >= %s "
    "AND person_id NOT IN (SELECT person_id FROM tracing_case) "
    "GROUP BY person_id ORDER BY random() LIMIT %s"
)


def random_visitors(count: int, *, now: dt.datetime, untraced: bool = False) -> list[int]:
    """`count` distinct people (ids) with an admitted visit in the last WINDOW (and no
    case, if `untraced`)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setseed(0.2021)")
        cursor.execute(RANDOM_UNTRACED if untraced else RANDOM_VISITORS, [now - WINDOW, count])
        return [row[0] for row in cursor.fetchall()]


def shape(*, now: dt.datetime, samples: int = 200) -> Measured:
    """How many people a random visitor of the last WINDOW overlapped by a second or
    more at the same venue (tracing's own overlap query, its presence tail included)."""
    with connection.cursor() as cursor:
        cursor.execute(COUNT_VISITORS, [now - WINDOW])
        (visitors,) = cursor.fetchone()
    counts = []
    for person_id in random_visitors(samples, now=now):
        found = shared_visits(
            person_id=person_id, window_start=now - WINDOW, window_end=now, now=now
        )
        counts.append(len({s.contact_person_id for s in found if s.seconds >= 1}))
    counts.sort()
    if not counts:
        return Measured(visitors, 0, 0.0, 0.0)
    p99 = counts[max(0, math.ceil(0.99 * len(counts)) - 1)]
    return Measured(visitors, len(counts), statistics.median(counts), float(p99))


def describe(shape_: Shape, world: trace_data.World, measured: Measured) -> list[str]:
    """The shape as the benchmark prints it."""
    employees = int(shape_.people * shape_.employee_share)
    return [
        f"shape people={shape_.people} visits_per_person={shape_.checkins / shape_.people:.2f} "
        f"venues={len(world.venues)} checkins={shape_.checkins} days={shape_.days} "
        f"checkins_per_day={shape_.per_day:.0f} employees={employees} "
        f"venue_weight_top={shape_.top} exponent={shape_.exponent}",
        f"shape visitors_last_{WINDOW.days}_days={measured.visitors} "
        f"sampled={measured.sampled} contacts_median={measured.contacts_median:.0f} "
        f"contacts_p99={measured.contacts_p99:.0f}",
    ]


def pick_positives(count: int, *, now: dt.datetime) -> list[Positive]:
    """`count` random visitors of the last WINDOW who are no case yet, with their NIK in
    clear."""
    ids = random_visitors(count, now=now, untraced=True)
    people = Person.objects.filter(pk__in=ids).only(
        "public_id", "nik_encrypted", "full_name", "birth_date", "sex"
    )
    return sorted(
        (
            Positive(p.pk, decrypt_nik(p), p.full_name, p.birth_date, p.sex)
            for p in people.iterator(chunk_size=2000)
        ),
        key=lambda p: p.person_id,
    )


def write_bundle(
    path: Path, positives: Iterable[Positive], *, now: dt.datetime, seed: int = 20
) -> int:
    """Write a FHIR R4 collection Bundle to `path`, two entries a person (Patient, then a
    positive PCR Observation taken in the last SPECIMEN_WITHIN), one line per entry;
    return the number of entries."""
    rng = random.Random(seed)  # noqa: S311 (fake data)
    entries = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            json.dumps(
                {
                    "resourceType": "Bundle",
                    "id": f"bench-warn-{now:%Y%m%d%H%M}",
                    "type": "collection",
                    "timestamp": now.isoformat(),
                }
            )[:-1]
            + ', "entry": [\n'
        )
        for i, person in enumerate(positives):
            taken = now - dt.timedelta(
                seconds=rng.randint(1800, int(SPECIMEN_WITHIN.total_seconds()))
            )
            for item in _entries(i, person, taken.replace(microsecond=0), rng):
                out.write((",\n" if entries else "") + json.dumps(item, ensure_ascii=False))
                entries += 1
        out.write("\n]}\n")
    return entries


def _entries(
    i: int, person: Positive, taken: dt.datetime, rng: random.Random
) -> list[dict[str, Any]]:
    patient_url = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    patient = {
        "fullUrl": patient_url,
        "resource": {
            "resourceType": "Patient",
            "identifier": [{"use": "official", "system": codes.NIK_SYSTEM, "value": person.nik}],
            "name": [{"text": person.name}],
            "gender": "female" if person.sex == "F" else "male",
            "birthDate": person.birth_date.isoformat(),
        },
    }
    observation = {
        "fullUrl": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "resource": {
            "resourceType": "Observation",
            "id": f"PCR{i + 1:06d}",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "laboratory",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [
                    {
                        "system": codes.LOINC_SYSTEM,
                        "code": "94500-6",
                        "display": "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory "
                        "system specimen by NAA with probe detection",
                    }
                ]
            },
            "subject": {"reference": patient_url},
            "effectiveDateTime": taken.isoformat(),
            "performer": [{"display": LAB}],
            "valueCodeableConcept": {
                "coding": [
                    {"system": codes.SNOMED_SYSTEM, "code": "260373001", "display": "Detected"}
                ]
            },
        },
    }
    return [patient, observation]
