"""A case's infectious window and the case's visits inside it: the default rule, its
limits, and the admitted stays (with the aerosol tail) that the contact search, the
exposure sites and the cluster check start from."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from jejak.checkins.decision import MAX_STAY
from jejak.checkins.models import ADMITTED, CheckIn
from jejak.tracing import overlap
from jejak.tracing.models import Case, CaseVisit

# Tracing's days and local times (windows, notices, exports, alerts) are Jakarta's.
JAKARTA = ZoneInfo("Asia/Jakarta")
# Infectious from two days before symptom onset (or the specimen, without symptoms).
DAYS_BEFORE = 2
MAX_WINDOW = dt.timedelta(days=28)


def aerosol_cap() -> dt.timedelta:
    return dt.timedelta(minutes=settings.JEJAK_TRACE_AEROSOL_MINUTES)


def threshold_span() -> dt.timedelta | None:
    """The span within which a contact's minutes must reach the minimum (24 h); None
    (the setting at 0) sums the whole window, as searches before it did."""
    hours = settings.JEJAK_TRACE_THRESHOLD_HOURS
    return dt.timedelta(hours=hours) if hours > 0 else None


def default_window(
    *, specimen_date: dt.date, symptom_onset: dt.date | None, isolation_started_at: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """From local midnight two days before onset (or the specimen date without symptoms)
    until isolation starts."""
    first_day = (symptom_onset or specimen_date) - dt.timedelta(days=DAYS_BEFORE)
    start = dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=JAKARTA)
    return start.astimezone(dt.UTC), isolation_started_at


Stay = tuple[int, int, dt.datetime, dt.datetime]  # check-in id, venue id, start, end


def window_stays(
    person_id: int, window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime
) -> list[Stay]:
    """The person's admitted stays inside the window (with the aerosol tail, clipped to
    the window, as the overlap search measures them)."""
    cap = aerosol_cap()
    rows = CheckIn.objects.filter(
        person_id=person_id,
        decision__in=ADMITTED,
        checked_in_at__isnull=False,
        checked_in_at__gt=window_start - MAX_STAY - cap,
        checked_in_at__lt=window_end,
    ).values_list("id", "venue_id", "checked_in_at", "checked_out_at", "planned_checkout_at")
    stays = []
    for checkin_id, venue_id, start, out, planned in rows:
        assert start is not None
        end = max(overlap.stay_end(start, out, planned, now), start)
        end += min(end - start, cap)
        lo, hi = max(start, window_start), min(end, window_end)
        if hi > lo:
            stays.append((checkin_id, venue_id, lo, hi))
    return stays


def store_visits(case: Case, stays: list[Stay]) -> None:
    CaseVisit.objects.filter(case=case).delete()
    CaseVisit.objects.bulk_create(
        CaseVisit(case=case, checkin_id=checkin_id, venue_id=venue_id, start=lo, end=hi)
        for checkin_id, venue_id, lo, hi in stays
    )


def refresh_visits(case: Case, now: dt.datetime) -> None:
    store_visits(case, window_stays(case.person_id, case.window_start, case.window_end, now))
