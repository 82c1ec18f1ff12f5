"""Venue occupancy: the `VenueOccupancy` rows locked in venue-id order, stays that are
over closed lazily, stays closed on leaving, and the lock-free crowd figure for phones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, partial

from django.db.models import F, Min
from django.utils import timezone

from jejak.checkins import batch_write
from jejak.checkins.models import (
    ACTIVE_Q,
    CheckIn,
    CheckoutMethod,
    VenueOccupancy,
)
from jejak.core import sql
from jejak.ppkm import service as ppkm
from jejak.venues.models import Venue


@dataclass
class Occupancy:
    """A locked `VenueOccupancy` row, as the check-in path reads and writes it."""

    venue_id: int
    inside: int
    sweep_due_at: dt.datetime | None


def lock_occupancy(venue_ids: Iterable[int]) -> dict[int, Occupancy]:
    """Lock the occupancy rows of these venues, in id order (creating missing ones).

    FOR NO KEY UPDATE: only `inside` and the sweep bound change, and it leaves the
    venue's key alone for anything that only references it. SQLite has no row locks:
    its writers are serialised by the IMMEDIATE transactions configured in settings."""
    ids = sorted(set(venue_ids))
    locked = (
        VenueOccupancy.objects.select_for_update(no_key=True)
        .filter(venue_id__in=ids)
        .order_by("venue_id")
        .values_list("venue_id", "inside", "sweep_due_at")
    )

    def read() -> dict[int, Occupancy]:
        # A fresh query each time (.all()): a queryset keeps the rows it read first.
        return {venue: Occupancy(venue, inside, due) for venue, inside, due in locked.all()}

    rows = read()
    if len(rows) < len(ids):
        # First check-in at a venue: a racing creator is fine, the conflict is ignored.
        VenueOccupancy.objects.bulk_create(
            [VenueOccupancy(venue_id=i) for i in ids if i not in rows], ignore_conflicts=True
        )
        rows = read()
    return rows


# `VenueOccupancy.sweep_due_at` when no stay is open there: later than any planned end.
NOTHING_DUE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def expire(occupancy: Occupancy, now: dt.datetime) -> int:
    """Check out stays that are over at this venue (its occupancy row is locked).

    Skipped without a query while `sweep_due_at` says no open stay can be over yet; a
    sweep then records the earliest planned end of the stays still open. Closing a stay
    leaves the bound valid; opening one lowers it (`_record`)."""
    due = occupancy.sweep_due_at
    if due is not None and due > now:
        return 0
    active = CheckIn.objects.filter(ACTIVE_Q, venue_id=occupancy.venue_id)
    closed = active.filter(planned_checkout_at__lte=now).update(
        checked_out_at=F("planned_checkout_at"), checkout_method=CheckoutMethod.AUTOMATIC
    )
    occupancy.inside = max(0, occupancy.inside - closed)
    earliest = active.aggregate(earliest=Min("planned_checkout_at"))["earliest"]
    occupancy.sweep_due_at = earliest or NOTHING_DUE
    return closed


def save_occupancy(rows: Iterable[Occupancy], now: dt.datetime) -> None:
    """Write back locked occupancy rows (one statement for several venues)."""
    batch_write.save_occupancy([(r.venue_id, r.inside, r.sweep_due_at) for r in rows], now)


@cache
def _close_sql(vendor: str) -> str:
    """Close open stays by id: out when the scan happened, not before in."""
    del vendor
    cc = partial(sql.column, CheckIn)
    # Only `checked_out_at IS NULL`, not the whole ACTIVE_Q: the ids are of admitted stays
    # already, and a condition that matched the partial indexes' let the planner (on a
    # young table's statistics, kept for the life of a prepared statement) scan every
    # open stay instead of fetching a handful by primary key. Quoted names from the model's
    # metadata; every value is a parameter.
    return (
        f"UPDATE {sql.table(CheckIn)} SET {cc('checked_out_at')} = CASE WHEN "
        f"{cc('checked_in_at')} > %s THEN {cc('checked_in_at')} ELSE %s END, "
        f"{cc('checkout_method')} = %s WHERE {sql.any_of(cc('id'))} "
        f"AND {cc('checked_out_at')} IS NULL RETURNING {cc('venue')}"  # nosec B608
    )


def close_stays(ids: list[int], at: dt.datetime, method: str) -> list[int]:
    """Close these stays (their venues' occupancy rows are locked); returns the venue of
    each stay closed."""
    moment = sql.prepare(CheckIn, "checked_out_at", at)
    found = sql.fetchall(_close_sql(sql.vendor()), [moment, moment, method, sql.many(ids)])
    return [row[0] for row in found]


def crowd(
    *, venue: Venue, now: dt.datetime | None = None, at: dt.datetime | None = None
) -> dict[str, int]:
    """{"inside", "capacity"} for the page a phone opens before confirming.

    Read-only and lock-free (it is fetched as often as check-ins are made): stays that
    are over but not yet closed are subtracted rather than closed here; the next
    check-in or the periodic task closes them.
    """
    now = now or timezone.now()
    inside = (
        VenueOccupancy.objects.filter(venue=venue).values_list("inside", flat=True).first() or 0
    )
    overdue = CheckIn.objects.filter(ACTIVE_Q, venue=venue, planned_checkout_at__lte=now).count()
    policy = ppkm.policy_for(venue=venue, at=at or now)
    return {"inside": max(0, inside - overdue), "capacity": policy.capacity_for(venue.capacity)}
