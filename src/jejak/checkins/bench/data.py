"""Benchmark data: visitors of mixed colours with API tokens, and venues with live codes.

Rows are bulk-inserted rather than made through the services: 10,000 sign-ins through the
one-time-code flow would measure the SMS backend, not check-in. What check-in reads is
the same either way: encrypted NIKs with their blind index, health records, tokens,
signed codes of installed venues.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from django.db import transaction
from django.utils import timezone

from jejak.accounts.models import ApiToken, User
from jejak.accounts.roles import Role
from jejak.core.crypto import encrypt
from jejak.health.models import LabResult, Source, VaccinationDose
from jejak.people.masking import mask_nik
from jejak.people.models import Person, new_public_id
from jejak.people.nik import nik_index
from jejak.qrcodes import service as codes
from jejak.qrcodes.tokens import qr_url
from jejak.regions.models import Region
from jejak.sectors.models import Sector
from jejak.venues.models import EntryPoint, Venue, VenueStatus

# Share of visitors per colour under the 2022 rule set (booster for adults).
MIX = (("hijau", 70), ("kuning", 15), ("merah", 10), ("hitam", 5))
SECTORS = ("pusat-perbelanjaan", "rumah-makan", "hotel", "toko", "kantor-pemerintahan")


def _colour(i: int) -> str:
    slot = i % 100
    for colour, share in MIX:
        if slot < share:
            return colour
        slot -= share
    return "hijau"


def make_visitors(n: int) -> list[str]:
    """Create n visitors with profiles and records; return their raw bearer tokens."""
    now = timezone.now()
    users = User.objects.bulk_create(
        # "!" is Django's unusable password: visitors sign in with one-time codes only.
        [User(username=f"bench-{i}", role=Role.VISITOR, password="!") for i in range(n)]  # noqa: S106
    )
    people, doses, labs, tokens, raws = [], [], [], [], []
    for i, user in enumerate(users):
        # Serials 0001-9999 under one birth date, then the next day: valid, unique NIKs.
        day = 1 + i // 9999
        born = dt.date(1980, 1, day)
        nik = f"367101{day:02d}0180{i % 9999 + 1:04d}"
        public_id = new_public_id()
        index = nik_index(nik)
        people.append(
            Person(
                account=user,
                relation="self",
                public_id=public_id,
                nik_index=index,
                nik_encrypted=encrypt(nik.encode(), aad=b"people.nik:" + public_id.encode()),
                nik_masked=mask_nik(nik),
                full_name=f"Pengunjung {i}",
                birth_date=born,
                sex="M",
                identity_verified_at=now,
                identity_backend="registry_file",
            )
        )
        colour = _colour(i)
        count = {"hijau": 3, "kuning": 2, "hitam": 1}.get(colour, 0)
        doses += [
            VaccinationDose(
                nik_index=index,
                dose_number=d,
                given_on=(now - dt.timedelta(days=400 - 30 * d)).date(),
                product="CoronaVac",
                source=Source.CSV,
            )
            for d in range(1, count + 1)
        ]
        if colour == "hitam":
            labs.append(
                LabResult(
                    nik_index=index,
                    method="pcr",
                    result="positive",
                    specimen_at=now - dt.timedelta(days=1),
                    source=Source.CSV,
                )
            )
        raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
        raws.append(raw)
        tokens.append(
            ApiToken(user=user, name="bench", digest=hashlib.sha256(raw.encode()).hexdigest())
        )
    with transaction.atomic():
        Person.objects.bulk_create(people, batch_size=2000)
        VaccinationDose.objects.bulk_create(doses, batch_size=5000)
        LabResult.objects.bulk_create(labs, batch_size=5000)
        ApiToken.objects.bulk_create(tokens, batch_size=5000)
    return raws


def make_venues(n: int) -> list[str]:
    """Create n installed venues with one entrance each in Kota Tangerang (on PPKM Level 1
    as in the demo); return their QR texts."""
    from jejak.demo.builder import REGIONS_CSV
    from jejak.ppkm.demo import seed_demo_levels
    from jejak.regions.imports import import_regions

    import_regions(REGIONS_CSV)
    seed_demo_levels()
    districts = list(Region.objects.filter(code__startswith="36.71.", level="district"))
    sectors = [Sector.objects.get(slug=slug) for slug in SECTORS]
    venues = Venue.objects.bulk_create(
        [
            Venue(
                short_code=f"BENCH-{i:04d}",
                name=f"Tempat Uji {i}",
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
    texts = []
    for venue in venues:
        for code in codes.issue_codes(venue=venue):
            texts.append(qr_url(code.token))
    return texts


def make_history(*, visits_per_visitor: int = 3, days: int = 14) -> int:
    """Closed check-ins of the past `days` (a database in service has them): the planner's
    statistics then describe tables in use, not empty ones. Returns how many were made.

    Each venue's occupancy row is what those check-ins left: nobody inside, no stay due.
    Without it the first check-in at each venue creates the row and sweeps the venue's
    stays, which happens once in a venue's life but filled the benchmark's first second."""
    from jejak.checkins.models import (
        CheckIn,
        CheckInRequest,
        CheckoutMethod,
        VenueOccupancy,
        new_public_id,
    )
    from jejak.checkins.service import NOTHING_DUE

    now = timezone.now()
    people = list(Person.objects.values_list("id", "account_id"))
    entrances = list(EntryPoint.objects.values_list("id", "venue_id"))
    requests, visits = [], []
    for i, (person_id, account_id) in enumerate(people):
        for k in range(visits_per_visitor):
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
        VenueOccupancy.objects.bulk_create(
            [
                VenueOccupancy(venue_id=venue_id, inside=0, sweep_due_at=NOTHING_DUE)
                for venue_id in sorted({venue_id for _id, venue_id in entrances})
            ]
        )
    return len(visits)
