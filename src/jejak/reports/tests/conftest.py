"""A hand-counted week for the report: Kota Tangerang, 2021-W44 (1-7 November 2021).

venues (code, sector, entrances, stage):
  H1  Hotel Cisadane                 hotel    2  installed (issued 2021-10-22)
  M1  =HYPERLINK("http://x","klik")  hotel    1  issued 2021-10-22, never scanned
  S1  SDN Tangerang 1                sekolah  1  requested
  O1  Hotel Serpong (another city)   hotel    1  installed
check-ins (Asia/Jakarta):
  H1 11-01 10:00 allowed x3; 11-02 12:00 denied [capacity_full] x2;
  H1 11-03 12:00 denied [status_black]; H1 11-08 09:00 allowed (next week)
  O1 11-01 10:00 allowed x4 (out of scope)
inspections: H1 11-03 14:00 (poster fail, temporary closure 11-03 15:00 - 11-05 15:00);
  S1 11-04 10:00 (all pass, verbal warning)
follow-ups: S1 contacted, deadline 11-03, open (overdue); M1 visit, deadline 11-10, open;
  H1 letter, done 11-02 (not open)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jejak.accounts.roles import Role
from jejak.followups.models import FollowUp
from jejak.followups.tests.factories import add_checkins
from jejak.inspections import closures
from jejak.inspections import service as inspections
from jejak.inspections.models import ChecklistItem
from jejak.inspections.service import Answer
from jejak.sectors.models import Sector
from jejak.venues.models import Venue, VenueTransition
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import do_transition

WIB = ZoneInfo("Asia/Jakarta")
FORMULA_NAME = '=HYPERLINK("http://x","klik")'


def wib(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2021, month, day, hour, tzinfo=WIB)


def walk(venue: Venue, steps: list[tuple[str, dt.datetime]]) -> Venue:
    for action, at in steps:
        t = do_transition(venue=venue, action=action, actor=None, reason="uji")
        VenueTransition.objects.filter(pk=t.pk).update(at=at)
    venue.refresh_from_db()
    return venue


ISSUED = [("submit", wib(10, 20)), ("approve", wib(10, 21)), ("issue", wib(10, 22))]


@dataclass
class Week44:
    venues: dict[str, Venue]
    officer: Any


@pytest.fixture(autouse=True)
def _fresh_closures() -> Any:
    closures.invalidate(shared=False)
    yield
    closures.invalidate(shared=False)


@pytest.fixture
def week44(city: Any, other_city: Any, make_user: Any) -> Week44:
    kec = city.children.order_by("code").first()
    hotel = Sector.objects.get(slug="hotel")
    school = Sector.objects.filter(slug__startswith="sekolah").order_by("pk").first()
    h1 = walk(
        VenueFactory(
            short_code="H1",
            name="Hotel Cisadane",
            region=kec,
            sector=hotel,
            entrances=["Utara", "Selatan"],
        ),
        [*ISSUED, ("install", wib(10, 25))],
    )
    m1 = walk(VenueFactory(short_code="M1", name=FORMULA_NAME, region=kec, sector=hotel), ISSUED)
    s1 = walk(
        VenueFactory(short_code="S1", name="SDN Tangerang 1", region=kec, sector=school),
        [("submit", wib(10, 28))],
    )
    o1 = walk(
        VenueFactory(
            short_code="O1", name="Hotel Serpong", region=other_city.children.first(), sector=hotel
        ),
        [*ISSUED, ("install", wib(10, 25))],
    )
    add_checkins(h1, wib(11, 1, 10), n=3)
    add_checkins(h1, wib(11, 2), n=2, decision="denied", reasons=["capacity_full"])
    add_checkins(h1, wib(11, 3), decision="denied", reasons=["status_black"], colour="hitam")
    add_checkins(h1, wib(11, 8, 9))
    add_checkins(o1, wib(11, 1, 10), n=4)

    officer = make_user(Role.ENFORCEMENT_OFFICER, region=city, first_name="Satpol")
    answers = {i.value: Answer("pass") for i in ChecklistItem}
    at = wib(11, 3, 14)
    planned = inspections.do_plan_inspection(actor=officer, venue=h1, planned_for=at.date(), now=at)
    inspections.do_record_inspection(
        actor=officer,
        inspection=planned,
        checklist={**answers, "poster_every_entrance": Answer("fail", "pintu selatan")},
        findings="Poster hilang",
        sanction="temporary_closure",
        closure_starts_at=wib(11, 3, 15),
        closure_ends_at=wib(11, 5, 15),
        now=at,
    )
    at = wib(11, 4, 10)
    planned = inspections.do_plan_inspection(actor=officer, venue=s1, planned_for=at.date(), now=at)
    inspections.do_record_inspection(
        actor=officer, inspection=planned, checklist=answers, sanction="verbal_warning", now=at
    )
    FollowUp.objects.create(
        venue=s1, kind="contacted", deadline=dt.date(2021, 11, 3), created_at=wib(11, 1)
    )
    FollowUp.objects.create(
        venue=m1, kind="visit", deadline=dt.date(2021, 11, 10), created_at=wib(11, 2)
    )
    FollowUp.objects.create(
        venue=h1,
        kind="letter_sent",
        created_at=wib(11, 1),
        done=True,
        done_at=wib(11, 2),
        outcome="dipasang",
    )
    return Week44({v.short_code: v for v in (h1, m1, s1, o1)}, officer)
