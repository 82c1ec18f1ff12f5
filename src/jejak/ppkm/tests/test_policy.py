"""The policy a venue gets: its sector's rule at its region's level, with fallbacks."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from jejak.ppkm.models import SectorRule
from jejak.ppkm.service import FALLBACK_POLICIES, Policy, policy_for
from jejak.sectors.models import Sector
from jejak.venues.tests.factories import VenueFactory

WIB = dt.timezone(dt.timedelta(hours=7))
L2_DAY = dt.datetime(2021, 10, 25, 12, 0, tzinfo=WIB)
L1_DAY = dt.datetime(2021, 11, 10, 12, 0, tzinfo=WIB)


@pytest.fixture
def tangerang_levels(assign):
    assign(2, "2021-10-19", reason="Inmendagri 53/2021")
    assign(1, "2021-11-02", reason="Level 1")


def venue_in(city, slug: str):
    return VenueFactory(region=city.children.first(), sector=Sector.objects.get(slug=slug))


def test_mall_at_level_2(city, tangerang_levels):
    policy = policy_for(venue=venue_in(city, "pusat-perbelanjaan"), at=L2_DAY)
    rule = SectorRule.objects.get(level=2, sector__slug="pusat-perbelanjaan")
    assert policy.as_reference() == {"level": 2, "rule_id": rule.pk, "rule_version": 1}
    assert policy.capacity_percent == 50
    assert policy.closes_at == dt.time(21, 0)
    assert policy.children_rule == "with_parent"
    assert policy.children_age_below == 12
    assert policy.guest_colours == {"hijau", "kuning"}
    assert policy.staff_check_colours == {"kuning"}
    assert policy.employee_colours == {"hijau", "kuning", "merah"}


def test_mall_at_level_1(city, tangerang_levels):
    policy = policy_for(venue=venue_in(city, "pusat-perbelanjaan"), at=L1_DAY)
    assert (policy.level, policy.capacity_percent, policy.closes_at) == (1, 100, dt.time(22, 0))


@pytest.mark.parametrize(
    ("slug", "percent", "closes", "stay", "children"),
    [
        ("bioskop", 70, dt.time(21), None, "with_parent"),
        ("rumah-makan", 50, dt.time(21), 60, "allowed"),
        ("rumah-makan-malam", 50, dt.time(0), 60, "allowed"),
        ("tempat-wisata", 25, None, None, "with_parent"),
        ("taman", 25, None, None, "with_parent"),
        ("sarana-olahraga", 50, None, None, "allowed"),
        ("pusat-kebugaran", 50, None, None, "allowed"),
        ("hotel", 50, None, None, "negative_test"),
        ("supermarket", 75, dt.time(21), None, "allowed"),
        ("kantor-pemerintahan", 100, None, None, "allowed"),
        ("sekolah", 100, None, None, "allowed"),
        ("terminal", 100, None, None, "allowed"),
    ],
)
def test_level_2_sector_rules(city, tangerang_levels, slug, percent, closes, stay, children):
    policy = policy_for(venue=venue_in(city, slug), at=L2_DAY)
    assert policy.level == 2
    assert policy.rule_id == SectorRule.objects.get(level=2, sector__slug=slug).pk
    assert (policy.capacity_percent, policy.closes_at) == (percent, closes)
    assert (policy.max_stay_minutes, policy.children_rule) == (stay, children)


def test_cinema_admits_green_and_yellow_only(city, tangerang_levels):
    policy = policy_for(venue=venue_in(city, "bioskop"), at=L2_DAY)
    assert policy.guest_colours == policy.employee_colours == {"hijau", "kuning"}


def test_health_facilities_admit_red_guests_after_a_check(city, tangerang_levels):
    policy = policy_for(venue=venue_in(city, "puskesmas"), at=L2_DAY)
    assert policy.admits("merah", "guest")
    assert policy.needs_staff_check("merah", "guest")
    assert not policy.admits("hitam", "guest")


def test_sub_category_without_a_rule_follows_its_parent(city, tangerang_levels):
    parent = Sector.objects.get(slug="hotel")
    guesthouse = Sector.objects.create(
        slug="penginapan", name_id="Penginapan", name_en="Guesthouses", parent=parent
    )
    venue = VenueFactory(region=city.children.first(), sector=guesthouse)
    policy = policy_for(venue=venue, at=L2_DAY)
    assert policy.rule_id == SectorRule.objects.get(level=2, sector=parent).pk
    assert policy.children_rule == "negative_test"


def test_sub_category_with_its_own_rule_uses_it(city, tangerang_levels):
    policy = policy_for(venue=venue_in(city, "supermarket"), at=L2_DAY)
    assert policy.rule_id == SectorRule.objects.get(level=2, sector__slug="supermarket").pk


def test_no_level_assigned_is_the_fallback(city):
    policy = policy_for(venue=venue_in(city, "pusat-perbelanjaan"), at=L2_DAY)
    assert policy == FALLBACK_POLICIES[0]
    assert policy.as_reference() == {"level": 0, "rule_id": None, "rule_version": 0}
    assert policy.capacity_percent == 100
    assert policy.is_open(L2_DAY)


def test_sector_without_any_rule_is_the_fallback_at_the_level(city, tangerang_levels):
    SectorRule.objects.filter(sector__slug="hotel").delete()
    policy = policy_for(venue=venue_in(city, "hotel"), at=L2_DAY)
    assert policy.as_reference() == {"level": 2, "rule_id": None, "rule_version": 0}
    assert policy.guest_colours == {"hijau", "kuning"}


def policy(**changes) -> Policy:
    return replace(FALLBACK_POLICIES[2], **changes)


@pytest.mark.parametrize(
    ("capacity", "percent", "expected"),
    [
        (100, 50, 50),
        (45000, 50, 22500),
        (3, 50, 1),
        (1, 25, 1),
        (7, 25, 1),
        (9, 25, 2),
        (10, 0, 0),
        (10, 100, 10),
        (199, 75, 149),
    ],
)
def test_capacity_rounds_down_but_keeps_one_place(capacity, percent, expected):
    assert policy(capacity_percent=percent).capacity_for(capacity) == expected


def test_capacity_is_capped_by_max_people():
    # Places of worship: "75% or 75 people", whichever is smaller.
    worship = policy(capacity_percent=75, capacity_max_people=75)
    assert worship.capacity_for(80) == 60
    assert worship.capacity_for(100) == 75
    assert worship.capacity_for(1000) == 75
    assert policy(capacity_percent=0, capacity_max_people=75).capacity_for(1000) == 0


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, 10, 25, hour, minute)


def test_always_open_without_hours():
    assert all(policy().is_open(at(h)) for h in range(24))


def test_open_until_closing_time():
    mall = policy(closes_at=dt.time(21))
    assert mall.is_open(at(0)) and mall.is_open(at(10)) and mall.is_open(at(20, 59))
    assert not mall.is_open(at(21)) and not mall.is_open(at(23, 30))


def test_normal_window():
    shop = policy(opens_at=dt.time(10), closes_at=dt.time(21))
    assert not shop.is_open(at(9, 59))
    assert shop.is_open(at(10)) and shop.is_open(at(20, 59))
    assert not shop.is_open(at(21))


def test_window_crossing_midnight():
    night = policy(opens_at=dt.time(18), closes_at=dt.time(0))
    assert not night.is_open(at(17, 59)) and not night.is_open(at(0)) and not night.is_open(at(12))
    assert night.is_open(at(18)) and night.is_open(at(23, 59))
    late = policy(opens_at=dt.time(18), closes_at=dt.time(2))
    assert late.is_open(at(1, 59)) and late.is_open(at(22))
    assert not late.is_open(at(2)) and not late.is_open(at(17))


def test_aware_times_are_read_in_jakarta():
    mall = policy(closes_at=dt.time(21))
    # 14:30 UTC is 21:30 WIB: closed.
    assert not mall.is_open(dt.datetime(2021, 10, 25, 14, 30, tzinfo=dt.UTC))
    assert mall.is_open(dt.datetime(2021, 10, 25, 13, 30, tzinfo=dt.UTC))


def test_admits_by_visitor_type(city, tangerang_levels):
    mall = policy_for(venue=venue_in(city, "pusat-perbelanjaan"), at=L2_DAY)
    assert mall.admits("hijau", "guest") and mall.admits("kuning", "guest")
    assert not mall.admits("merah", "guest") and not mall.admits("hitam", "guest")
    assert mall.admits("merah", "employee") and not mall.admits("hitam", "employee")
    assert not mall.admits("hijau", "tourist")
    assert mall.needs_staff_check("kuning", "guest")
    assert not mall.needs_staff_check("hijau", "guest")
    assert not mall.needs_staff_check("kuning", "employee")
