from __future__ import annotations

import datetime as dt

from jejak.ppkm.demo import reset_demo_levels, seed_demo_levels
from jejak.ppkm.models import LevelAssignment
from jejak.ppkm.service import level_for


def test_demo_puts_tangerang_on_level_2_then_level_1(city):
    seed_demo_levels()
    seed_demo_levels()  # idempotent
    assert LevelAssignment.objects.filter(region=city).count() == 2
    assert level_for(region=city, on=dt.date(2021, 10, 18)) == 0
    assert level_for(region=city, on=dt.date(2021, 11, 1)) == 2
    assert level_for(region=city, on=dt.date(2021, 11, 2)) == 1
    assert "Inmendagri 53/2021" in LevelAssignment.objects.get(level=2).reason
    reset_demo_levels()
    assert level_for(region=city, on=dt.date(2021, 11, 2)) == 0
