"""Sector rules: the issuer edits them through the service; every change is versioned,
validated and audited."""

from __future__ import annotations

import datetime as dt

import pytest

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.ppkm.errors import PpkmError, PpkmErrorCode
from jejak.ppkm.models import SectorRule
from jejak.ppkm.service import create_sector_rule, update_sector_rule
from jejak.sectors.models import Sector


@pytest.fixture
def mall_l2(db):
    return SectorRule.objects.get(level=2, sector__slug="pusat-perbelanjaan")


def test_issuer_updates_a_rule_with_version_bump_and_audit(mall_l2, issuer):
    saved = update_sector_rule(
        rule=mall_l2, actor=issuer, capacity_percent=75, closes_at=dt.time(22, 0)
    )
    assert (saved.version, saved.capacity_percent, saved.updated_by) == (2, 75, issuer)
    mall_l2.refresh_from_db()
    assert (mall_l2.version, mall_l2.capacity_percent) == (2, 75)
    event = AuditEvent.objects.get(action="ppkm.sector_rule_changed")
    assert event.actor == issuer
    assert event.object_id == str(mall_l2.pk)
    assert event.detail == {
        "level": 2,
        "sector": mall_l2.sector_id,
        "version": 2,
        "changes": {"capacity_percent": [50, 75], "closes_at": ["21:00:00", "22:00:00"]},
    }
    update_sector_rule(rule=mall_l2, actor=issuer, max_stay_minutes=180)
    mall_l2.refresh_from_db()
    assert mall_l2.version == 3


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.AGENCY_OFFICER, Role.VENUE_MANAGER])
def test_only_the_issuer_edits_rules(mall_l2, make_user, city, role):
    officer = make_user(role, region=city)
    with pytest.raises(PpkmError) as exc:
        update_sector_rule(rule=mall_l2, actor=officer, capacity_percent=100)
    assert exc.value.code == PpkmErrorCode.FORBIDDEN
    mall_l2.refresh_from_db()
    assert (mall_l2.version, mall_l2.capacity_percent) == (1, 50)
    assert not AuditEvent.objects.filter(action="ppkm.sector_rule_changed").exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"capacity_percent": 101},
        {"capacity_percent": -1},
        {"capacity_max_people": 0},
        {"guest_colours": ["hijau", "hitam"]},
        {"employee_colours": ["ungu"]},
        {"staff_check_colours": ["merah"]},  # not admitted as a guest at all
        {"children_rule": "sometimes"},
        {"children_age_below": 0},
        {"opens_at": "10:00"},
        {"colour": "hijau"},  # not a rule field
    ],
)
def test_invalid_changes_are_refused(mall_l2, issuer, changes):
    with pytest.raises(PpkmError) as exc:
        update_sector_rule(rule=mall_l2, actor=issuer, **changes)
    assert exc.value.code == PpkmErrorCode.INVALID_RULE
    mall_l2.refresh_from_db()
    assert mall_l2.version == 1


def test_colours_are_stored_once_in_order(mall_l2, issuer):
    saved = update_sector_rule(
        rule=mall_l2, actor=issuer, guest_colours=["kuning", "hijau", "hijau"]
    )
    assert saved.guest_colours == ["hijau", "kuning"]


def test_issuer_adds_a_rule_for_a_new_sub_category(issuer):
    cafe = Sector.objects.create(
        slug="kafe", name_id="Kafe", name_en="Cafés", parent=Sector.objects.get(slug="rumah-makan")
    )
    rule = create_sector_rule(
        level=2,
        sector=cafe,
        actor=issuer,
        capacity_percent=50,
        guest_colours=["hijau"],
        employee_colours=["hijau", "kuning"],
        max_stay_minutes=60,
    )
    assert rule.version == 1
    assert AuditEvent.objects.filter(action="ppkm.sector_rule_added", object_id=str(rule.pk))
    with pytest.raises(PpkmError):
        create_sector_rule(level=2, sector=cafe, actor=issuer, capacity_percent=50)
