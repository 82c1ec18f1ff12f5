"""Fixtures of the roster tests: two issued venues, each with its manager, and NIKs that
pass `parse_nik` in Kota Tangerang."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.checkins.tests.conftest import take_to_issued
from jejak.people.tests.factories import make_nik
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory


def nik(serial: int = 1) -> str:
    return make_nik(born=dt.date(1990, 5, 12), serial=serial)


@pytest.fixture
def hall(city: Any, sector: Any) -> Venue:
    return take_to_issued(
        VenueFactory(short_code="PUSPEM-UJI", region=city.children.first(), sector=sector)
    )


@pytest.fixture
def other_hall(city: Any, sector: Any) -> Venue:
    return take_to_issued(
        VenueFactory(short_code="GEDUNG-LAIN", region=city.children.first(), sector=sector)
    )


@pytest.fixture
def manager(make_user: Callable[..., Any], hall: Venue) -> Any:
    return make_user(Role.VENUE_MANAGER, venues=[hall])


@pytest.fixture
def manager_client(manager: Any) -> Client:
    client = Client()
    client.force_login(manager)
    return client
