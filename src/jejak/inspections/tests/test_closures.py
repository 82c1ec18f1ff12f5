"""closure_at: the check-in path's question "is this venue closed now?", served from the
process snapshot, and the one end-to-end check that a closure refuses check-ins."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jejak.inspections import closures
from jejak.inspections.closures import closure_at
from jejak.inspections.models import Closure

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def closure(hotel, now):
    return Closure.objects.create(venue=hotel, starts_at=now + HOUR, ends_at=now + 3 * HOUR)


def test_before_during_and_after(hotel, closure, now):
    assert closure_at(hotel.pk, now) is None
    assert closure_at(hotel.pk, now + HOUR - dt.timedelta(seconds=1)) is None
    assert closure_at(hotel.pk, now + HOUR) == closure  # the start is included
    assert closure_at(hotel.pk, now + 2 * HOUR) == closure
    assert closure_at(hotel.pk, now + 3 * HOUR) is None  # the end is not


def test_other_venues_are_open(hotel, closure, now):
    assert closure_at(hotel.pk + 1000, now + 2 * HOUR) is None


def test_warm_lookups_cost_no_query(hotel, closure, now):
    closure_at(hotel.pk, now)  # loads the snapshot
    with CaptureQueriesContext(connection) as queries:
        for minutes in range(0, 240, 7):
            closure_at(hotel.pk, now + dt.timedelta(minutes=minutes))
        closure_at(hotel.pk + 1, now)
    assert len(queries) == 0


def test_a_new_closure_is_seen_at_once(hotel, now):
    assert closure_at(hotel.pk, now) is None  # warm and empty
    made = Closure.objects.create(venue=hotel, starts_at=now - HOUR, ends_at=now + HOUR)
    assert closure_at(hotel.pk, now) == made


def test_lifting_or_deleting_reopens_at_once(hotel, now):
    made = Closure.objects.create(venue=hotel, starts_at=now - HOUR, ends_at=now + HOUR)
    assert closure_at(hotel.pk, now) == made
    made.lifted_at = now - dt.timedelta(minutes=5)
    made.save()
    assert closure_at(hotel.pk, now) is None
    assert closure_at(hotel.pk, now - dt.timedelta(minutes=30)) == made  # before the lifting
    made.delete()
    assert closure_at(hotel.pk, now - dt.timedelta(minutes=30)) is None


def test_another_process_notices_through_the_version_token(hotel, now):
    assert closure_at(hotel.pk, now) is None
    # A row written by another process: no signal here, only the shared token moves.
    Closure.objects.bulk_create([Closure(venue=hotel, starts_at=now - HOUR, ends_at=now + HOUR)])
    assert closure_at(hotel.pk, now) is None  # still the old snapshot
    closures.invalidate(shared=True)
    assert closure_at(hotel.pk, now) is not None


def test_a_moment_older_than_the_snapshot_is_read_from_the_database(hotel, now):
    long_ago = now - dt.timedelta(days=10)
    Closure.objects.create(venue=hotel, starts_at=long_ago - HOUR, ends_at=long_ago + HOUR)
    # Ended ten days ago: not in the snapshot, still answered exactly.
    assert closure_at(hotel.pk, long_ago) is not None
    assert closure_at(hotel.pk, long_ago + 2 * HOUR) is None


def test_a_recent_past_closure_still_judges_late_offline_scans(hotel, now):
    made = Closure.objects.create(venue=hotel, starts_at=now - 10 * HOUR, ends_at=now - 8 * HOUR)
    with CaptureQueriesContext(connection) as queries:
        closure_at(hotel.pk, now)
        assert closure_at(hotel.pk, now - 9 * HOUR) == made
    # The snapshot load and the version read (in a savepoint inside a transaction), no more.
    assert len(queries) <= 4


def test_closure_blocks_checkins(hotel, make_user, monkeypatch, now):
    from jejak.checkins import record as checkins
    from jejak.checkins.errors import CheckInError
    from jejak.checkins.tests.conftest import PLAIN, add_person, code_of, take_to_issued
    from jejak.ppkm import service as ppkm

    monkeypatch.setattr(ppkm, "policy_for", lambda *, venue, at: PLAIN)
    take_to_issued(hotel)
    visitor = make_user("visitor")
    add_person(visitor, "hijau")
    Closure.objects.create(venue=hotel, starts_at=now - HOUR, ends_at=now + HOUR)

    def attempt(at: dt.datetime) -> tuple[str, list[str]]:
        try:
            result = checkins.record_checkins(
                account=visitor,
                qr=code_of(hotel),
                nonce=uuid.uuid4(),
                people=["self"],
                visitor_type="guest",
                now=at,
            )
        except CheckInError as exc:  # wired as a refusal of the whole request
            return "refused", [str(exc.code)]
        [person] = result.data["people"]
        return person["decision"], list(person["reasons"])

    decision, reasons = attempt(now)
    assert (decision, reasons) == ("denied", ["venue_closed"])
    assert attempt(now + 2 * HOUR) == ("allowed", [])
