"""Fixtures of the tracing tests: people, stays written straight into CheckIn (the entry
decision is not under test here), health officers of two cities, and a fixed clock."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.people.models import Person
from jejak.regions.models import Region
from jejak.screening.tests.factories import make_person
from jejak.sectors.models import Sector
from jejak.sectors.reference import ensure_sectors
from jejak.tracing import profiles
from jejak.tracing.models import TracingProfile, VenueTypeWeight
from jejak.tracing.reference import ensure_profiles, ensure_weights
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory

JKT = ZoneInfo("Asia/Jakarta")
# Tuesday 19 October 2021, 10:00 in Jakarta: every stay is placed relative to this.
T0 = dt.datetime(2021, 10, 19, 10, 0, tzinfo=JKT)
NOW = T0 + dt.timedelta(days=2)

_serials = itertools.count(1)


def at(hours: float = 0, minutes: float = 0, seconds: float = 0, days: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


@pytest.fixture(autouse=True)
def _weights(db: None) -> None:
    # Transactional tests start from a flushed database; the seeded rows come back here.
    ensure_sectors(Sector)
    ensure_weights(VenueTypeWeight, Sector)
    ensure_profiles(TracingProfile, VenueTypeWeight)


_versions = itertools.count(1)


@pytest.fixture
def tracing_profile(settings: Any) -> Callable[..., TracingProfile]:
    """tracing_profile(base="covid-19", **changes): a new version of a stored profile with
    the top-level keys changed (e.g. tail={"rule": "fixed", "minutes": 0}), loaded and
    made the deployment's default; returns the row."""

    def make(base: str = "covid-19", **changes: Any) -> TracingProfile:
        stored = profiles.latest(base)
        assert stored is not None, base
        document = {**copy.deepcopy(stored.document), **changes}
        document["slug"] = f"test-{base}"
        document["version"] = next(_versions)
        row, _created = profiles.load(document)
        settings.JEJAK_TRACE_PROFILE = row.slug
        return row

    return make


@pytest.fixture
def person(make_user: Callable[..., Any]) -> Callable[..., Person]:
    """person(name="Siti"): a registered visitor (own profile) with a Kota Tangerang NIK."""

    def make(full_name: str = "Budi Santoso", **kwargs: Any) -> Person:
        account = make_user(Role.VISITOR)
        return make_person(account, full_name=full_name, serial=next(_serials), **kwargs)

    return make


@pytest.fixture
def make_venue(city: Region) -> Callable[..., Venue]:
    def make(sector: str = "hotel", **kwargs: Any) -> Venue:
        kwargs.setdefault("region", city.children.first())
        return VenueFactory(sector=Sector.objects.get(slug=sector), **kwargs)

    return make


@pytest.fixture
def hotel(make_venue: Callable[..., Venue]) -> Venue:
    return make_venue(name="Hotel Cisadane", entrances=["Pintu Utara", "Pintu Selatan"])


def stay(
    person: Person,
    venue: Venue,
    start: dt.datetime,
    end: dt.datetime | None = None,
    *,
    planned: dt.datetime | None = None,
    visitor_type: str = "guest",
    entrance: int = 0,
    decision: str = "allowed",
) -> CheckIn:
    """One stay: checked out at `end` (None: still open, until `planned` if given)."""
    request = CheckInRequest.objects.create(
        account=person.account, nonce=uuid.uuid4(), received_at=start, result={}
    )
    return CheckIn.objects.create(
        request=request,
        person=person,
        account=person.account,
        venue=venue,
        entry_point=venue.entry_points.all()[entrance],
        visitor_type=visitor_type,
        decision=decision,
        colour="hijau",
        rule_set="2021-09",
        scanned_at=start,
        received_at=start,
        checked_in_at=start if decision != "denied" else None,
        planned_checkout_at=planned,
        checked_out_at=end,
        checkout_method="explicit" if end else "",
    )


@pytest.fixture
def officer(make_user: Callable[..., Any], city: Region) -> Any:
    return make_user(Role.HEALTH_OFFICER, region=city)


@pytest.fixture
def other_officer(make_user: Callable[..., Any], other_city: Region) -> Any:
    return make_user(Role.HEALTH_OFFICER, region=other_city)


@pytest.fixture
def officer_client(officer: Any) -> Client:
    c = Client()
    c.force_login(officer)
    return c


@pytest.fixture
def other_client(other_officer: Any) -> Client:
    c = Client()
    c.force_login(other_officer)
    return c
