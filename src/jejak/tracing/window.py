"""A case's infectious window and the case's visits inside it: the default rule (from
the case's tracing profile), its limits, and the admitted stays (with the profile's tail)
that the contact search, the exposure sites and the cluster check start from."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from jejak.tracing import overlap
from jejak.tracing.models import Case, CaseVisit

# Tracing's days and local times (windows, notices, exports, alerts) are Jakarta's.
JAKARTA = ZoneInfo("Asia/Jakarta")
MAX_WINDOW = dt.timedelta(days=28)


def default_window(
    *,
    specimen_date: dt.date,
    symptom_onset: dt.date | None,
    isolation_started_at: dt.datetime,
    days_before: int,
) -> tuple[dt.datetime, dt.datetime]:
    """From local midnight `days_before` days before onset (or the specimen date without
    symptoms; the profile's case_window) until isolation starts."""
    first_day = (symptom_onset or specimen_date) - dt.timedelta(days=days_before)
    start = dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=JAKARTA)
    return start.astimezone(dt.UTC), isolation_started_at


Stay = tuple[int, int, dt.datetime, dt.datetime]  # check-in id, venue id, start, end


def window_stays(
    person_id: int,
    window_start: dt.datetime,
    window_end: dt.datetime,
    now: dt.datetime,
    presence: overlap.Presence,
) -> list[Stay]:
    """The person's admitted stays inside the window, as the overlap search measures
    them: long enough to count, clipped to the window, then the profile's tail (which may
    pass the window's end: the air stays after the case left for isolation)."""
    return [
        (v.checkin_id, v.venue_id, overlap.from_micros(v.start), overlap.from_micros(v.end))
        for v in overlap.case_visits(person_id, window_start, window_end, presence, now)
    ]


def store_visits(case: Case, stays: list[Stay]) -> None:
    CaseVisit.objects.filter(case=case).delete()
    CaseVisit.objects.bulk_create(
        CaseVisit(case=case, checkin_id=checkin_id, venue_id=venue_id, start=lo, end=hi)
        for checkin_id, venue_id, lo, hi in stays
    )


def refresh_visits(case: Case, now: dt.datetime, presence: overlap.Presence) -> None:
    store_visits(
        case, window_stays(case.person_id, case.window_start, case.window_end, now, presence)
    )
