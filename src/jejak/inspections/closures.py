"""Is a venue closed by a Satpol PP order at a moment? `closure_at` answers on every
check-in (8 million a day at the 2021 peak), so it reads an in-process snapshot.

The snapshot holds every closure that is running or still to come, plus those that ended
within the last SCAN_WINDOW (an offline scan may arrive up to 24 h late and must be
judged at its scan time). Closures are few (a city orders a handful a week), so the
snapshot is tiny, and the common case, a venue with no closure, is one dict lookup with
no query. A moment older than the snapshot's horizon falls back to one query. Writes
drop the snapshot through signals.py; other processes reload it within a second of the
commit, when the version row in the database moves (core.process_cache).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from jejak.core.process_cache import VersionedProcessCache
from jejak.inspections.models import Closure

VERSION_KEY = "inspections:closures-version"
# Check-ins accept scans up to 24 h old (checkins.scan.MAX_SCAN_AGE); one more hour of margin.
SCAN_WINDOW = dt.timedelta(hours=25)


@dataclass(frozen=True)
class _Snapshot:
    by_venue: dict[int, tuple[Closure, ...]]  # each venue's closures, by start
    horizon: dt.datetime  # closures that ended before this are not held


# Closure.effective_end in SQL: a lifting ends the closure early, never later.
EFFECTIVE_END = Least(Coalesce(F("lifted_at"), F("ends_at")), F("ends_at"))


def _load() -> _Snapshot:
    horizon = timezone.now() - SCAN_WINDOW
    rows = (
        Closure.objects.annotate(reopens_at=EFFECTIVE_END)
        .filter(reopens_at__gt=horizon)
        .order_by("venue_id", "starts_at", "pk")
    )
    by_venue: dict[int, list[Closure]] = {}
    for closure in rows:
        by_venue.setdefault(closure.venue_id, []).append(closure)
    return _Snapshot({k: tuple(v) for k, v in by_venue.items()}, horizon)


_snapshot = VersionedProcessCache(key=VERSION_KEY, load=_load)


def invalidate(*, shared: bool = True) -> None:
    """Drop this process's snapshot; with `shared`, make every other process reload too."""
    _snapshot.invalidate(shared=shared)


def changed() -> None:
    """Called after any write to closures (signals.py: services, admin, shell)."""
    _snapshot.changed()


def closure_at(venue_id: int, at: dt.datetime) -> Closure | None:
    """The closure in force at `venue_id` at moment `at` (start included, end excluded,
    ended early if lifted), or None. No query once warm unless `at` is older than the
    snapshot's horizon. Served from the process cache: treat the row as read-only."""
    snap = _snapshot.get()
    if at < snap.horizon:
        return _closure_from_db(venue_id, at)
    for closure in snap.by_venue.get(venue_id, ()):
        if closure.covers(at):
            return closure
    return None


def _closure_from_db(venue_id: int, at: dt.datetime) -> Closure | None:
    return (
        Closure.objects.annotate(reopens_at=EFFECTIVE_END)
        .filter(venue_id=venue_id, starts_at__lte=at, reopens_at__gt=at)
        .order_by("starts_at", "pk")
        .first()
    )
