"""record_staff_checkin: the same decision for a visitor without a smartphone."""

from __future__ import annotations

import uuid

import pytest

from jejak.accounts.roles import Role
from jejak.checkins import record
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.checkins.tests.conftest import add_person
from jejak.qrcodes.errors import QrError

pytestmark = pytest.mark.django_db


def staff_check_in(staff, hotel, person, **kwargs):
    kwargs.setdefault("nonce", uuid.uuid4())
    kwargs.setdefault("visitor_type", "guest")
    entry_point = hotel.entry_points.order_by("position").first()
    return record.record_staff_checkin(
        staff=staff, entry_point=entry_point, person=person, **kwargs
    ).data


def test_staff_check_in_stores_the_decision_under_the_staff_account(
    make_user, make_visitor, hotel, policy
):
    staff = make_user(Role.VENUE_STAFF, venues=[hotel])
    person = make_visitor("kuning").people.get()
    data = staff_check_in(staff, hotel, person)
    [entry] = data["people"]
    assert entry["decision"] == "allowed_after_staff_check" and entry["colour"] == "kuning"
    row = CheckIn.objects.get(public_id=entry["checkin"])
    assert row.person == person and row.account == staff and row.entry_point.venue == hotel
    assert data["crowd"]["inside"] == 1


def test_black_status_is_denied_and_alerted(make_user, make_visitor, hotel, policy):
    staff = make_user(Role.VENUE_STAFF, venues=[hotel])
    person = make_visitor("hitam").people.get()
    [entry] = staff_check_in(staff, hotel, person)["people"]
    assert entry["decision"] == "denied" and entry["reasons"] == ["status_black"]
    assert CheckIn.objects.get(public_id=entry["checkin"]).alert is not None


def test_retry_with_the_same_nonce_answers_the_first_result(make_user, visitor, hotel, policy):
    staff = make_user(Role.VENUE_STAFF, venues=[hotel])
    person = add_person(visitor, "hijau", relation="child", full_name="Anak")
    nonce = uuid.uuid4()
    first = staff_check_in(staff, hotel, person, nonce=nonce)
    again = staff_check_in(staff, hotel, person, nonce=nonce)
    assert again == first
    assert CheckInRequest.objects.filter(account=staff).count() == 1


def test_a_suspended_venue_refuses(make_user, visitor, hotel, policy):
    staff = make_user(Role.VENUE_STAFF, venues=[hotel])
    hotel.status = "suspended"
    hotel.save(update_fields=["status"])
    with pytest.raises(QrError):
        staff_check_in(staff, hotel, visitor.people.get())
