"""Levels: the latest effective assignment, from local midnight, most specific region."""

from __future__ import annotations

import datetime as dt

import pytest

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.ppkm.errors import PpkmError, PpkmErrorCode
from jejak.ppkm.models import LevelAssignment
from jejak.ppkm.service import assign_level, level_for, policy_for
from jejak.venues.tests.factories import VenueFactory

D = dt.date.fromisoformat


def test_no_assignment_is_level_0(city):
    assert level_for(region=city, on=D("2021-10-20")) == 0


def test_latest_effective_assignment_wins(city, assign):
    assign(2, "2021-10-19")
    assign(1, "2021-11-02")
    assign(3, "2022-02-01")
    assert level_for(region=city, on=D("2021-10-18")) == 0
    assert level_for(region=city, on=D("2021-10-19")) == 2
    assert level_for(region=city, on=D("2021-11-01")) == 2
    assert level_for(region=city, on=D("2021-11-02")) == 1
    assert level_for(region=city, on=D("2022-01-31")) == 1
    assert level_for(region=city, on=D("2022-02-01")) == 3


def test_change_takes_effect_at_local_midnight(city, assign):
    assign(2, "2021-10-19")
    assign(1, "2021-11-02")
    venue = VenueFactory(region=city.children.first())
    wib = dt.timezone(dt.timedelta(hours=7))
    before = dt.datetime(2021, 11, 1, 23, 59, tzinfo=wib)
    after = dt.datetime(2021, 11, 2, 0, 0, tzinfo=wib)
    assert policy_for(venue=venue, at=before).level == 2
    assert policy_for(venue=venue, at=after).level == 1
    # The same instants in UTC: 16:59 and 17:00 on 1 November.
    assert policy_for(venue=venue, at=before.astimezone(dt.UTC)).level == 2
    assert policy_for(venue=venue, at=after.astimezone(dt.UTC)).level == 1


def test_most_specific_region_wins(city, assign):
    district = city.children.order_by("code").first()
    other_district = city.children.order_by("code").last()
    province = city.parent
    assign(3, "2021-10-01", region=province)
    assign(2, "2021-10-19")
    assign(4, "2021-10-25", region=district)
    assign(1, "2021-11-02")
    on = D("2021-11-03")
    assert level_for(region=province, on=on) == 3
    assert level_for(region=city, on=on) == 1
    assert level_for(region=other_district, on=on) == 1
    # The kecamatan keeps its own level although its city moved later.
    assert level_for(region=district, on=on) == 4
    # Before the kecamatan's own level starts, the city's applies.
    assert level_for(region=district, on=D("2021-10-24")) == 2
    # Before the city had one, the province's.
    assert level_for(region=district, on=D("2021-10-10")) == 3


def test_other_regions_are_unaffected(city, other_city, assign):
    assign(2, "2021-10-19")
    assert level_for(region=other_city, on=D("2021-10-20")) == 0


def test_history_is_kept(city, assign):
    assign(2, "2021-10-19")
    assign(1, "2021-11-02")
    rows = list(LevelAssignment.objects.filter(region=city).order_by("effective_from"))
    assert [(r.level, r.effective_from) for r in rows] == [
        (2, D("2021-10-19")),
        (1, D("2021-11-02")),
    ]


def test_same_region_and_date_twice_is_refused(city, assign):
    assign(2, "2021-10-19")
    with pytest.raises(PpkmError) as exc:
        assign(3, "2021-10-19")
    assert exc.value.code == PpkmErrorCode.ALREADY_SCHEDULED
    assert LevelAssignment.objects.get(region=city).level == 2


@pytest.mark.parametrize("level", [0, 5])
def test_level_outside_1_to_4_is_refused(city, assign, level):
    with pytest.raises(PpkmError) as exc:
        assign(level, "2021-10-19")
    assert exc.value.code == PpkmErrorCode.INVALID_LEVEL


def test_reason_is_required(city, city_admin):
    with pytest.raises(PpkmError) as exc:
        assign_level(
            region=city, level=2, effective_from=D("2021-10-19"), actor=city_admin, reason=" "
        )
    assert exc.value.code == PpkmErrorCode.REASON_REQUIRED


def test_city_admin_sets_levels_in_own_city_and_it_is_audited(city, city_admin):
    district = city.children.first()
    for region in (city, district):
        assignment = assign_level(
            region=region,
            level=2,
            effective_from=D("2021-10-19"),
            actor=city_admin,
            reason="Inmendagri 53/2021",
        )
        assert assignment.set_by == city_admin
        event = AuditEvent.objects.get(action="ppkm.level_assigned", object_id=str(assignment.pk))
        assert event.actor == city_admin
        assert event.detail == {
            "region": region.code,
            "level": 2,
            "effective_from": "2021-10-19",
            "reason": "Inmendagri 53/2021",
        }


def test_city_admin_cannot_set_another_city_or_the_province(city, other_city, city_admin):
    for region in (other_city, city.parent):
        with pytest.raises(PpkmError) as exc:
            assign_level(
                region=region, level=2, effective_from=D("2021-10-19"), actor=city_admin, reason="x"
            )
        assert exc.value.code == PpkmErrorCode.OUTSIDE_JURISDICTION
    assert not LevelAssignment.objects.exists()
    assert not AuditEvent.objects.filter(action="ppkm.level_assigned").exists()


@pytest.mark.parametrize(
    "role", [Role.AGENCY_OFFICER, Role.ENFORCEMENT_OFFICER, Role.HEALTH_OFFICER, Role.VENUE_MANAGER]
)
def test_other_roles_cannot_set_levels(city, make_user, role):
    officer = make_user(role, region=city)
    with pytest.raises(PpkmError) as exc:
        assign_level(
            region=city, level=2, effective_from=D("2021-10-19"), actor=officer, reason="x"
        )
    assert exc.value.code == PpkmErrorCode.FORBIDDEN


def test_issuer_sets_any_region(city, other_city, issuer):
    for region in (city, other_city, city.parent):
        assign_level(
            region=region, level=3, effective_from=D("2021-10-19"), actor=issuer, reason="x"
        )
    assert LevelAssignment.objects.count() == 3
