"""Issue 20, point 4: thresholds and scores from the exact overlaps, to the microsecond;
what officers read never rounds a contact over a threshold it did not reach."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from jejak.tracing.overlap import SharedVisit, to_micros
from jejak.tracing.scoring import Weights, duration, rank

T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NO_WEIGHTS = Weights(by_sector={}, parents={})  # every venue: weight 1.0, minimum 15 min


def shared(venue_id: int, start: dt.datetime, length: dt.timedelta) -> SharedVisit:
    return SharedVisit(
        case_checkin_id=venue_id,
        contact_checkin_id=100 + venue_id,
        contact_person_id=7,
        venue_id=venue_id,
        sector_id=1,
        contact_visitor_type="guest",
        start_us=to_micros(start),
        end_us=to_micros(start + length),
    )


def test_a_contact_a_fraction_under_15_minutes_is_not_close_and_reads_so():
    [contact] = rank([shared(1, T0, dt.timedelta(minutes=14, seconds=59.999))], NO_WEIGHTS)
    assert not contact.is_close
    assert contact.score == Decimal("14.9")  # rounded down: never "15.0, not close"
    assert duration(contact.microseconds) == "14:59"
    assert contact.seconds == 14 * 60 + 59


def test_exactly_15_minutes_is_close():
    [contact] = rank([shared(1, T0, dt.timedelta(minutes=15))], NO_WEIGHTS)
    assert contact.is_close and contact.score == Decimal("15.0")
    assert duration(contact.microseconds) == "15:00"


def test_fractions_of_seconds_add_up_across_venues():
    # 7:30.5 + 7:29.5 = 15:00 exactly: floored per interval it read 14:59 and not close.
    [contact] = rank(
        [
            shared(1, T0, dt.timedelta(minutes=7, seconds=30.5)),
            shared(2, T0 + dt.timedelta(hours=2), dt.timedelta(minutes=7, seconds=29.5)),
        ],
        NO_WEIGHTS,
    )
    assert contact.microseconds == 15 * 60 * 1_000_000
    assert contact.is_close
    assert contact.seconds == 15 * 60


DAY = dt.timedelta(hours=24)
MIN = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


def test_minutes_on_distant_days_do_not_add_up():
    # Issue 20, point 1: 5 minutes on day 1 and 10 on day 12 are two brief encounters.
    visits = [shared(1, T0, 5 * MIN), shared(2, T0 + 11 * DAY, 10 * MIN)]
    [contact] = rank(visits, NO_WEIGHTS, within=DAY)
    assert not contact.is_close
    # Summed over the whole window (the rule before, JEJAK_TRACE_THRESHOLD_HOURS=0).
    [before] = rank(visits, NO_WEIGHTS, within=None)
    assert before.is_close


def test_fifteen_minutes_within_24_hours_to_the_second():
    # 10 minutes from T0, then 5 minutes ending exactly 24 h after T0: one span holds both.
    inside = [shared(1, T0, 10 * MIN), shared(2, T0 + DAY - 5 * MIN, 5 * MIN)]
    [contact] = rank(inside, NO_WEIGHTS, within=DAY)
    assert contact.is_close
    # One second later, no span of 24 h holds more than 14:59.
    later = [shared(1, T0, 10 * MIN), shared(2, T0 + DAY - 5 * MIN + SECOND, 5 * MIN)]
    [contact] = rank(later, NO_WEIGHTS, within=DAY)
    assert not contact.is_close
    assert contact.exposure == Fraction(14 * 60 + 59, 15 * 60)
