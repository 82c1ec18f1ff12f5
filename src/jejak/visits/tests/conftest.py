"""Fixtures of the visitor app's tests: a slice of the demo (the city hall's issued
poster codes under the demo's PPKM levels, and the four demo citizens with their real
health records), small enough to rebuild for every browser test."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from jejak.accounts.models import User
from jejak.checkins.tests.conftest import code_of, take_to_issued
from jejak.demo.catalogue import DEFAULT_STAY, NAMED
from jejak.demo.visitors import CITIZENS, build_citizens, load_registry
from jejak.ppkm.demo import seed_demo_levels
from jejak.ppkm.models import SectorRule
from jejak.ppkm.seed import ensure_rules
from jejak.regions.tests.factories import city_with_districts
from jejak.sectors.models import Sector
from jejak.sectors.reference import ensure_sectors
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory


@dataclass
class MiniDemo:
    venue: Venue
    token: str  # the poster code of the first entrance
    visitors: dict[str, Any]  # colour -> the demo citizen's account
    phones: dict[str, str]  # colour -> phone number


def build_mini_demo() -> MiniDemo:
    # Reference data first: a transactional test starts from a flushed database.
    ensure_sectors(Sector)
    ensure_rules(Sector, SectorRule)
    importlib.import_module("jejak.screening.migrations.0003_load_rule_sets").load(apps, None)
    city = city_with_districts()
    spec = next(v for v in NAMED if v.short_code == "PUSPEM-TNG")
    venue = take_to_issued(
        VenueFactory(
            short_code=spec.short_code,
            name=spec.name,
            sector=Sector.objects.get(slug=spec.sector),
            region=city.children.order_by("code").first(),
            entrances=spec.entrances,
            capacity=spec.capacity,
            default_stay_minutes=DEFAULT_STAY[spec.sector],
        )
    )
    seed_demo_levels()
    load_registry()
    build_citizens()
    phones = {colour: phone for phone, _name, _born, _sex, colour in CITIZENS}
    visitors = {
        colour: User.objects.get(username=f"v-demo{serial}")
        for serial, (_phone, _name, _born, _sex, colour) in enumerate(CITIZENS, start=1)
    }
    return MiniDemo(venue=venue, token=code_of(venue), visitors=visitors, phones=phones)


@pytest.fixture
def mini_demo(db: None) -> MiniDemo:
    return build_mini_demo()


@pytest.fixture
def visitor_client(mini_demo: MiniDemo) -> Callable[[str], Client]:
    """visitor_client("hijau"): a test client signed in as that demo citizen."""

    def make(colour: str) -> Client:
        client = Client()
        client.force_login(mini_demo.visitors[colour])
        return client

    return make


@pytest.fixture
def sign_in_as(live_server: Any) -> Callable[[Any, Any], None]:
    """sign_in_as(page, account): put a fresh session for `account` into the page's
    browser context (the sign-in form itself is tested by the journey)."""

    def sign_in(page: Any, account: Any) -> None:
        client = Client()
        client.force_login(account)
        cookie = client.cookies["sessionid"]
        page.context.add_cookies(
            [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]
        )

    return sign_in
