"""A change reaches every server process within a second or two, without Redis.

Two servers (one process each) and this test process share one database. This process
writes through the services, as an officer's request in any other process would; a
phone keeps checking in at the other processes, which must follow within 2 s: a Satpol
PP closure refuses, its lifting admits again, and a PPKM rule change applies.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from jejak.core.tests.served_world import WITHIN, Phone, World, build_world, entered, refused
from jejak.core.tests.serving import served, server_env


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
