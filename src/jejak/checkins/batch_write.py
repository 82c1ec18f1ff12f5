"""The last step of a check-in batch: its venues' occupancy, its requests and its
check-ins written, inside the batch's transaction.

On PostgreSQL it is one statement. Each statement costs its round trip whatever it
carries (about 0.1 ms of CPU in the server process and as much in the database, at a
dozen statements per batch), and these three need nothing from Python in between: the
check-ins find their request's new id by the request's unique (account, nonce), not by
the order of RETURNING rows. SQLite, which has no data-modifying WITH, writes the same
rows in three statements.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from functools import cache, partial
from typing import Any

from jejak.checkins.models import CheckIn, CheckInRequest, VenueOccupancy
from jejak.core import sql

REQUEST_FIELDS = ("account", "nonce", "received_at", "result")
CHECKIN_FIELDS = (
    "public_id",
    "request",
    "person",
    "account",
    "venue",
    "entry_point",
    "visitor_type",
    "decision",
    "reasons",
    "colour",
    "colour_reasons",
    "rule_set",
    "policy",
    "scanned_at",
    "received_at",
    "checked_in_at",
    "planned_checkout_at",
    "checked_out_at",
    "checkout_method",
)
_REQUEST, _ACCOUNT = CHECKIN_FIELDS.index("request"), CHECKIN_FIELDS.index("account")


def write(
    *,
    occupancy: Iterable[tuple[int, int, dt.datetime | None]],
    requests: Sequence[tuple[int, uuid.UUID, dict[str, Any]]],
    checkins: Sequence[list[Any]],
    of_request: Sequence[int],
    now: dt.datetime,
) -> list[int]:
    """Write a batch's rows; returns the new check-ins' ids, in order.

    `occupancy` is (venue id, inside, sweep due) per locked venue; `requests` is
    (account id, nonce, result) per request; `checkins` are rows of CHECKIN_FIELDS,
    the request slot unset, and `of_request` the index in `requests` of each."""
    request_rows = [(account, nonce, now, result) for account, nonce, result in requests]
    if sql.vendor() != "postgresql":
        save_occupancy(occupancy, now)
        request_ids = sql.insert(CheckInRequest, REQUEST_FIELDS, request_rows, returning="id")
        for row, k in zip(checkins, of_request, strict=True):
            row[_REQUEST] = request_ids[k]
        return sql.insert(CheckIn, CHECKIN_FIELDS, checkins, returning="id")
    venues = sorted(occupancy)  # in id order, as they were locked
    found = sql.fetchall(
        _fused_sql(),
        [
            sql.prepare(VenueOccupancy, "updated_at", now),
            sql.json_document(VenueOccupancy, _OCCUPANCY_FIELDS, venues),
            sql.json_document(CheckInRequest, REQUEST_FIELDS, request_rows),
            sql.json_document(
                CheckIn,
                CHECKIN_FIELDS,
                checkins,
                extra=[{"nonce": str(requests[k][1])} for k in of_request],
            ),
        ],
    )
    ids = {str(public_id): pk for pk, public_id in found}
    return [ids[str(row[0])] for row in checkins]


_OCCUPANCY_FIELDS = ("venue", "inside", "sweep_due_at")


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
    o, oc = sql.table(VenueOccupancy), partial(sql.column, VenueOccupancy)
    if vendor == "postgresql":
        # One statement for all the venues, their values as arrays.
        return (
            f"UPDATE {o} SET {oc('inside')} = v.inside, {oc('updated_at')} = %s, "
            f"{oc('sweep_due_at')} = v.due FROM unnest(%b::integer[], %b::timestamptz[], "
            f"%b::bigint[]) AS v(inside, due, venue) WHERE {oc('venue')} = v.venue"
        )
    return (
        f"UPDATE {o} SET {oc('inside')} = %s, {oc('updated_at')} = %s, "
        f"{oc('sweep_due_at')} = %s WHERE {oc('venue')} = %s"
    )


@cache
def _fused_sql() -> str:
    o, oc = sql.table(VenueOccupancy), partial(sql.column, VenueOccupancy)
    r, rc = sql.table(CheckInRequest), partial(sql.column, CheckInRequest)
    c, cc = sql.table(CheckIn), partial(sql.column, CheckIn)
    venues = sql.json_source(VenueOccupancy, _OCCUPANCY_FIELDS, "v")
    occupancy = (
        f"UPDATE {o} SET {oc('inside')} = v.c1, {oc('updated_at')} = %s, "
        f"{oc('sweep_due_at')} = v.c2 FROM {venues} WHERE {o}.{oc('venue')} = v.c0"
    )
    requests = (
        f"INSERT INTO {r} ({', '.join(rc(n) for n in REQUEST_FIELDS)}) "
        f"SELECT {', '.join(f'q.c{k}' for k in range(len(REQUEST_FIELDS)))} "
        f"FROM {sql.json_source(CheckInRequest, REQUEST_FIELDS, 'q')} "
        f"RETURNING {rc('id')}, {rc('account')}, {rc('nonce')}"
    )
    values = [
        f"requests.{rc('id')}" if k == _REQUEST else f"k.c{k}" for k in range(len(CHECKIN_FIELDS))
    ]
    return (
        f"WITH occupancy AS ({occupancy}), requests AS ({requests}) "
        f"INSERT INTO {c} ({', '.join(cc(n) for n in CHECKIN_FIELDS)}) "
        f"SELECT {', '.join(values)} "
        f"FROM {sql.json_source(CheckIn, CHECKIN_FIELDS, 'k', 'nonce uuid')} "
        f"JOIN requests ON requests.{rc('account')} = k.c{_ACCOUNT} "
        f"AND requests.{rc('nonce')} = k.nonce "
        f"RETURNING {cc('id')}, {cc('public_id')}"
    )
