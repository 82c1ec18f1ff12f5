"""The overlap search: boundaries of what counts as a shared visit, and how long it lasted."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.accounts.roles import Role
from jejak.accounts.tests.factories import UserFactory
from jejak.checkins.errors import Decision
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.regions.models import Region
from jejak.screening.tests.factories import make_person
from jejak.sectors.models import Sector
from jejak.tracing.overlap import Presence, SharedVisit, shared_visits, stay_end
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 17:00 in Jakarta
WINDOW = {"window_start": T0 - dt.timedelta(days=5), "window_end": T0 + dt.timedelta(days=5)}
NOW = T0 + dt.timedelta(days=7)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


_serials = iter(range(1, 10_000))


def new_person() -> Any:
    return make_person(UserFactory(role=Role.VISITOR), serial=next(_serials))


def visit(
    person: Any,
    venue: Venue,
    start: dt.datetime,
    *,
    out: dt.datetime | None = None,
    planned: dt.datetime | None = None,
    entrance: int = 0,
    decision: str = Decision.ALLOWED,
    visitor_type: str = "guest",
) -> CheckIn:
    """One check-in; `planned` defaults to an hour after `start`, `out` to none."""
    admitted = decision != Decision.DENIED
    request = CheckInRequest.objects.create(account=person.account, nonce=uuid.uuid4(), result={})
    return CheckIn.objects.create(
        request=request,
        person=person,
        account=person.account,
        venue=venue,
        entry_point=venue.entry_points.order_by("position")[entrance],
        visitor_type=visitor_type,
        decision=decision,
        colour="hijau",
        rule_set="test",
        scanned_at=start,
        received_at=start,
        checked_in_at=start if admitted else None,
        planned_checkout_at=(planned or start + dt.timedelta(hours=1)) if admitted else None,
        checked_out_at=out if admitted else None,
    )


@pytest.fixture
def place(city: Region, sector: Sector) -> Venue:
    return VenueFactory(
        region=city.children.first(), sector=sector, entrances=["Pintu Utara", "Pintu Selatan"]
    )


@pytest.fixture
def case() -> Any:
    return new_person()


def trace(case: Any, **kwargs: Any) -> list[SharedVisit]:
    return shared_visits(person_id=case.pk, **{**WINDOW, "now": NOW, **kwargs})


def test_touching_intervals_are_not_contacts(case: Any, place: Venue) -> None:
    # The case's 60-minute stay plus a 30-minute tail ends at T0 + 90 min.
    visit(case, place, T0, out=T0 + minutes(60))
    before, after = new_person(), new_person()
    visit(before, place, T0 - minutes(45), out=T0)
    visit(after, place, T0 + minutes(90), out=T0 + minutes(120))
    assert trace(case) == []


def test_14_and_15_minute_overlaps_are_measured_to_the_second(case: Any, place: Venue) -> None:
    visit(case, place, T0, out=T0 + minutes(60))  # tail to T0 + 90 min
    short, enough = new_person(), new_person()
    visit(short, place, T0 + minutes(76), out=T0 + minutes(200))
    visit(enough, place, T0 - minutes(30), out=T0 + minutes(15))
    found = {s.contact_person_id: s for s in trace(case)}
    assert found[short.pk].seconds == 14 * 60
    assert found[short.pk].start == T0 + minutes(76)
    assert found[short.pk].end == T0 + minutes(90)
    assert found[enough.pk].seconds == 15 * 60
    assert (found[enough.pk].start, found[enough.pk].end) == (T0, T0 + minutes(15))


def test_sub_second_overlap_counts_as_touching(case: Any, place: Venue) -> None:
    visit(case, place, T0, out=T0 + minutes(60))
    other = new_person()
    visit(other, place, T0 + minutes(90) - dt.timedelta(milliseconds=500), out=T0 + minutes(99))
    assert trace(case) == []


def test_open_checkout_counts_until_the_planned_checkout(case: Any, place: Venue) -> None:
    # The case never checked out: the stay runs to its planned end (2 h), tail 30 min.
    visit(case, place, T0, planned=T0 + minutes(120))
    other = new_person()
    visit(other, place, T0 + minutes(100), planned=T0 + minutes(200))
    [shared] = trace(case)
    assert shared.end == T0 + minutes(150)
    assert shared.seconds == 50 * 60


def test_contact_without_checkout_uses_its_planned_checkout(case: Any, place: Venue) -> None:
    visit(case, place, T0, out=T0 + minutes(120))
    other = new_person()
    visit(other, place, T0 - minutes(60), planned=T0 + minutes(20))
    [shared] = trace(case)
    assert (shared.start, shared.end, shared.seconds) == (T0, T0 + minutes(20), 20 * 60)


def test_stay_with_no_end_at_all_runs_until_now(case: Any, place: Venue) -> None:
    visit(case, place, T0, out=T0 + minutes(60))
    other = new_person()
    row = visit(other, place, T0 - minutes(10))
    CheckIn.objects.filter(pk=row.pk).update(planned_checkout_at=None)
    [shared] = trace(case, now=T0 + minutes(40))
    assert shared.end == T0 + minutes(40)


def test_aerosol_tail_is_the_shorter_of_the_stay_and_the_cap(case: Any, place: Venue) -> None:
    # A 10-minute stay leaves a 10-minute tail; a 3-hour stay a 30-minute one.
    visit(case, place, T0, out=T0 + minutes(10))
    visit(case, place, T0 + dt.timedelta(days=1), out=T0 + dt.timedelta(days=1, hours=3))
    late, later = new_person(), new_person()
    visit(late, place, T0 + minutes(12), out=T0 + minutes(60))
    visit(later, place, T0 + dt.timedelta(days=1, hours=3), out=T0 + dt.timedelta(days=1, hours=4))
    found = {s.contact_person_id: s.seconds for s in trace(case)}
    assert found == {late.pk: 8 * 60, later.pk: 30 * 60}


def test_aerosol_cap_is_configurable(case: Any, place: Venue) -> None:
    visit(case, place, T0, out=T0 + minutes(60))
    other = new_person()
    visit(other, place, T0 + minutes(60), out=T0 + minutes(120))
    assert [s.seconds for s in trace(case, presence=Presence(tail=minutes(5)))] == [5 * 60]
    assert trace(case, presence=Presence(tail=dt.timedelta(0))) == []


def test_the_window_clips_the_case_presence_and_the_tail_follows_it(
    case: Any, place: Venue
) -> None:
    # Issue 20, point 3: present 30..100 inside the window (70 min), then the tail
    # min(70, 30) = 30 min after it, even past the window's end.
    visit(case, place, T0, out=T0 + minutes(120))
    other = new_person()
    visit(other, place, T0 - minutes(30), out=T0 + minutes(180))
    [shared] = trace(case, window_start=T0 + minutes(30), window_end=T0 + minutes(100))
    assert (shared.start, shared.end, shared.seconds) == (
        T0 + minutes(30),
        T0 + minutes(130),
        100 * 60,
    )


def test_the_tail_continues_past_the_windows_end(case: Any, place: Venue) -> None:
    # The case left at the window's end (isolation): the air they left stays 30 min.
    visit(case, place, T0, out=T0 + minutes(60))
    other = new_person()
    visit(other, place, T0 + minutes(60), out=T0 + minutes(120))
    assert [s.seconds for s in trace(case, window_end=T0 + minutes(60))] == [30 * 60]
    assert [s.seconds for s in trace(case, window_end=T0 + minutes(70))] == [30 * 60]
    # Present 10 minutes before the window's end: a 10-minute tail, to the second.
    assert [s.seconds for s in trace(case, window_end=T0 + minutes(10))] == []
    [shared] = trace(case, window_start=T0 + minutes(50), window_end=T0 + minutes(60))
    assert (shared.start, shared.end) == (T0 + minutes(60), T0 + minutes(70))


def test_a_stay_that_ended_before_the_window_exposes_nobody(case: Any, place: Venue) -> None:
    # Its tail would reach into the window, but the case was not infectious then.
    visit(case, place, T0 - minutes(60), out=T0 - minutes(1))
    other = new_person()
    visit(other, place, T0, out=T0 + minutes(60))
    assert trace(case, window_start=T0) == []
    # Its last minute inside the window: a one-minute tail, to T0 exactly: touching.
    assert trace(case, window_start=T0 - minutes(2)) == []
    # Its last two minutes: a two-minute tail, one minute of it shared.
    [shared] = trace(case, window_start=T0 - minutes(3))
    assert (shared.start, shared.end, shared.seconds) == (T0, T0 + minutes(1), 60)


def test_visits_outside_the_window_are_ignored(case: Any, place: Venue) -> None:
    visit(case, place, T0 - dt.timedelta(days=6), out=T0 - dt.timedelta(days=6) + minutes(60))
    other = new_person()
    visit(other, place, T0 - dt.timedelta(days=6), out=T0 - dt.timedelta(days=6) + minutes(60))
    assert trace(case) == []


def test_a_stay_that_began_before_the_window_counts_from_its_start(case: Any, place: Venue) -> None:
    # Checked in 23 h before the window opens and still inside for an hour of it.
    start = WINDOW["window_start"] - dt.timedelta(hours=23)
    visit(case, place, start, out=start + dt.timedelta(hours=24))
    other = new_person()
    visit(other, place, start + dt.timedelta(hours=23, minutes=30), out=start + minutes(25 * 60))
    [shared] = trace(case, presence=Presence(tail=dt.timedelta(0)))
    assert shared.start == start + dt.timedelta(hours=23, minutes=30)
    assert shared.seconds == 30 * 60


def test_stays_spanning_midnight(case: Any, place: Venue) -> None:
    # 23:30 to 01:00 in Jakarta (16:30-18:00 UTC), tail to 01:30; a contact from 00:15.
    start = dt.datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    visit(case, place, start, out=start + minutes(90))
    other = new_person()
    visit(other, place, start + minutes(45), out=start + minutes(300))
    [shared] = trace(case)
    assert (shared.start, shared.end) == (start + minutes(45), start + minutes(120))
    assert shared.seconds == 75 * 60


def test_a_contact_who_checked_in_almost_a_day_earlier(case: Any, place: Venue) -> None:
    # The longest possible stay (24 h) overlaps: the index range must reach back that far.
    visit(case, place, T0, out=T0 + minutes(60))
    worker = new_person()
    visit(
        worker,
        place,
        T0 - dt.timedelta(hours=23, minutes=50),
        out=T0 + minutes(10),
        visitor_type="employee",
    )
    [shared] = trace(case)
    assert (shared.seconds, shared.contact_visitor_type) == (600, "employee")


def test_another_entrance_of_the_same_venue_counts(case: Any, place: Venue) -> None:
    visit(case, place, T0, out=T0 + minutes(60), entrance=0)
    other = new_person()
    visit(other, place, T0 + minutes(10), out=T0 + minutes(40), entrance=1)
    [shared] = trace(case)
    assert shared.seconds == 30 * 60
    assert (shared.venue_id, shared.sector_id) == (place.pk, place.sector_id)


def test_another_venue_does_not_count(case: Any, place: Venue, city: Region) -> None:
    elsewhere = VenueFactory(region=city.children.first(), sector=place.sector)
    visit(case, place, T0, out=T0 + minutes(60))
    other = new_person()
    visit(other, elsewhere, T0, out=T0 + minutes(60))
    assert trace(case) == []


def test_the_cases_own_visits_and_denied_checkins_are_excluded(case: Any, place: Venue) -> None:
    first = visit(case, place, T0, out=T0 + minutes(60))
    # The case's own second visit (inside the first one's tail), and a refused person.
    visit(case, place, T0 + minutes(70), out=T0 + minutes(80))
    refused = new_person()
    visit(refused, place, T0 + minutes(5), decision=Decision.DENIED)
    staff_checked = new_person()
    visit(
        staff_checked,
        place,
        T0 + minutes(5),
        out=T0 + minutes(25),
        decision=Decision.ALLOWED_AFTER_STAFF_CHECK,
    )
    found = trace(case)
    assert [(s.contact_person_id, s.case_checkin_id, s.seconds) for s in found] == [
        (staff_checked.pk, first.pk, 20 * 60)
    ]


def test_denied_case_checkins_find_nobody(case: Any, place: Venue) -> None:
    visit(case, place, T0, decision=Decision.DENIED)
    other = new_person()
    visit(other, place, T0 - minutes(5), out=T0 + minutes(60))
    assert trace(case) == []


def test_one_row_per_shared_visit_for_sums(case: Any, place: Venue) -> None:
    # Two visits with the same contact give two rows: the caller sums per person.
    first = visit(case, place, T0, out=T0 + minutes(30))
    second = visit(case, place, T0 + dt.timedelta(days=2), out=T0 + dt.timedelta(days=2, hours=1))
    other = new_person()
    a = visit(other, place, T0 + minutes(20), out=T0 + minutes(50))
    b = visit(other, place, T0 + dt.timedelta(days=2), out=T0 + dt.timedelta(days=2, minutes=5))
    found = trace(case)
    assert [(s.case_checkin_id, s.contact_checkin_id, s.seconds) for s in found] == [
        (first.pk, a.pk, 30 * 60),
        (second.pk, b.pk, 5 * 60),
    ]
    assert sum(s.seconds for s in found) == 35 * 60


def test_many_visits_are_still_two_queries(
    case: Any, place: Venue, django_assert_num_queries: Any
) -> None:
    for day in range(8):
        start = T0 - dt.timedelta(days=4) + dt.timedelta(days=day)
        visit(case, place, start, out=start + minutes(30))
    with django_assert_num_queries(2):
        assert trace(case) == []


# The overlap is measured by the database (overlap.contact_query), in SQL that differs
# between the two engines: every stay shape against the rule written out in Python.
_DAY = 24 * 3600
# Seconds from T0, the case's check-in (its presence and tail end at T0 + 90 min), with
# the boundaries drawn often: a day before it (MAX_STAY), its start, its end.
_offset = st.one_of(
    st.integers(min_value=-30 * 3600, max_value=2 * 3600),
    st.sampled_from([-_DAY - 1, -_DAY, -_DAY + 1, -23 * 3600, -1, 0, 1, 5399, 5400]),
)
_length = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=30 * 3600),
    st.sampled_from([0, 1, _DAY - 1, _DAY, _DAY + 1]),
)
_stay = st.tuples(_offset, _length, _length)  # start, then check-out and plan after it


@pytest.fixture
def others() -> list[Any]:
    # One each: a person has one open stay at a time (checkins.models).
    return [new_person() for _ in range(6)]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stays=st.lists(_stay, min_size=1, max_size=6))
def test_overlaps_match_the_rule_for_any_stay(
    case: Any, place: Venue, others: list[Any], stays: list[tuple[int, int | None, int | None]]
) -> None:
    # The fixtures serve every example; each example's check-ins are rolled back.
    with transaction.atomic():
        own = visit(case, place, T0, out=T0 + minutes(60))  # with its tail: to T0 + 90 min
        expected = {}
        for n, (offset, out, planned) in enumerate(stays):
            start = T0 + dt.timedelta(seconds=offset)
            row = visit(others[n], place, start)
            ends = {
                "checked_out_at": None if out is None else start + dt.timedelta(seconds=out),
                "planned_checkout_at": (
                    None if planned is None else start + dt.timedelta(seconds=planned)
                ),
            }
            CheckIn.objects.filter(pk=row.pk).update(**ends)
            lo = max(T0, start)
            hi = min(
                T0 + minutes(90),
                stay_end(start, ends["checked_out_at"], ends["planned_checkout_at"], NOW),
            )
            if (hi - lo) // dt.timedelta(seconds=1) > 0:
                expected[row.pk] = (lo, hi, (hi - lo) // dt.timedelta(seconds=1))
        found = {
            s.contact_checkin_id: (s.start, s.end, s.seconds)
            for s in trace(case)
            if s.case_checkin_id == own.pk
        }
        assert found == expected
        transaction.set_rollback(True)
