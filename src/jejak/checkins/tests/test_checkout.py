"""Check-out in each of its ways, each recorded; occupancy follows."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.checkins import checkout, occupancy, tasks
from jejak.checkins.errors import CheckInError
from jejak.checkins.models import CheckIn, VenueOccupancy

pytestmark = pytest.mark.django_db


def inside(venue) -> int:
    return VenueOccupancy.objects.get(venue=venue).inside


def test_rescan_of_the_same_venue_checks_out(visitor, check_in, hotel):
    first = check_in(visitor)
    from jejak.checkins.tests.conftest import code_of

    second = check_in(visitor, qr=code_of(hotel, position=1))  # the other entrance
    [person] = second["people"]
    assert person["action"] == "check_out"
    assert person["checkin"] == first["people"][0]["checkin"]
    assert person["checkout_method"] == "rescan"
    assert second["crowd"]["inside"] == 0 and inside(hotel) == 0
    assert CheckIn.objects.count() == 1


def test_check_in_elsewhere_closes_the_previous_stay(visitor, check_in, hotel, make_venue):
    mall = make_venue(name="Mal")
    first = check_in(visitor)
    check_in(visitor, venue=mall)
    previous = CheckIn.objects.get(public_id=first["people"][0]["checkin"])
    assert previous.checkout_method == "elsewhere" and previous.checked_out_at is not None
    assert (inside(hotel), inside(mall)) == (0, 1)
    assert CheckIn.objects.filter(checked_out_at__isnull=True).count() == 1


def test_explicit_check_out_is_idempotent(visitor, check_in, hotel):
    public_id = check_in(visitor)["people"][0]["checkin"]
    done = checkout.check_out(account=visitor, checkin_public_id=public_id)
    assert done.checkout_method == "explicit" and inside(hotel) == 0
    again = checkout.check_out(account=visitor, checkin_public_id=public_id)
    assert again.checked_out_at == done.checked_out_at and inside(hotel) == 0


def test_check_out_of_a_refused_entry_or_someone_else(visitor, make_visitor, check_in):
    refused = check_in(make_visitor("merah"))["people"][0]["checkin"]
    mine = check_in(visitor)["people"][0]["checkin"]
    red_account = CheckIn.objects.get(public_id=refused).account
    with pytest.raises(CheckInError) as caught:
        checkout.check_out(account=red_account, checkin_public_id=refused)
    assert caught.value.code == "not_checked_in"
    with pytest.raises(CheckInError) as caught:
        checkout.check_out(account=red_account, checkin_public_id=mine)
    assert caught.value.code == "checkin_not_found"


def test_staff_check_everyone_out(make_visitor, check_in, hotel, issuer):
    for _ in range(3):
        check_in(make_visitor())
    assert checkout.check_out_everyone(venue=hotel, actor=issuer) == 3
    assert inside(hotel) == 0
    assert set(CheckIn.objects.values_list("checkout_method", flat=True)) == {"staff_all"}
    event = AuditEvent.objects.get(action="checkins.checked_out_everyone")
    assert event.detail == {"count": 3} and event.actor == issuer


def test_lazy_automatic_check_out_when_the_next_visitor_comes(make_visitor, check_in, hotel):
    early = check_in(make_visitor())["people"][0]["checkin"]
    later = timezone.now() + dt.timedelta(minutes=61)
    # Reads subtract stays that are over without writing.
    assert occupancy.crowd(venue=hotel, now=later)["inside"] == 0
    assert inside(hotel) == 1
    result = check_in(make_visitor(), now=later)
    assert result["crowd"]["inside"] == 1
    closed = CheckIn.objects.get(public_id=early)
    assert closed.checkout_method == "automatic"
    assert closed.checked_out_at == closed.planned_checkout_at


def test_periodic_automatic_check_out(make_visitor, check_in, hotel, make_venue, monkeypatch):
    mall = make_venue(name="Mal")
    check_in(make_visitor())
    check_in(make_visitor(), venue=mall)
    later = timezone.now() + dt.timedelta(minutes=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    result = tasks.auto_checkout.enqueue()
    assert result.return_value == 2
    assert (inside(hotel), inside(mall)) == (0, 0)
    assert set(CheckIn.objects.values_list("checkout_method", flat=True)) == {"automatic"}


def test_auto_checkout_command(make_visitor, check_in, monkeypatch):
    check_in(make_visitor())
    out = io.StringIO()
    call_command("auto_checkout", stdout=out)
    assert out.getvalue().strip() == "0 checked out"
    later = timezone.now() + dt.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    call_command("auto_checkout", stdout=out)
    assert out.getvalue().strip().endswith("1 checked out")


def test_the_lazy_sweep_waits_until_a_stay_can_be_over(make_visitor, check_in, hotel):
    first = CheckIn.objects.get(public_id=check_in(make_visitor())["people"][0]["checkin"])
    due = VenueOccupancy.objects.get(venue=hotel).sweep_due_at
    assert due == first.planned_checkout_at
    check_in(make_visitor(), now=due - dt.timedelta(minutes=30))  # nothing over: no sweep
    assert VenueOccupancy.objects.get(venue=hotel).sweep_due_at == due  # the earliest end
    assert CheckIn.objects.filter(checkout_method="automatic").count() == 0
    result = check_in(make_visitor(), now=due)
    first.refresh_from_db()
    assert first.checkout_method == "automatic" and result["crowd"]["inside"] == 2
    second = CheckIn.objects.exclude(pk=first.pk).order_by("id").first()
    assert VenueOccupancy.objects.get(venue=hotel).sweep_due_at == second.planned_checkout_at
