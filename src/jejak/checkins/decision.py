"""One person's entry decision, as pure functions of their screening status, the venue's
PPKM policy and the scan time: colours, opening hours, age limits, then capacity and the
with-parent rule for a group. No query, no write: `record` feeds them what it locked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from jejak.checkins.errors import Decision, DenialReason
from jejak.checkins.models import (
    VisitorType,
)
from jejak.checkins.people_lock import LockedPerson
from jejak.screening.models import UNVERIFIED
from jejak.venues.models import Venue

MAX_STAY = dt.timedelta(hours=24)
ADULT_AGE = 18
NEGATIVE_TEST_REASONS = frozenset({"negative_antigen", "negative_pcr"})
COLOUR_REFUSAL = {
    "hitam": DenialReason.STATUS_BLACK,
    "merah": DenialReason.STATUS_RED,
    "kuning": DenialReason.STATUS_YELLOW,
}


def age_at(born: dt.date, at: dt.datetime) -> int:
    today = timezone.localtime(at).date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def stay_length(policy: Any, venue: Venue) -> dt.timedelta:
    minutes = [venue.default_stay_minutes]
    if policy.max_stay_minutes:
        minutes.append(policy.max_stay_minutes)
    return min(dt.timedelta(minutes=min(minutes)), MAX_STAY)


@dataclass
class Entry:
    person: LockedPerson
    colour: str
    colour_reasons: list[str]
    reasons: list[str]
    staff_check: bool = False
    child: bool = False
    adult: bool = False
    # The type the person was decided as: "employee" only when on the venue's roster.
    visitor_type: str = VisitorType.GUEST
    notes: list[str] = field(default_factory=list)

    @property
    def admitted(self) -> bool:
        return not self.reasons

    @property
    def decision(self) -> str:
        if self.reasons:
            return Decision.DENIED
        return Decision.ALLOWED_AFTER_STAFF_CHECK if self.staff_check else Decision.ALLOWED


def decide(
    person: LockedPerson, status: Any, *, policy: Any, visitor_type: str, at: dt.datetime
) -> Entry:
    """One person's decision before capacity and the with-parent rule are applied."""
    entry = Entry(person, status.colour, list(status.reasons), [], visitor_type=visitor_type)
    age = age_at(person.birth_date, at)
    entry.adult = age >= ADULT_AGE
    if status.colour == UNVERIFIED:
        # Whoever typed this NIK may not be its owner: no colour, no entry (whatever the
        # visitor type), until the registry confirms the identity.
        entry.reasons.append(DenialReason.IDENTITY_UNVERIFIED)
    elif status.colour == "hitam":
        entry.reasons.append(DenialReason.STATUS_BLACK)
    elif policy.admits(status.colour, visitor_type):
        entry.staff_check = policy.needs_staff_check(status.colour, visitor_type)
    else:
        entry.reasons.append(COLOUR_REFUSAL.get(status.colour, DenialReason.COLOUR_NOT_ADMITTED))
    # Opening hours and age limits are for guests: staff work before and after hours.
    if visitor_type == VisitorType.GUEST:
        if not policy.is_open(timezone.localtime(at)):
            entry.reasons.append(DenialReason.OUTSIDE_HOURS)
        if policy.children_age_below and age < policy.children_age_below:
            rule = policy.children_rule
            if rule == "with_parent":
                entry.child = True  # decided once the adults' decisions are known
            elif rule == "denied" or (
                rule == "negative_test"
                and not (status.colour == "hijau" and NEGATIVE_TEST_REASONS & set(status.reasons))
            ):
                entry.reasons.append(DenialReason.AGE_RESTRICTED)
    return entry


def apply_capacity_and_parents(entries: list[Entry], *, inside: int, capacity: int) -> int:
    """Give places to adults first, then to children with an admitted adult; returns
    how many are admitted. Employees enter even when the venue is full."""
    admitted = 0

    def take(entry: Entry) -> None:
        nonlocal admitted
        if not entry.admitted:
            return
        if entry.visitor_type == VisitorType.GUEST and inside + admitted >= capacity:
            entry.reasons.append(DenialReason.CAPACITY_FULL)
            return
        admitted += 1

    for entry in entries:
        if not entry.child:
            take(entry)
    has_adult = any(e.adult and e.admitted for e in entries if not e.child)
    for entry in entries:
        if entry.child:
            if not has_adult and DenialReason.AGE_RESTRICTED not in entry.reasons:
                entry.reasons.append(DenialReason.AGE_RESTRICTED)
            take(entry)
    return admitted
