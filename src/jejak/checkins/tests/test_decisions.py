"""The entry decision: every per-person reason code, stored with its rule set and policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.checkins import alerts
from jejak.checkins.alerts import alert_recipients
from jejak.checkins.models import BlackStatusAlert, CheckIn, VenueOccupancy
from jejak.checkins.tests.conftest import add_child, add_person
from jejak.rosters.tests.factories import put_on_roster
from jejak.screening.tests.factories import antigen_negative

pytestmark = pytest.mark.django_db


def only(result: dict[str, Any]) -> dict[str, Any]:
    [person] = result["people"]
    return person


def test_green_guest_is_allowed_and_stored_with_rule_set_and_policy(visitor, check_in, hotel):
    result = check_in(visitor)
    person = only(result)
    assert (person["decision"], person["reasons"], person["colour"]) == ("allowed", [], "hijau")
    assert result["crowd"] == {"inside": 1, "capacity": 100}
    assert result["venue"]["name"] == "Hotel Cisadane"
    assert result["entry_point"]["name"] == "Pintu Utara"
    row = CheckIn.objects.get(public_id=person["checkin"])
    assert row.rule_set == "2022-07-17"
    assert row.policy == {"level": 2, "rule_id": 7, "rule_version": 3}
    assert row.planned_checkout_at - row.checked_in_at == dt.timedelta(minutes=60)
    assert VenueOccupancy.objects.get(venue=hotel).inside == 1


def test_policy_max_stay_shortens_the_stay(visitor, check_in, policy):
    policy(max_stay_minutes=30)
    row = CheckIn.objects.get(public_id=only(check_in(visitor))["checkin"])
    assert row.planned_checkout_at - row.checked_in_at == dt.timedelta(minutes=30)


def test_black_status_is_refused_alerted_and_audited(
    make_visitor, check_in, hotel, make_user, city, other_city, django_capture_on_commit_callbacks
):
    staff = make_user(Role.VENUE_STAFF, venues=[hotel])
    officer = make_user(Role.HEALTH_OFFICER, region=city)
    make_user(Role.HEALTH_OFFICER, region=other_city)
    make_user(Role.VENUE_STAFF)
    visitor = make_visitor("hitam")
    person = only(check_in(visitor))
    assert (person["decision"], person["reasons"]) == ("denied", ["status_black"])
    alert = BlackStatusAlert.objects.get()
    # Without a task worker the periodic sweep notifies (test_black_alert_delivery.py).
    with django_capture_on_commit_callbacks(execute=True):
        alerts.notify_unnotified_alerts(older_than=0)
    assert alert.venue == hotel and alert.checkin.public_id == person["checkin"]
    assert alert.home_region_code == "36.71"
    assert {u.pk for u in alert_recipients(alert=alert)} == {staff.pk, officer.pk}
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["checkins.black_status_refused", "checkins.black_status_alert_sent"]
    assert VenueOccupancy.objects.get(venue=hotel).inside == 0


def test_red_guest_is_refused_but_red_employee_enters(make_visitor, check_in, hotel):
    red = make_visitor("merah")
    put_on_roster(hotel, account=red)
    assert only(check_in(red))["reasons"] == ["status_red"]
    assert only(check_in(red, visitor_type="employee"))["decision"] == "allowed"


def test_yellow_guest_enters_after_staff_check_where_admitted(make_visitor, check_in, policy):
    yellow = make_visitor("kuning")
    assert only(check_in(yellow))["decision"] == "allowed_after_staff_check"


def test_yellow_guest_is_refused_where_only_green_enters(make_visitor, check_in, policy):
    policy(guest_colours=frozenset({"hijau"}))
    assert only(check_in(make_visitor("kuning")))["reasons"] == ["status_yellow"]


def test_a_colour_the_policy_does_not_admit_is_refused(visitor, check_in, policy):
    policy(guest_colours=frozenset())
    assert only(check_in(visitor))["reasons"] == ["colour_not_admitted"]


def test_outside_hours_refuses_guests_not_employees(visitor, check_in, policy, hotel):
    put_on_roster(hotel, account=visitor)
    now = timezone.localtime()
    policy(
        opens_at=(now + dt.timedelta(hours=2)).time(),
        closes_at=(now + dt.timedelta(hours=3)).time(),
    )
    assert only(check_in(visitor))["reasons"] == ["outside_hours"]
    assert only(check_in(visitor, visitor_type="employee"))["decision"] == "allowed"


def test_capacity_full_refuses_guests_but_not_employees(make_visitor, check_in, make_venue, policy):
    small = make_venue(capacity=2)
    for _ in range(2):
        assert only(check_in(make_visitor(), venue=small))["decision"] == "allowed"
    late = check_in(make_visitor(), venue=small)
    assert only(late)["reasons"] == ["capacity_full"]
    assert late["crowd"] == {"inside": 2, "capacity": 2}
    employee = make_visitor()
    put_on_roster(small, account=employee)
    worker = check_in(employee, venue=small, visitor_type="employee")
    assert only(worker)["decision"] == "allowed"
    assert worker["crowd"] == {"inside": 3, "capacity": 2}


def test_capacity_is_the_policy_percentage(visitor, check_in, policy, make_venue):
    policy(capacity_percent=50)
    assert check_in(visitor, venue=make_venue(capacity=9))["crowd"]["capacity"] == 4


def test_child_needs_an_admitted_adult_with_parent_rule(visitor, check_in, policy):
    policy(children_rule="with_parent")
    child = add_child(visitor)
    alone = check_in(visitor, people=[child.public_id])
    assert only(alone)["reasons"] == ["age_restricted"]
    together = check_in(visitor, people=[child.public_id, "self"])
    assert [p["decision"] for p in together["people"]] == ["allowed", "allowed"]
    assert [p["person"] for p in together["people"]] == [child.public_id, "self"]


def test_child_with_parent_is_refused_when_the_parent_is_refused(make_visitor, check_in, policy):
    policy(children_rule="with_parent")
    red = make_visitor("merah")
    child = add_child(red)
    result = check_in(red, people=["self", child.public_id])
    assert [p["reasons"] for p in result["people"]] == [["status_red"], ["age_restricted"]]


def test_child_needs_a_negative_test_at_hotels(visitor, check_in, policy):
    policy(children_rule="negative_test")
    untested = add_child(visitor)
    tested = add_child(visitor, records=[antigen_negative(hours_ago=3)])
    result = check_in(visitor, people=[untested.public_id, tested.public_id])
    assert [p["reasons"] for p in result["people"]] == [["age_restricted"], []]


def test_children_denied_rule_refuses_children(visitor, check_in, policy):
    policy(children_rule="denied")
    child = add_child(visitor)
    result = check_in(visitor, people=["self", child.public_id])
    assert [p["reasons"] for p in result["people"]] == [[], ["age_restricted"]]


def test_several_reasons_are_all_given(make_visitor, check_in, policy):
    now = timezone.localtime()
    policy(
        opens_at=(now + dt.timedelta(hours=2)).time(),
        closes_at=(now + dt.timedelta(hours=3)).time(),
    )
    assert only(check_in(make_visitor("merah")))["reasons"] == ["status_red", "outside_hours"]


def test_a_family_is_checked_in_together(visitor, check_in, hotel):
    spouse = add_person(visitor, "kuning", relation="spouse", full_name="Siti")
    result = check_in(visitor, people=["self", spouse.public_id])
    assert [p["decision"] for p in result["people"]] == ["allowed", "allowed_after_staff_check"]
    assert result["crowd"]["inside"] == 2
    assert CheckIn.objects.filter(venue=hotel).count() == 2
