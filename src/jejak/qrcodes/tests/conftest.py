"""Fixtures of the QR code tests: a venue taken through the workflow until its codes exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jejak.qrcodes import keys
from jejak.qrcodes.models import CodeStatus, QrCode
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import do_transition


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> Iterator[None]:
    # Each test's database rolls back; keys cached in memory must not outlive it.
    keys.invalidate_cache()
    yield
    keys.invalidate_cache()


def take_to_issued(venue: Venue) -> Venue:
    for action in ("submit", "approve", "issue"):
        do_transition(venue=venue, action=action, actor=None)
    venue.refresh_from_db()
    return venue


def active_code(venue: Venue, position: int = 0) -> QrCode:
    return QrCode.objects.get(
        entry_point__venue=venue, entry_point__position=position, status=CodeStatus.ACTIVE
    )


@pytest.fixture
def issued_venue(city: Any, sector: Any) -> Venue:
    """A hotel in Kota Tangerang with two entrances and freshly issued codes."""
    venue = VenueFactory(
        region=city.children.first(),
        sector=sector,
        name="Hotel Cisadane",
        entrances=["Pintu Utara", "Pintu Selatan"],
    )
    return take_to_issued(venue)
