"""Fixtures of the console tests: an issued venue with two entrances, its staff, a visitor
whose records give a chosen colour, and a plain PPKM policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.checkins.tests.conftest import COLOUR_RECORDS, PLAIN, take_to_issued
from jejak.identity.tests.factories import register_resident
from jejak.people.tests.factories import make_nik
from jejak.ppkm import service as ppkm
from jejak.screening.tests.factories import make_person
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory

BORN = {
    "hijau": (1990, 5, 12),
    "kuning": (1985, 3, 4),
    "merah": (1979, 11, 30),
    "hitam": (1970, 1, 2),
}
NAMES = {
    "hijau": "Budi Santoso",
    "kuning": "Siti Rahayu",
    "merah": "Agus Salim",
    "hitam": "Dewi Lestari",
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Today's counts are cached per venue; ids repeat after a rolled-back test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> Callable[..., ppkm.Policy]:
    def use(**changes: Any) -> ppkm.Policy:
        chosen = dataclasses.replace(PLAIN, **changes)
        monkeypatch.setattr(ppkm, "policy_for", lambda *, venue, at: chosen)
        return chosen

    use()
    return use


@pytest.fixture
def hall(city: Any, sector: Any, policy: Any) -> Venue:
    """PUSPEM-UJI: issued codes, capacity 100, two entrances."""
    return take_to_issued(
        VenueFactory(
            short_code="PUSPEM-UJI",
            name="Puspem Uji",
            region=city.children.first(),
            sector=sector,
            entrances=["Pintu Utara", "Pintu Selatan"],
        )
    )


@pytest.fixture
def other_hall(city: Any, sector: Any) -> Venue:
    return take_to_issued(
        VenueFactory(short_code="GEDUNG-LAIN", region=city.children.first(), sector=sector)
    )


@pytest.fixture
def staff(make_user: Callable[..., Any], hall: Venue) -> Any:
    return make_user(Role.VENUE_STAFF, venues=[hall], username="staf.uji")


@pytest.fixture
def manager(make_user: Callable[..., Any], hall: Venue) -> Any:
    return make_user(Role.VENUE_MANAGER, venues=[hall], username="pengelola.uji")


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(staff: Any) -> Client:
    return logged_in(staff)


@pytest.fixture
def manager_client(manager: Any) -> Client:
    return logged_in(manager)


def identity(colour: str) -> dict[str, Any]:
    """The KTP data of the test visitor of that colour (what staff type in)."""
    import datetime as dt

    born = dt.date(*BORN[colour])
    serial = list(BORN).index(colour) + 1
    return {
        "nik": make_nik(born=born, serial=serial),
        "full_name": NAMES[colour],
        "birth_date": born,
    }


def post_manual(client: Client, venue: Venue, colour: str, visitor_type: str = "guest") -> Any:
    """Staff type in the visitor of that colour at the venue's first entrance."""
    import uuid

    data = identity(colour)
    return client.post(
        f"/tempat/{venue.short_code}/manual/",
        {
            "entry_point": venue.entry_points.first().pk,  # type: ignore[union-attr]
            "nik": data["nik"],
            "full_name": data["full_name"],
            "birth_date": data["birth_date"].isoformat(),
            "visitor_type": visitor_type,
            "nonce": str(uuid.uuid4()),
        },
    )


@pytest.fixture
def make_registered(make_user: Callable[..., Any], city: Any) -> Callable[[str], Any]:
    """make_registered("kuning"): a visitor account with its own profile of that colour;
    returns the Person."""

    def make(colour: str = "hijau") -> Any:
        account = make_user(Role.VISITOR)
        data = identity(colour)
        person = make_person(
            account,
            born=data["birth_date"],
            full_name=data["full_name"],
            serial=list(BORN).index(colour) + 1,
        )
        # The civil registry knows them: manual check-ins are verified against it.
        register_resident(**data, sex="M")
        now = timezone.now()
        for build in COLOUR_RECORDS[colour]:
            build(person.nik_index, now)
        return person

    return make
