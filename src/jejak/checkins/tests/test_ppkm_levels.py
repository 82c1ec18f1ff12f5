"""With the real PPKM data: a level change takes effect at its date and changes capacity."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from jejak.checkins import occupancy, record
from jejak.checkins.tests.conftest import code_of
from jejak.ppkm import service as ppkm

pytestmark = pytest.mark.django_db
JKT = ZoneInfo("Asia/Jakarta")


def test_level_change_at_its_effective_date_changes_capacity(visitor, hotel, city):
    today = timezone.localdate()
    ppkm.assign_level(region=city, level=2, effective_from=today, actor=None, reason="Uji L2")
    tomorrow = today + dt.timedelta(days=1)
    ppkm.assign_level(region=city, level=1, effective_from=tomorrow, actor=None, reason="Uji L1")
    midnight = dt.datetime.combine(tomorrow, dt.time(0, 0), tzinfo=JKT)

    def capacity_at(moment: dt.datetime) -> tuple[int, dict]:
        result = record.record_checkins(
            account=visitor,
            qr=code_of(hotel),
            nonce=uuid.uuid4(),
            people=["self"],
            visitor_type="guest",
            now=moment,
        ).data
        return result["crowd"]["capacity"], result["policy"]

    before, policy_before = capacity_at(midnight - dt.timedelta(minutes=1))
    after, policy_after = capacity_at(midnight + dt.timedelta(minutes=1))
    assert (before, after) == (50, 75)  # hotels: 50 % at Level 2, 75 % at Level 1
    assert (policy_before["level"], policy_after["level"]) == (2, 1)
    assert occupancy.crowd(venue=hotel, now=midnight)["capacity"] == 75
