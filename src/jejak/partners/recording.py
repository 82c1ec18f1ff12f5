"""Which partner submitted a check-in, and its audit row, written in the check-in's own
transaction: the partner API tags its request (`Submitted`, as `plans.Ask.origin`) and
the pipeline announces the batch's stored requests (`checkins.signals.recorded`), so the
rows commit or roll back with the check-ins (a check-in a partner submitted is never
without its record or its audit row), in three statements per batch whatever its size
rather than a transaction and a commit per request, and no key points into the check-in
tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jejak.audit import service as audit
from jejak.audit.models import PARTNER_ROLE, Purpose
from jejak.partners.models import PartnerCheckIn


@dataclass(frozen=True)
class Submitted:
    """A check-in request sent by this partner, for these people (their NIK blind
    indexes: the audit row's subjects)."""

    partner_id: int
    partner_name: str
    subjects: tuple[str, ...]


def on_recorded(
    sender: Any, *, recorded: list[tuple[Any, Any]], now: dt.datetime, **_: Any
) -> None:
    mine = [(ask, ask.origin) for ask, _data in recorded if isinstance(ask.origin, Submitted)]
    if not mine:
        return
    PartnerCheckIn.objects.bulk_create(
        [
            PartnerCheckIn(
                account_id=ask.account.pk, nonce=ask.nonce, partner_id=o.partner_id, received_at=now
            )
            for ask, o in mine
        ],
        ignore_conflicts=True,
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
