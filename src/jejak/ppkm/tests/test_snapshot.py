"""policy_for is on the check-in hot path: no query once warm, and writes are seen at once."""

from __future__ import annotations

import datetime as dt

from jejak.core import process_cache
from jejak.ppkm import service
from jejak.ppkm.models import LevelAssignment, SectorRule
from jejak.ppkm.service import assign_level, level_for, policy_for, update_sector_rule
from jejak.sectors.models import Sector
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory

AT = dt.datetime(2021, 10, 25, 12, 0, tzinfo=dt.UTC)


def test_warm_policy_for_costs_no_query(city, assign, django_assert_num_queries):
    assign(2, "2021-10-19")
    hotel = VenueFactory(region=city.children.first())
    mall = VenueFactory(
        region=city.children.last(), sector=Sector.objects.get(slug="pusat-perbelanjaan")
    )
    policy_for(venue=hotel, at=AT)  # loads the snapshot
    venue = Venue.objects.select_related("region").get(pk=mall.pk)
    with django_assert_num_queries(0):
        for _ in range(100):
            assert policy_for(venue=hotel, at=AT).level == 2
            assert policy_for(venue=venue, at=AT).capacity_percent == 50
        assert level_for(region=city, on=AT.date()) == 2


def test_region_not_loaded_with_the_venue_costs_one_query_once(
    city, assign, django_assert_num_queries
):
    assign(2, "2021-10-19")
    policy_for(venue=VenueFactory(region=city), at=AT)
    pk = VenueFactory(region=city.children.first()).pk
    first, second = Venue.objects.get(pk=pk), Venue.objects.get(pk=pk)
    with django_assert_num_queries(1):
        policy_for(venue=first, at=AT)
        policy_for(venue=second, at=AT)


def test_a_level_change_is_seen_by_the_next_call(city, city_admin, assign):
    venue = VenueFactory(region=city.children.first())
    assign(2, "2021-10-19")
    assert policy_for(venue=venue, at=AT).level == 2
    assign_level(
        region=city, level=3, effective_from=AT.date(), actor=city_admin, reason="Lonjakan kasus"
    )
    assert policy_for(venue=venue, at=AT).level == 3


def test_a_rule_change_is_seen_by_the_next_call(city, issuer, assign):
    venue = VenueFactory(region=city.children.first())
    assign(2, "2021-10-19")
    before = policy_for(venue=venue, at=AT)
    assert before.capacity_percent == 50
    update_sector_rule(
        rule=SectorRule.objects.get(pk=before.rule_id), actor=issuer, capacity_percent=30
    )
    after = policy_for(venue=venue, at=AT)
    assert (after.capacity_percent, after.rule_version) == (30, 2)


def test_a_write_in_another_process_is_seen_through_the_version_row(city, assign, monkeypatch):
    venue = VenueFactory(region=city.children.first())
    assign(2, "2021-10-19")
    assert policy_for(venue=venue, at=AT).level == 2
    # Another process wrote: the rows change and, after its commit, its version row moves,
    # but this process's snapshot was not dropped by a signal.
    LevelAssignment.objects.filter(region=city).update(level=4)
    process_cache.bump(service.VERSION_KEY)
    assert policy_for(venue=venue, at=AT).level == 2  # until this process checks again
    monkeypatch.setattr(process_cache, "CHECK_SECONDS", 0.0)
    assert policy_for(venue=venue, at=AT).level == 4


def test_a_write_that_moved_no_version_is_seen_after_the_safety_ttl(city, assign, monkeypatch):
    venue = VenueFactory(region=city.children.first())
    assign(2, "2021-10-19")
    assert policy_for(venue=venue, at=AT).level == 2
    LevelAssignment.objects.filter(region=city).update(level=4)
    monkeypatch.setattr(service._snapshot, "ttl", 0.0)
    assert policy_for(venue=venue, at=AT).level == 4
