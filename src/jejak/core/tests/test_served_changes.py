"""A change reaches every server process within a second or two, without Redis.

Two servers (one process each) and this test process share one database. This process
writes through the services, as an officer's request in any other process would; a
phone keeps checking in at the other processes, which must follow within 2 s: a Satpol
PP closure refuses, its lifting admits again, and a PPKM rule change applies.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connections
from django.utils import timezone

from jejak.core.tests.serving import fetch, served, server_env

WITHIN = 2.0  # seconds, from the writer's commit to the other process's decision


@pytest.fixture
def shared_database(transactional_db: None, tmp_path: Any, django_db_blocker: Any):
    """The DATABASE_URL of a database that this process and served processes share:
    PostgreSQL's test database (flushed after the test), or a copy of SQLite's in-memory
    test database in a file that this process switches to for the test."""
    default = connections["default"]
    if default.vendor == "postgresql":
        s = default.settings_dict
        assert s["NAME"].startswith("test_"), "never the real database"
        login = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
        yield f"postgres://{login}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
        return
    assert default.is_in_memory_db(), "never the real database"
    path = tmp_path / "jejak.sqlite3"
    with django_db_blocker.unblock():
        default.ensure_connection()
        with sqlite3.connect(path) as copy:
            default.connection.backup(copy)
        copy.close()
        on_file = default.__class__({**default.settings_dict, "NAME": str(path)}, "default")
        connections["default"] = on_file
        try:
            yield f"sqlite:///{path}"
        finally:
            on_file.close()
            connections["default"] = default


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


@pytest.fixture
def two_servers(shared_database: str, tmp_path: Any) -> Iterator[tuple[World, list[Phone]]]:
    world = build_world()
    env = server_env(
        tmp_path / "var",
        DATABASE_URL=shared_database,
        JEJAK_CHECKINS_PER_MINUTE="100000",  # the phones scan many times a second
    )
    (tmp_path / "var").mkdir()
    with served(env, workers=1) as (a, _), served(env, workers=1) as (b, _):
        yield world, [Phone(a, world), Phone(b, world)]


def test_closures_their_lifting_and_ppkm_rules_reach_every_process_within_2_s(two_servers):
    from jejak.inspections.models import ChecklistItem, Closure, Sanction
    from jejak.inspections.service import (
        Answer,
        do_lift_closure,
        do_plan_inspection,
        do_record_inspection,
    )
    from jejak.ppkm.service import update_sector_rule

    world, phones = two_servers
    for phone in phones:  # each process holds the venue open in its caches
        assert phone.until(entered, since=time.monotonic()) < WITHIN
    timings: dict[str, list[float]] = {}

    now = timezone.now()
    inspection = do_plan_inspection(
        actor=world.officer, venue=world.venue, planned_for=timezone.localdate(now)
    )
    do_record_inspection(
        actor=world.officer,
        inspection=inspection,
        checklist={item.value: Answer("fail") for item in ChecklistItem},
        sanction=Sanction.TEMPORARY_CLOSURE,
        closure_starts_at=now,
        closure_ends_at=now + dt.timedelta(hours=2),
    )
    committed = time.monotonic()
    timings["closure"] = [p.until(refused("venue_closed"), since=committed) for p in phones]

    do_lift_closure(actor=world.officer, closure=Closure.objects.get(venue=world.venue))
    committed = time.monotonic()
    timings["lifting"] = [p.until(entered, since=committed) for p in phones]

    update_sector_rule(rule=world.rule, actor=None, guest_colours=["kuning"])
    committed = time.monotonic()
    timings["ppkm"] = [p.until(refused("colour_not_admitted"), since=committed) for p in phones]

    print(f"seconds from commit to both processes: {timings}")
    assert all(t < WITHIN for ts in timings.values() for t in ts)
