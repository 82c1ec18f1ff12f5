"""Fixtures of the check-in tests: a hotel with issued codes, visitors of each colour, and
a PPKM policy the test chooses (or the real one, where a test says so)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.checkins import record
from jejak.ppkm import service as ppkm
from jejak.qrcodes import keys
from jejak.qrcodes.models import CodeStatus, QrCode
from jejak.screening.tests.factories import (
    born_years_before,
    dose,
    make_person,
    positive,
)
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import do_transition

# A plain policy: everyone of an admitted colour enters at any hour, no age limits.
PLAIN = ppkm.Policy(
    level=2,
    rule_id=7,
    rule_version=3,
    capacity_percent=100,
    capacity_max_people=None,
    guest_colours=frozenset({"hijau", "kuning"}),
    employee_colours=frozenset({"hijau", "kuning", "merah"}),
    staff_check_colours=frozenset({"kuning"}),
    opens_at=None,
    closes_at=None,
    max_stay_minutes=None,
    children_rule="allowed",
    children_age_below=12,
)

COLOUR_RECORDS = {
    "hijau": [dose(1), dose(2), dose(3)],
    "kuning": [dose(1)],
    "merah": [],
    "hitam": [positive(days_ago=1)],
}


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    # Each test's database rolls back; keys and PPKM snapshots in memory must not outlive it.
    keys.invalidate_cache()
    ppkm.invalidate(shared=False)
    yield
    keys.invalidate_cache()
    ppkm.invalidate(shared=False)


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> Callable[..., ppkm.Policy]:
    """policy(**changes): from now on every venue has PLAIN with these changes."""

    def use(**changes: Any) -> ppkm.Policy:
        chosen = dataclasses.replace(PLAIN, **changes)
        monkeypatch.setattr(ppkm, "policy_for", lambda *, venue, at: chosen)
        return chosen

    use()
    return use


def take_to_issued(venue: Venue) -> Venue:
    for action in ("submit", "approve", "issue"):
        do_transition(venue=venue, action=action, actor=None)
    venue.refresh_from_db()
    return venue


def code_of(venue: Venue, position: int = 0) -> str:
    return QrCode.objects.get(
        entry_point__venue=venue, entry_point__position=position, status=CodeStatus.ACTIVE
    ).token


@pytest.fixture
def make_venue(city: Any, sector: Any) -> Callable[..., Venue]:
    def make(**kwargs: Any) -> Venue:
        kwargs.setdefault("region", city.children.first())
        kwargs.setdefault("sector", sector)
        return take_to_issued(VenueFactory(**kwargs))

    return make


@pytest.fixture
def hotel(make_venue: Callable[..., Venue]) -> Venue:
    """Hotel Cisadane: capacity 100, a 60-minute default stay, two entrances."""
    return make_venue(name="Hotel Cisadane", entrances=["Pintu Utara", "Pintu Selatan"])


@pytest.fixture
def make_visitor(make_user: Callable[..., Any], city: Any) -> Callable[..., Any]:
    """make_visitor("hijau"): a visitor account whose own profile has that colour."""

    def make(colour: str = "hijau", **person: Any) -> Any:
        account = make_user(Role.VISITOR)
        add_person(account, colour, **person)
        return account

    return make


_serials = iter(range(1, 10_000))


def add_person(account: Any, colour: str = "hijau", **kwargs: Any) -> Any:
    kwargs.setdefault("serial", next(_serials))
    person = make_person(account, **kwargs)
    now = timezone.now()
    for build in COLOUR_RECORDS[colour]:
        build(person.nik_index, now)
    return person


def add_child(account: Any, *, years: int = 8, records: list[Any] | None = None) -> Any:
    now = timezone.now()
    person = make_person(
        account,
        relation="child",
        born=born_years_before(now, years, days_later=-3),
        full_name="Anak",
        serial=next(_serials),
    )
    for build in [dose(1), dose(2)] if records is None else records:
        build(person.nik_index, now)
    return person


@pytest.fixture
def visitor(make_visitor: Callable[..., Any]) -> Any:
    return make_visitor("hijau")


@pytest.fixture
def check_in(hotel: Venue, policy: Any) -> Callable[..., dict[str, Any]]:
    """check_in(account, **overrides): record_checkins at the hotel's first entrance;
    returns the result's data."""

    def run(account: Any, **kwargs: Any) -> dict[str, Any]:
        venue = kwargs.pop("venue", hotel)
        if "qr" not in kwargs:
            kwargs["qr"] = code_of(venue)
        kwargs.setdefault("nonce", uuid.uuid4())
        kwargs.setdefault("people", ["self"])
        kwargs.setdefault("visitor_type", "guest")
        return record.record_checkins(account=account, **kwargs).data

    return run


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """A transactional test starts from a flushed database: the sectors and rule sets
    back first (the venue fixtures read the sectors)."""
    import importlib

    from django.apps import apps

    from jejak.sectors.models import Sector
    from jejak.sectors.reference import ensure_sectors

    ensure_sectors(Sector)
    importlib.import_module("jejak.screening.migrations.0003_load_rule_sets").load(apps, None)
