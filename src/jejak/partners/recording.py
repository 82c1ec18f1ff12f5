"""Which partner submitted a check-in, and its audit row, written in the check-in's own
transaction: the partner API tags its request (`Submitted`, as `plans.Ask.origin`) and
the pipeline announces the batch's stored requests (`checkins.signals.recorded`), so the
rows commit or roll back with the check-ins (a check-in a partner submitted is never
without its record or its audit row), in two statements per batch whatever its size
(the partner's rows; the audit rows with their subjects) rather than a transaction and
a commit per request, and no key points into the check-in tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from jejak.audit import service as audit
from jejak.audit.models import PARTNER_ROLE, Purpose
from jejak.core import sql
from jejak.partners.models import PartnerCheckIn


@dataclass(frozen=True)
class Submitted:
    """A check-in request sent by this partner, for these people (their NIK blind
    indexes: the audit row's subjects)."""

    partner_id: int
    partner_name: str
    subjects: tuple[str, ...]


@cache
def _insert_sql(vendor: str) -> str:
    """The partner's rows: one prepared statement, sent once for the batch's rows (the
    ORM's bulk insert built its statement anew for every batch). A retried nonce is
    already recorded."""
    del vendor  # part of the cache key only
    column = partial(sql.column, PartnerCheckIn)
    names = ", ".join(column(n) for n in ("account", "nonce", "partner", "received_at"))
    # Quoted names from the model's metadata; the values are parameters.
    return (
        f"INSERT INTO {sql.table(PartnerCheckIn)} ({names}) "  # nosec B608
        "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )


def on_recorded(
    sender: Any, *, recorded: list[tuple[Any, Any]], now: dt.datetime, **_: Any
) -> None:
    mine = [(ask, ask.origin) for ask, _data in recorded if isinstance(ask.origin, Submitted)]
    if not mine:
        return
    received = sql.prepare(PartnerCheckIn, "received_at", now)
    sql.executemany(
        _insert_sql(sql.vendor()),
        [
            [
                ask.account.pk,
                sql.prepare(PartnerCheckIn, "nonce", ask.nonce),
                o.partner_id,
                received,
            ]
            for ask, o in mine
        ],
    )
    audit.record_reads(
        [
            (
                audit.read_event(
                    actor=None,
                    action="partners.checkin",
                    purpose=Purpose.PARTNER_APP,
                    reader=(PARTNER_ROLE, o.partner_name),
                    partner=o.partner_id,
                    account=ask.account.pk,
                    nonce=str(ask.nonce),
                ),
                o.subjects,
            )
            for ask, o in mine
        ]
    )
