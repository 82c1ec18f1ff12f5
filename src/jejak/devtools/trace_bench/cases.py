"""The cases the tracing benchmarks trace (`jejak bench-trace`, `jejak bench-national`),
and the percentile they report."""

from __future__ import annotations

import datetime as dt
import math
import random

from jejak.checkins.models import CheckIn
from jejak.devtools.trace_bench import data


def pick_cases(
    count: int, world: data.World, window_days: int, rng: random.Random
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """Random people with at least three admitted visits in a window of `window_days`
    ending between the window's length and the end of the data."""
    cases: list[tuple[int, dt.datetime, dt.datetime]] = []
    length = dt.timedelta(days=window_days)
    latest = world.days - window_days
    for _ in range(count * 200):
        if len(cases) == count:
            break
        person_id = world.first_person_id + rng.randrange(world.people)
        end = world.day0 + length + dt.timedelta(seconds=rng.randrange(max(1, latest) * 86400))
        start = end - length
        visits = CheckIn.objects.filter(
            person_id=person_id, checked_in_at__gte=start, checked_in_at__lt=end
        ).count()
        if visits >= 3:
            cases.append((person_id, start, end))
    return cases


def nearest_rank(ordered: list[float], share: float) -> float:
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
