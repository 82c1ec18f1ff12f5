"""Build (or rebuild) the Kota Tangerang demo through the same services officers use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, pre_delete

from jejak.accounts.models import ApiToken, User
from jejak.audit.models import AuditEvent
from jejak.checkins.models import BlackStatusAlert, CheckIn, CheckInRequest
from jejak.health.models import (
    Designation,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)
from jejak.identity.models import Resident
from jejak.identity.synthetic import ResidentRow
from jejak.notifications.models import Message
from jejak.people.models import NikClaimAttempt, Person
from jejak.ppkm.demo import reset_demo_levels, seed_demo_levels
from jejak.qrcodes.models import QrCode, SigningKey
from jejak.regions.imports import import_regions
from jejak.regions.models import Region
from jejak.sectors.models import Agency, Sector
from jejak.tracing.models import Case, CaseVisit
from jejak.venues.models import EntryPoint, Venue, VenueTransition
from jejak.venues.workflow import Action, do_transition
from jejak.zones.demo import load_demo_zones

from . import catalogue as cat
from .activity import build_activity
from .places import placed
from .visitors import build_citizens, load_registry

REGIONS_CSV = Path(__file__).parent / "data" / "regions.csv"
CITY = "36.71"
# Made-up residents besides the demo citizens: enough to look like a registry; each costs
# the demo build about half a millisecond (parse_nik's region query, most of it).
REGISTRY_RESIDENTS = 2000
REGISTRY_SEED = 2021
# The path a venue takes through the workflow to reach each demo status.
PATHS: dict[str, list[str]] = {
    "registered": [],
    "requested": [Action.SUBMIT],
    "under_review": [Action.SUBMIT, Action.START_REVIEW],
    "approved": [Action.SUBMIT, Action.START_REVIEW, Action.APPROVE],
    "rejected": [Action.SUBMIT, Action.START_REVIEW, Action.REJECT],
    "issued": [Action.SUBMIT, Action.START_REVIEW, Action.APPROVE, Action.ISSUE],
    "installed": [Action.SUBMIT, Action.START_REVIEW, Action.APPROVE, Action.ISSUE, Action.INSTALL],
}


def demo_password() -> str:
    return os.environ.get("JEJAK_DEMO_PASSWORD", "jejak-demo-2021")


def is_empty() -> bool:
    return not Venue.objects.exists()


def reset() -> None:
    """Remove everything the demo creates (and any other venue data); keep reference data."""

    with transaction.atomic():
        # The two weeks of check-ins first, children before parents. Deleting rows through
        # the ORM makes Django's collector fetch every one and delete them a hundred primary
        # keys at a time, and on PostgreSQL each of those statements searches every daily
        # partition of the check-ins: most of the 10 s a reset of the demo's 38,000 took.
        # Once the rows that cascade from check-ins are gone, nothing is left to collect,
        # and one DELETE of the table removes the same rows. Every check-in hangs off a
        # venue, all of which go below, so all of them went before too; their requests hang
        # off accounts, and only superusers' accounts stay.
        CaseVisit.objects.all().delete()  # leaves: one statement each
        BlackStatusAlert.objects.all().delete()
        _delete_all_rows(CheckIn)
        if CheckInRequest.objects.filter(account__is_superuser=True).exists():
            CheckInRequest.objects.filter(account__is_superuser=False).delete()
        else:
            _delete_all_rows(CheckInRequest)
        # Cases protect their person (a case is never lost by deleting a profile) and
        # positive results in the demo open them: they go first.
        Case.objects.all().delete()
        Message.objects.all().delete()
        for model in (
            VaccinationDose,
            LabResult,
            Designation,
            TravelQuarantine,
            VaccinationExemption,
        ):
            model.objects.all().delete()
        Person.objects.all().delete()
        NikClaimAttempt.objects.all().delete()
        QrCode.objects.all().delete()
        VenueTransition.objects.all().delete()
        EntryPoint.objects.all().delete()
        ApiToken.objects.all().delete()
        User.objects.filter(is_superuser=False).delete()
        Venue.objects.all().delete()
        Agency.objects.all().delete()
        SigningKey.objects.all().delete()
        reset_demo_levels()
        # The demo's registry is made up: it must not outlive the demo.
        Resident.objects.all().delete()
        AuditEvent.objects.all().delete()


def _delete_all_rows(model: type[Model]) -> None:
    """Delete every row of `model`, in one statement when the collector would have nothing
    to do but delete them: no row anywhere refers to the table, no signal receiver listens
    for its deletes, and it has no parent or generic relations. Otherwise through the ORM."""

    opts = model._meta
    # The reverse side of every foreign key to the model (many-to-many tables' included).
    referrers = {
        field.related_model
        for field in opts.get_fields(include_hidden=True)
        if field.auto_created
        and not field.concrete
        and (field.one_to_many or field.one_to_one)
        and isinstance(field.related_model, type)
    }
    if (
        opts.parents
        or opts.private_fields
        or pre_delete.has_listeners(model)
        or post_delete.has_listeners(model)
        or any(referrer._base_manager.exists() for referrer in referrers)
    ):
        model._base_manager.all().delete()
        return
    connection = connections[router.db_for_write(model)]
    table = connection.ops.quote_name(opts.db_table)
    with connection.cursor() as cursor:
        # The model's own table, quoted: nothing in the statement comes from input.
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608  # nosec B608


def build() -> dict[str, Any]:
    """Create the demo; returns the accounts made, for printing."""

    with transaction.atomic():
        import_regions(REGIONS_CSV)
        city = Region.objects.get(code=CITY)
        sectors = {s.slug: s for s in Sector.objects.all()}
        regions = {r.code: r for r in Region.objects.filter(city.subtree_q(""))}
        agencies = _agencies(city, sectors)
        accounts = _accounts(city, sectors, agencies)
        issuer = accounts["penerbit"]

        venues = placed([*cat.issued_venues(), *cat.PENDING])
        created = _venues(venues, sectors, regions)
        for username, _role, _name, scope in cat.ACCOUNTS:
            user = accounts[username]
            if user.role in ("venue_manager", "venue_staff"):
                user.venues.set([created[c] for c in scope])
        for spec in venues:
            venue = created[spec.short_code]
            for action in PATHS[spec.status]:
                actor = accounts["kominfo"] if action == Action.SUBMIT else issuer
                if action == Action.INSTALL:
                    actor = (
                        accounts["pengelola.puspem"]
                        if venue.short_code == "PUSPEM-TNG"
                        else accounts["kominfo"]
                    )
                reason = cat.REJECTION_REASON if action == Action.REJECT else ""
                do_transition(venue=venue, action=action, actor=actor, reason=reason)
        seed_demo_levels()
        # Before the citizens: their profiles and dependants are verified against it.
        residents = _registry()
        citizens = build_citizens()
        # Before the zones: the positive results of its cases count in them.
        activity = build_activity(residents=residents, officer=accounts["dinkes"])
        load_demo_zones()
    return {
        "accounts": cat.ACCOUNTS,
        "password": demo_password(),
        "venues": len(created),
        "citizens": citizens,
        "activity": activity,
    }


def _registry() -> list[ResidentRow]:
    return load_registry(extra_residents=REGISTRY_RESIDENTS, seed=REGISTRY_SEED)


def _agencies(city: Region, sectors: dict[str, Sector]) -> dict[str, Agency]:
    agencies = {}
    for name, short, slugs in cat.AGENCIES:
        agency, _ = Agency.objects.get_or_create(
            region=city, name=name, defaults={"short_name": short}
        )
        agency.sectors.set([sectors[s] for s in slugs])
        agencies[short] = agency
    return agencies


def _accounts(
    city: Region, sectors: dict[str, Sector], agencies: dict[str, Agency]
) -> dict[str, User]:
    # One hash for all accounts: PBKDF2 costs half a second each, by design.
    password = make_password(demo_password())
    accounts = {}
    for username, role, full_name, scope in cat.ACCOUNTS:
        first, _, last = full_name.partition(" ")
        user = User(
            username=username,
            role=role,
            first_name=first,
            last_name=last,
            region=None if role in ("issuer", "venue_manager", "venue_staff") else city,
            is_staff=role == "issuer",
            email=f"{username}@demo.jejak.invalid",
        )
        if role == "agency_officer":
            user.agency = agencies["Disbudpar"]
        user.password = password
        user.save()
        if role == "agency_officer":
            user.sectors.set([sectors[s] for s in scope])
        accounts[username] = user
    return accounts


def _venues(
    specs: list[cat.DemoVenue], sectors: dict[str, Sector], regions: dict[str, Region]
) -> dict[str, Venue]:
    venues = Venue.objects.bulk_create(
        [
            Venue(
                short_code=s.short_code,
                name=s.name,
                sector=sectors[s.sector],
                region=regions[s.region],
                address=s.address or f"Kecamatan {regions[s.region].name}, Kota Tangerang",
                latitude=s.latitude,
                longitude=s.longitude,
                capacity=s.capacity,
                default_stay_minutes=cat.DEFAULT_STAY[s.sector],
                coordinator_name=s.coordinator[0] or "Koordinator " + s.name,
                coordinator_position=s.coordinator[1] or "Pengelola",
                coordinator_email=f"{s.short_code.lower()}@demo.jejak.invalid",
            )
            for s in specs
        ]
    )
    by_code = {
        v.short_code: v for v in Venue.objects.filter(short_code__in=[s.short_code for s in specs])
    }
    EntryPoint.objects.bulk_create(
        [
            EntryPoint(venue=by_code[s.short_code], name=door, position=i)
            for s in specs
            for i, door in enumerate(s.entrances)
        ]
    )
    del venues
    return by_code
