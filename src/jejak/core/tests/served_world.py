"""What the tests that run several servers at once put in their shared database (the
`shared_database` fixture, conftest.py): a venue, a green visitor and an officer, and a
phone that checks in at one server (test_served_changes.py, test_nodes.py)."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from jejak.core.tests.serving import fetch

WITHIN = 2.0  # seconds, from the writer's commit to the other process's decision


@dataclass
class World:
    venue: Any
    qr: str
    token: str
    officer: Any
    rule: Any


def build_world() -> World:
    """A hotel with a live code, a green visitor with an API token, a Satpol PP officer,
    and the hotel's PPKM level 2 rule admitting green guests at any hour."""
    import importlib

    from django.apps import apps

    from jejak.accounts.models import ApiToken
    from jejak.accounts.roles import Role
    from jejak.accounts.tests.factories import UserFactory
    from jejak.ppkm import service as ppkm
    from jejak.ppkm.models import SectorRule
    from jejak.qrcodes.models import CodeStatus, QrCode
    from jejak.regions.tests.factories import city_with_districts
    from jejak.screening.tests.factories import dose, make_person
    from jejak.sectors.models import Sector
    from jejak.sectors.reference import ensure_sectors
    from jejak.venues.tests.factories import VenueFactory
    from jejak.venues.workflow import do_transition

    # Earlier transactional tests may have flushed the reference data of the migrations.
    ensure_sectors(Sector)
    importlib.import_module("jejak.screening.migrations.0003_load_rule_sets").load(apps, None)
    city = city_with_districts()
    hotel = Sector.objects.get(slug="hotel")
    venue = VenueFactory(region=city.children.first(), sector=hotel)
    for action in ("submit", "approve", "issue"):
        do_transition(venue=venue, action=action, actor=None)
    code = QrCode.objects.filter(entry_point__venue=venue, status=CodeStatus.ACTIVE).first()
    assert code is not None
    visitor = UserFactory(role=Role.VISITOR)
    person = make_person(visitor)
    for build in (dose(1), dose(2), dose(3)):
        build(person.nik_index, timezone.now())
    token = ApiToken.issue(user=visitor, name="served changes")[1]
    officer = UserFactory(role=Role.ENFORCEMENT_OFFICER, region=city)
    plain = {
        "capacity_percent": 100,
        "capacity_max_people": None,
        "guest_colours": ["hijau", "kuning"],
        "employee_colours": ["hijau", "kuning", "merah"],
        "staff_check_colours": ["kuning"],
        "opens_at": None,
        "closes_at": None,
        "max_stay_minutes": None,
        "children_rule": "allowed",
        "children_age_below": 12,
    }
    rule = SectorRule.objects.filter(level=2, sector=hotel).first()
    if rule is None:
        rule = ppkm.create_sector_rule(level=2, sector=hotel, actor=None, **plain)
    else:
        rule = ppkm.update_sector_rule(rule=rule, actor=None, **plain)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    ppkm.assign_level(
        region=city, level=2, effective_from=yesterday, actor=None, reason="served test"
    )
    return World(venue, code.token, token, officer, rule)


class Phone:
    """Checks in at one server again and again; a rescan of an open stay checks out."""

    def __init__(self, base: str, world: World) -> None:
        self.base = base
        self.world = world

    def scan(self) -> dict[str, Any]:
        body = {"qr": self.world.qr, "nonce": str(uuid.uuid4()), "people": ["self"]}
        headers = {
            "Authorization": f"Bearer {self.world.token}",
            "Content-Type": "application/json",
        }
        status, answer = fetch(
            self.base + "/api/v1/checkins", data=json.dumps(body).encode(), headers=headers
        )
        assert status == 201, answer
        person: dict[str, Any] = json.loads(answer)["people"][0]
        return person

    def until(self, wanted: Callable[[dict[str, Any]], bool], since: float) -> float:
        """Scan until an answer is `wanted`; the seconds from `since` to that answer."""
        while True:
            answer = self.scan()
            elapsed = time.monotonic() - since
            if wanted(answer):
                return elapsed
            assert elapsed < WITHIN, f"still {answer} after {elapsed:.2f} s"
            time.sleep(0.02)


def entered(answer: dict[str, Any]) -> bool:
    return answer["action"] == "check_in" and answer["decision"] == "allowed"


def refused(reason: str) -> Callable[[dict[str, Any]], bool]:
    def check(answer: dict[str, Any]) -> bool:
        return answer["action"] == "check_in" and reason in answer["reasons"]

    return check
