"""The guard's answer to a scanned status pass at one venue: the same entry decision a
check-in there would make now (colour under the venue's PPKM policy, opening hours, age
limits, a Satpol PP closure), so the screen's colour is the decision, not the health
status. Capacity is not decided here: only a check-in takes a place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

from django.utils import timezone

from jejak.checkins.decision import decide
from jejak.checkins.errors import DECISION_COLOUR, Decision, DenialReason
from jejak.checkins.models import VisitorType
from jejak.checkins.people_lock import LockedPerson
from jejak.inspections.closures import closure_at
from jejak.ppkm import service as ppkm
from jejak.screening.passes import PassView
from jejak.venues.models import Venue


@dataclass(frozen=True)
class DoorAnswer:
    decision: str
    reasons: list[str]
    # A child under the venue's age limit enters with an admitted adult: the guard checks.
    with_adult: bool

    @property
    def colour(self) -> str:
        return DECISION_COLOUR[self.decision]

    @property
    def label(self) -> str:
        return str(Decision(self.decision).label)

    def reason_labels(self) -> list[str]:
        return [str(DenialReason(code).label) for code in self.reasons]


def answer_for_pass(view: PassView, *, venue: Venue, at: dt.datetime | None = None) -> DoorAnswer:
    """The decision for the pass's holder entering `venue` as a guest at `at` (now)."""
    at = at or timezone.now()
    person = LockedPerson(
        pk=0,
        public_id="",
        relation="self",
        nik_index=view.nik_index,
        # A pass from before birth dates were loaded: no age limit can be applied, so
        # the oldest possible date keeps the person an adult (the colour still decides).
        birth_date=view.birth_date or dt.date(1900, 1, 1),
        nik_masked=view.nik_masked,
        identity_verified_at=at,
    )
    status = SimpleNamespace(colour=view.colour, reasons=view.reasons)
    policy = ppkm.policy_for(venue=venue, at=at)
    entry = decide(person, status, policy=policy, visitor_type=VisitorType.GUEST, at=at)
    if closure_at(venue.pk, at) is not None:
        entry.reasons.append(DenialReason.VENUE_CLOSED)
    with_adult = entry.child and entry.admitted
    if with_adult:
        entry.staff_check = True
    return DoorAnswer(decision=entry.decision, reasons=list(entry.reasons), with_adult=with_adult)
