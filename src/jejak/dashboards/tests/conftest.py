"""A small hand-counted world for the dashboard numbers: Kota Tangerang in the first week
of November 2021, five venues at different stages, a few check-ins on known days.

Every expected number in these tests is counted by hand from the tables below; when you
change the fixture, recount.

venues (code, sector, kecamatan, entrances, history in Asia/Jakarta days):
  H1  Hotel Cisadane        hotel         36.71.01  2  submit 10-20, approve 10-21,
                                                       issue 10-22, install 10-25
  H2  Hotel Bintang         hotel         36.71.02  1  submit/approve/issue 11-04
  S1  SDN Tangerang 1       sekolah (sd)  36.71.01  3  submit 11-02
  M1  =HYPERLINK(...)       mall          36.71.02  1  submit 10-28, reject 11-03
  R1  Hotel Baru            hotel         36.71.01  1  (registered, never moved)
  K1  Puskesmas Karawaci    puskesmas     36.71.02  1  submit 10-20, approve 10-21,
                                                       issue 10-22, install 10-25
  O1  Hotel Serpong         hotel         36.74.01  1  installed (another city)

check-ins (Asia/Jakarta):
  H1 10-31 23:59  allowed hijau                    (before the period)
  H1 11-01 10:00  allowed hijau x3
  H1 11-02 06:00  allowed_after_staff_check kuning (11-01 23:00 UTC: a WIB-day test)
  H1 11-02 12:00  denied hitam [status_black] + alert
  H1 11-03 12:00  denied hijau [capacity_full] x2
  H1 11-03 13:00  denied merah [status_red, capacity_full]
  H1 11-08 00:00  allowed hijau                    (after the period)
  H2 11-05 09:00  allowed hijau
  K1 11-01 08:00  allowed hijau
  O1 11-01 10:00  allowed hijau                    (out of the city's scope)
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jejak.accounts.roles import Role
from jejak.checkins.models import BlackStatusAlert, CheckIn, CheckInRequest
from jejak.regions.models import Region
from jejak.screening.tests.factories import make_person
from jejak.sectors.models import Sector
from jejak.venues.models import Venue, VenueTransition
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import do_transition

WIB = ZoneInfo("Asia/Jakarta")
START = dt.date(2021, 11, 1)
END = dt.date(2021, 11, 7)
FORMULA_NAME = '=HYPERLINK("http://evil.example","klik")'


def wib(month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, month, day, hour, minute, tzinfo=WIB)


def walk(venue: Venue, steps: list[tuple[str, dt.datetime]]) -> None:
    for action, at in steps:
        t = do_transition(venue=venue, action=action, actor=None, reason="uji")
        VenueTransition.objects.filter(pk=t.pk).update(at=at)
    venue.refresh_from_db()


@dataclass
class World:
    city: Region
    venues: dict[str, Venue]
    visitor: Any

    def check_in(
        self,
        code: str,
        at: dt.datetime,
        *,
        decision: str = "allowed",
        colour: str = "hijau",
        reasons: list[str] | None = None,
        n: int = 1,
    ) -> list[CheckIn]:
        venue = self.venues[code]
        person = self.visitor.people.first()
        rows = []
        for _ in range(n):
            request = CheckInRequest.objects.create(
                account=self.visitor, nonce=uuid.uuid4(), received_at=at, result={}
            )
            admitted = decision != "denied"
            rows.append(
                CheckIn.objects.create(
                    request=request,
                    person=person,
                    account=self.visitor,
                    venue=venue,
                    entry_point=venue.entry_points.first(),
                    visitor_type="guest",
                    decision=decision,
                    reasons=reasons or [],
                    colour=colour,
                    rule_set="uji",
                    scanned_at=at,
                    received_at=at,
                    checked_in_at=at if admitted else None,
                    # Checked out at once: one person, many stays, no clash with the
                    # one-active-stay constraint.
                    checked_out_at=at if admitted else None,
                )
            )
        return rows


ISSUED_ON_1022 = [
    ("submit", wib(10, 20)),
    ("approve", wib(10, 21)),
    ("issue", wib(10, 22)),
    ("install", wib(10, 25)),
]


@pytest.fixture
def world(city: Region, other_city: Region, make_user: Any) -> World:
    kec1, kec2 = city.children.order_by("code")
    hotel = Sector.objects.get(slug="hotel")
    sekolah = Sector.objects.get(slug="sekolah")
    sd = Sector.objects.create(slug="sd", name_id="SD", name_en="Primary", parent=sekolah)
    mall = Sector.objects.get(slug="pusat-perbelanjaan")
    puskesmas = Sector.objects.get(slug="puskesmas")

    def venue(code: str, name: str, sector: Sector, region: Region, entrances: int) -> Venue:
        return VenueFactory(
            short_code=code,
            name=name,
            sector=sector,
            region=region,
            entrances=[f"Pintu {i + 1}" for i in range(entrances)],
        )

    v = {
        "H1": venue("H1-CISADANE", "Hotel Cisadane", hotel, kec1, 2),
        "H2": venue("H2-BINTANG", "Hotel Bintang", hotel, kec2, 1),
        "S1": venue("S1-SDN", "SDN Tangerang 1", sd, kec1, 3),
        "M1": venue("M1-MALL", FORMULA_NAME, mall, kec2, 1),
        "R1": venue("R1-BARU", "Hotel Baru", hotel, kec1, 1),
        "K1": venue("K1-PKM", "Puskesmas Karawaci", puskesmas, kec2, 1),
        "O1": venue("O1-SERPONG", "Hotel Serpong", hotel, other_city.children.first(), 1),
    }
    v["H1"].latitude, v["H1"].longitude = -6.178, 106.631
    v["H1"].save()
    v["K1"].latitude, v["K1"].longitude = -6.17, 106.61
    v["K1"].save()
    walk(v["H1"], ISSUED_ON_1022)
    walk(v["K1"], ISSUED_ON_1022)
    walk(v["O1"], ISSUED_ON_1022)
    walk(v["H2"], [("submit", wib(11, 4, 8)), ("approve", wib(11, 4, 9)), ("issue", wib(11, 4))])
    walk(v["S1"], [("submit", wib(11, 2))])
    walk(v["M1"], [("submit", wib(10, 28)), ("reject", wib(11, 3))])

    visitor = make_user(Role.VISITOR)
    make_person(visitor)
    w = World(city=city, venues=v, visitor=visitor)
    w.check_in("H1", wib(10, 31, 23, 59))
    w.check_in("H1", wib(11, 1, 10), n=3)
    w.check_in("H1", wib(11, 2, 6), decision="allowed_after_staff_check", colour="kuning")
    (black,) = w.check_in(
        "H1", wib(11, 2, 12), decision="denied", colour="hitam", reasons=["status_black"]
    )
    BlackStatusAlert.objects.create(venue=v["H1"], checkin=black, created_at=wib(11, 2, 12))
    w.check_in("H1", wib(11, 3, 12), decision="denied", reasons=["capacity_full"], n=2)
    w.check_in(
        "H1",
        wib(11, 3, 13),
        decision="denied",
        colour="merah",
        reasons=["status_red", "capacity_full"],
    )
    w.check_in("H1", wib(11, 8, 0))
    w.check_in("H2", wib(11, 5, 9))
    w.check_in("K1", wib(11, 1, 8))
    w.check_in("O1", wib(11, 1, 10))
    return w


@pytest.fixture
def city_scope(world: World) -> Any:
    return Venue.objects.filter(world.city.subtree_q("region"))
