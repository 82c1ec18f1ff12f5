"""The last step of a check-in batch: its venues' occupancy, its requests and its
check-ins written, inside the batch's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cache, partial

from jejak.checkins.models import CheckIn, CheckInRequest, VenueOccupancy
from jejak.core import sql


def write(
    *,
    occupancy: Iterable[tuple[int, int, dt.datetime | None]],
    requests: Sequence[CheckInRequest],
    checkins: Sequence[CheckIn],
    of_request: Sequence[int],
    now: dt.datetime,
) -> list[int]:
    """Write a batch's rows; returns the new check-ins' ids, in order.

    `occupancy` is (venue id, inside, sweep due) per locked venue; `requests` and
    `checkins` are unsaved rows, and `of_request` the index in `requests` of each
    check-in's request. Three statements whatever the batch's size: the occupancy
    update, and one `bulk_create` each for the requests and the check-ins, whose
    fields, defaults and conversions are the model's."""
    save_occupancy(occupancy, now)
    CheckInRequest.objects.bulk_create(requests)
    for checkin, k in zip(checkins, of_request, strict=True):
        checkin.request = requests[k]
    CheckIn.objects.bulk_create(checkins)
    return [checkin.pk for checkin in checkins]


def save_occupancy(rows: Iterable[tuple[int, int, dt.datetime | None]], now: dt.datetime) -> None:
    """Write back locked occupancy rows, (venue id, inside, sweep due) each, in one
    statement on PostgreSQL (outside a batch: a check-out, closing time, a sweep)."""
    prep = partial(sql.prepare, VenueOccupancy)
    updated = prep("updated_at", now)
    values = [[inside, prep("sweep_due_at", due), venue] for venue, inside, due in sorted(rows)]
    statement = _save_occupancy_sql(sql.vendor())
    if sql.vendor() == "postgresql":
        sql.execute(statement, [updated, *(list(column) for column in zip(*values, strict=True))])
    else:
        sql.executemany(statement, [[inside, updated, due, venue] for inside, due, venue in values])


@cache
def _save_occupancy_sql(vendor: str) -> str:
    # Quoted names from the model's metadata; every value is a parameter.
    o, oc = sql.table(VenueOccupancy), partial(sql.column, VenueOccupancy)
    if vendor == "postgresql":
        # One statement for all the venues, their values as arrays.
        return (
            f"UPDATE {o} SET {oc('inside')} = v.inside, {oc('updated_at')} = %s, "
            f"{oc('sweep_due_at')} = v.due FROM unnest(%b::integer[], %b::timestamptz[], "
            f"%b::bigint[]) AS v(inside, due, venue) WHERE {oc('venue')} = v.venue"  # nosec B608
        )
    return (
        f"UPDATE {o} SET {oc('inside')} = %s, {oc('updated_at')} = %s, "
        f"{oc('sweep_due_at')} = %s WHERE {oc('venue')} = %s"  # nosec B608
    )
