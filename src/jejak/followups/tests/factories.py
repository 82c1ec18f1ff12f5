"""Small builders for the follow-up and report tests: venues at a workflow stage and
stored check-in decisions at known moments."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from jejak.accounts.roles import Role
from jejak.accounts.tests.factories import UserFactory
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.screening.tests.factories import make_person
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import do_transition

STEPS_TO = {
    "registered": [],
    "requested": ["submit"],
    "rejected": ["submit", "reject"],
    "issued": ["submit", "approve", "issue"],
    "installed": ["submit", "approve", "issue", "install"],
}


def venue_at(stage: str, **kwargs: Any) -> Venue:
    venue = VenueFactory(**kwargs)
    for action in STEPS_TO[stage]:
        do_transition(venue=venue, action=action, actor=None, reason="uji")
    venue.refresh_from_db()
    return venue


_serials = itertools.count(9000)


def add_checkins(
    venue: Venue,
    at: dt.datetime,
    *,
    n: int = 1,
    decision: str = "allowed",
    reasons: list[str] | None = None,
    colour: str = "hijau",
) -> list[CheckIn]:
    """`n` stored decisions at `venue` scanned at `at` (stays closed at once, so one
    person can have many)."""
    account = UserFactory(role=Role.VISITOR)
    person = make_person(account, serial=next(_serials))
    rows = []
    for _ in range(n):
        request = CheckInRequest.objects.create(
            account=account, nonce=uuid.uuid4(), received_at=at, result={}
        )
        admitted = decision != "denied"
        rows.append(
            CheckIn.objects.create(
                request=request,
                person=person,
                account=account,
                venue=venue,
                entry_point=venue.entry_points.first(),
                visitor_type="guest",
                decision=decision,
                reasons=reasons or [],
                colour=colour,
                rule_set="uji",
                scanned_at=at,
                received_at=at,
                checked_in_at=at if admitted else None,
                checked_out_at=at if admitted else None,
            )
        )
    return rows
