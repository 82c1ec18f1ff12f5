"""What a legal hold keeps of the people of an erasure request, and until when.

Reuses the retention purges' holds (docs/retention.md), so an erasure never takes what
the retention purge would keep: the check-ins that `checkins.retention.KEEP_PREDICATES`
keep (an open case's visits, an unhandled cluster alert's venue and period), the lab
results and designations that `health.retention.KEEP_PREDICATES` keep (an open case's
person and contacts), and the designations still in force. A person row stays
(pseudonymised) while something held points at it: a case (which protects its person),
a contact of an open case, or a held check-in.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from jejak.checkins import retention as checkin_retention
from jejak.checkins.models import ACTIVE_Q, CheckIn, HeldCheckIn
from jejak.core import retention
from jejak.health import retention as health_retention
from jejak.health.models import Designation, LabResult
from jejak.people.models import Person
from jejak.tracing import retention as tracing_retention
from jejak.tracing.models import Case, CaseStatus, Contact

# Predicates keep rows older than their cutoff; one in the future asks for every row.
_EVERY_ROW = dt.timedelta(days=1)

# Hold reasons, as stored in ErasureRequest.holds (labels in erasure/labels.py).
OPEN_CASE = "open_case"
TRACING = "tracing"
DESIGNATION = "designation"
STAY = "active_stay"
CASE_RECORD = "case_record"


@dataclass
class Holds:
    """Primary keys held, by class, and the summary the citizen reads."""

    checkins: set[int] = field(default_factory=set)
    lab_results: set[int] = field(default_factory=set)
    designations: set[int] = field(default_factory=set)
    people: set[int] = field(default_factory=set)
    # (class, reason, until ISO date or None) -> count
    summary: Counter[tuple[str, str, str | None]] = field(default_factory=Counter)

    def add(self, kind: str, reason: str, until: dt.date | None, n: int = 1) -> None:
        self.summary[(kind, reason, until.isoformat() if until else None)] += n

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {"class": kind, "reason": reason, "until": until, "count": n}
            for (kind, reason, until), n in sorted(
                self.summary.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or "~")
            )
        ]

    @property
    def empty(self) -> bool:
        return not self.summary


def _ids(rows: QuerySet[Any]) -> set[int]:
    return set(rows.values_list("pk", flat=True))


def _kept_checkins(people: QuerySet[Person], now: dt.datetime) -> set[int]:
    mine = CheckIn.objects.filter(person__in=people)
    kept: set[int] = set()
    for keep in checkin_retention.KEEP_PREDICATES:
        kept |= _ids(mine.filter(pk__in=keep(now + _EVERY_ROW)))
    # On PostgreSQL, rows of a dropped day that a hold still keeps (docs/partitions.md).
    held = HeldCheckIn.objects.filter(person__in=people)
    if held.exists():
        for keep in checkin_retention.KEEP_PREDICATES:
            kept |= _ids(held.filter(pk__in=keep(now + _EVERY_ROW, rows=HeldCheckIn)))
    return kept


def _kept_health(model: type[Any], kind: str, nik_indexes: list[str], now: dt.datetime) -> set[int]:
    mine = model.objects.filter(nik_index__in=nik_indexes)
    kept: set[int] = set()
    for keep in health_retention.KEEP_PREDICATES.get(kind, []):
        kept |= _ids(mine.filter(pk__in=keep(now + _EVERY_ROW)))
    return kept


def _local(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def holds_for(nik_indexes: list[str], now: dt.datetime) -> Holds:
    """What a legal hold keeps now of the people with these blind indexes."""
    held = Holds()
    people = Person.objects.filter(nik_index__in=nik_indexes)

    held.checkins = _kept_checkins(people, now)
    if held.checkins:
        held.add("checkins", TRACING, None, len(held.checkins))
    # A stay still open is closed by check-out first (the occupancy counter counts it).
    staying = _ids(CheckIn.objects.filter(ACTIVE_Q, person__in=people))
    if staying - held.checkins:
        held.add("checkins", STAY, _local(now), len(staying - held.checkins))
    held.checkins |= staying

    held.lab_results = _kept_health(LabResult, health_retention.LAB_RESULTS, nik_indexes, now)
    if held.lab_results:
        held.add("lab_results", OPEN_CASE, None, len(held.lab_results))
    by_case = _kept_health(Designation, health_retention.DESIGNATIONS, nik_indexes, now)
    if by_case:
        held.add("designations", OPEN_CASE, None, len(by_case))
    _read, span = health_retention.reach(health_retention.DESIGNATIONS, now)
    in_force = tracing_retention.designations_in_force(now).filter(nik_index__in=nik_indexes)
    for row in in_force.exclude(pk__in=by_case):
        if row.ended_at is not None:
            until: dt.date | None = _local(row.ended_at)
        else:
            until = _local(row.starts_at + span) if span is not None else None
        held.add("designations", DESIGNATION, until)
        by_case.add(row.pk)
    held.designations = by_case

    case_days = retention.days(tracing_retention.CASE_SETTING)
    for person in people:
        cases = Case.objects.filter(person=person)
        open_case = cases.exclude(status=CaseStatus.CLOSED).exists() or (
            Contact.objects.filter(person=person).exclude(case__status=CaseStatus.CLOSED).exists()
        )
        if (
            open_case
            or CheckIn.objects.filter(person=person, pk__in=held.checkins).exists()
            or HeldCheckIn.objects.filter(person=person, pk__in=held.checkins).exists()
        ):
            held.people.add(person.pk)
            held.add("person", OPEN_CASE if open_case else TRACING, None)
            continue
        closed = cases.filter(closed_at__isnull=False).order_by("-closed_at").first()
        if closed is not None and closed.closed_at is not None:
            held.people.add(person.pk)
            held.add("person", CASE_RECORD, _local(closed.closed_at + dt.timedelta(days=case_days)))
    return held
