"""Check-ins past retention that an open case keeps, on PostgreSQL: their day is dropped,
they are copied into the held table first, and the contact search still finds them
(docs/partitions.md)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from jejak.checkins import partitions, retention
from jejak.checkins.models import CheckIn, HeldCheckIn
from jejak.tracing import cases, overlap, search, window
from jejak.tracing.models import CaseVisit
from jejak.tracing.tests.conftest import NOW, T0, at, stay

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="partitions exist on PostgreSQL only",
)


def test_held_check_ins_are_still_found_by_the_contact_search(officer, person, hotel):
    partitions.ensure(NOW)  # the days of 2021 (the test's own, rolled back with it)
    siti, budi, ani = person("Siti"), person("Budi"), person("Ani")
    mine = stay(siti, hotel, at(-24), at(-23))
    theirs = stay(budi, hotel, at(-24), at(-23))
    dropped = stay(ani, hotel, at(-24), at(-23))
    assert {partitions.day_of(c.scanned_at) for c in (mine, theirs, dropped)} == {
        (T0 - dt.timedelta(days=1)).date()
    }
    case = cases.open_case(person=siti, actor=officer, specimen_date=T0.date(), now=NOW)
    other = cases.open_case(person=budi, actor=officer, specimen_date=T0.date(), now=NOW)
    before = {c.person_id for c in search.search_contacts(case=case, actor=officer, now=NOW)}
    assert before == {budi.pk, ani.pk}

    # Weeks later both cases are still open: their visits' days go, the visits stay.
    later = NOW + dt.timedelta(days=60)
    done = retention.purge_expired_checkins(now=later)
    assert done["held"] == 2 and done["checkins"] == 1
    assert not CheckIn.objects.filter(pk__in=[mine.pk, theirs.pk, dropped.pk]).exists()
    assert set(HeldCheckIn.objects.values_list("pk", flat=True)) == {mine.pk, theirs.pk}
    assert CaseVisit.objects.filter(checkin_id=mine.pk, case=case).exists()

    # Budi's stay is read from the held table; Ani's, kept by nothing, is gone.
    after = search.search_contacts(case=case, actor=officer, now=later)
    assert [(c.person_id, c.seconds) for c in after] == [(budi.pk, 3600)]
    # The case's own stays too, as a change of its window reads them again.
    stays = window.window_stays(
        siti.pk, case.window_start, case.window_end, later, overlap.DEFAULT_PRESENCE
    )
    assert [(checkin, venue) for checkin, venue, _lo, _hi in stays] == [(mine.pk, hotel.pk)]

    # Closed, the cases hold nothing: the held rows go, with the visits that named them.
    cases.close_case(case=case, actor=officer)
    cases.close_case(case=other, actor=officer)
    assert retention.purge_expired_checkins(now=later)["released"] == 2
    assert not HeldCheckIn.objects.exists()
    assert not CaseVisit.objects.filter(checkin_id__in=[mine.pk, theirs.pk]).exists()
