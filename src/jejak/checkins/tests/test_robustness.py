"""Refusals of whole requests, idempotency by nonce, the offline window, the burst limit,
the radius check."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from jejak.checkins import record, scan
from jejak.checkins.errors import CheckInError
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.checkins.tests.conftest import add_child, code_of
from jejak.qrcodes.errors import QrError
from jejak.qrcodes.service import dynamic_token
from jejak.screening.errors import ErrorCode, ScreeningError
from jejak.venues.workflow import do_transition

pytestmark = pytest.mark.django_db


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises((CheckInError, QrError)) as caught:
        call(*args, **kwargs)
    return caught.value.code.value


def test_reupload_same_nonce_returns_the_first_result_and_stores_nothing(visitor, check_in):
    nonce = uuid.uuid4()
    first = check_in(visitor, nonce=nonce)
    again = check_in(visitor, nonce=nonce)
    assert again == first
    assert CheckIn.objects.count() == 1 and CheckInRequest.objects.count() == 1


def test_replay_wins_over_a_code_that_has_since_expired(visitor, check_in, hotel):
    nonce = uuid.uuid4()
    entry = hotel.entry_points.first()
    token, expires = dynamic_token(entry_point=entry)
    first = check_in(visitor, nonce=nonce, qr=token)
    later = expires + dt.timedelta(minutes=5)
    assert check_in(visitor, nonce=nonce, qr=token, now=later) == first


def test_replay_of_a_rescan_is_still_a_check_out(visitor, check_in):
    check_in(visitor)
    nonce = uuid.uuid4()
    out = check_in(visitor, nonce=nonce)
    assert out["people"][0]["action"] == "check_out"
    assert check_in(visitor, nonce=nonce) == out
    assert CheckIn.objects.get().checkout_method == "rescan"


def test_expired_dynamic_code_is_refused(visitor, check_in, hotel):
    entry = hotel.entry_points.first()
    token, _ = dynamic_token(entry_point=entry, now=timezone.now() - dt.timedelta(minutes=10))
    assert refusal(check_in, visitor, qr=token) == "qr_expired"
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize(
    ("action", "code"), [("suspend", "qr_suspended"), ("revoke", "qr_revoked")]
)
def test_suspended_or_revoked_venue_is_refused(visitor, check_in, hotel, issuer, action, code):
    qr = code_of(hotel)
    do_transition(venue=hotel, action=action, actor=issuer, reason="Pelanggaran prokes")
    assert refusal(check_in, visitor, qr=qr) == code


def test_garbage_code_is_malformed(visitor, check_in):
    assert refusal(check_in, visitor, qr="https://example.org/nope") == "qr_malformed"


def test_people_of_another_account_are_unknown(visitor, make_visitor, check_in):
    other = make_visitor()
    child = add_child(other)
    assert refusal(check_in, visitor, people=[child.public_id]) == "person_unknown"
    assert refusal(check_in, visitor, people=["self", "nonexistent"]) == "person_unknown"
    assert CheckIn.objects.count() == 0


def test_self_without_a_profile_is_unknown(make_user, check_in):
    from jejak.accounts.roles import Role

    assert refusal(check_in, make_user(Role.VISITOR)) == "person_unknown"


@pytest.mark.parametrize(
    ("offset", "outcome"),
    [
        (dt.timedelta(hours=-23), "ok"),
        (dt.timedelta(hours=-25), "scan_too_old"),
        (dt.timedelta(minutes=1), "ok"),
        (dt.timedelta(minutes=5), "scan_in_future"),
    ],
)
def test_offline_window(visitor, check_in, offset, outcome):
    scanned_at = timezone.now() + offset
    if outcome == "ok":
        result = check_in(visitor, scanned_at=scanned_at)
        assert result["people"][0]["decision"] == "allowed"
    else:
        assert refusal(check_in, visitor, scanned_at=scanned_at) == outcome


def test_offline_scan_is_recorded_at_its_scan_time(visitor, check_in):
    scanned_at = timezone.now() - dt.timedelta(minutes=20)
    row = CheckIn.objects.get(
        public_id=check_in(visitor, scanned_at=scanned_at)["people"][0]["checkin"]
    )
    assert row.checked_in_at == scanned_at and row.received_at > scanned_at
    assert row.checked_out_at is None


def test_offline_scan_whose_stay_is_over_is_stored_closed(visitor, check_in, hotel):
    result = check_in(visitor, scanned_at=timezone.now() - dt.timedelta(hours=23))
    row = CheckIn.objects.get()
    assert row.decision == "allowed" and row.checkout_method == "automatic"
    assert row.checked_out_at == row.planned_checkout_at
    assert result["crowd"]["inside"] == 0


def test_burst_limit(visitor, check_in, settings):
    settings.JEJAK_CHECKINS_PER_MINUTE = 3
    for _ in range(3):
        check_in(visitor)
    assert refusal(check_in, visitor) == "too_many_requests"
    later = timezone.now() + dt.timedelta(minutes=2)
    assert check_in(visitor, now=later)["people"]


def test_too_far_from_the_venue(visitor, check_in, make_venue):
    venue = make_venue(latitude="-6.178000", longitude="106.630000")
    far = scan.Location(lat=-6.178, lon=106.680, accuracy_m=20)  # about 5.5 km east
    assert refusal(check_in, visitor, venue=venue, location=far) == "too_far"
    vague = scan.Location(lat=-6.178, lon=106.680, accuracy_m=5000)
    assert check_in(visitor, venue=venue, location=vague)["people"]


def test_near_the_venue_or_no_coordinates_is_fine(visitor, check_in, make_venue):
    venue = make_venue(latitude="-6.178000", longitude="106.630000")
    near = scan.Location(lat=-6.1785, lon=106.6305, accuracy_m=10)
    assert check_in(visitor, venue=venue, location=near)["people"][0]["decision"] == "allowed"
    far = scan.Location(lat=0, lon=0)
    assert check_in(visitor, location=far)["people"]  # the hotel has no coordinates


def test_no_rule_set_refuses(visitor, check_in, monkeypatch):
    def none(**kwargs):
        raise ScreeningError(ErrorCode.NO_RULE_SET)

    monkeypatch.setattr(record.screening, "statuses", none)
    assert refusal(check_in, visitor) == "no_rule_set"
    assert CheckIn.objects.count() == 0
