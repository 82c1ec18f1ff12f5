"""A person's screening status, and loading the rule sets that decide it.

`status` is on the check-in path, so it costs a fixed, small number of queries whatever
the records: the rule sets come from an in-process cache (a handful of rows, dropped on
every write through signals.py and reloaded by other processes within a second of the
commit, like the PPKM snapshot: core.process_cache), then one query reads every record
table the set's facts need (facts.load_records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jejak.audit import service as audit
from jejak.core.process_cache import VersionedProcessCache
from jejak.people.models import Person, Relation
from jejak.people.nik import NikError, nik_index, parse_nik
from jejak.screening import ruleset
from jejak.screening.errors import ErrorCode, ScreeningError
from jejak.screening.facts import Facts, load_records
from jejak.screening.models import IDENTITY_UNVERIFIED, UNVERIFIED, RuleSet

if TYPE_CHECKING:
    from jejak.accounts.models import User


@dataclass(frozen=True)
class Status:
    colour: str
    reasons: list[str]
    rule_set: str  # the slug of the RuleSet that decided
    evaluated_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        return {"colour": self.colour, "reasons": list(self.reasons), "rule_set": self.rule_set}


def _moment(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValueError("Screening needs an aware datetime.")
    return at


def in_force_q(at: dt.datetime) -> Q:
    return Q(effective_from__lte=at) & (Q(effective_until__isnull=True) | Q(effective_until__gt=at))


@dataclass(frozen=True)
class _Known:
    """Every stored rule set, latest start first, with the tables each one reads."""

    rule_sets: list[RuleSet]
    tables: dict[int, frozenset[str]]
    evaluators: dict[int, ruleset.Evaluator]


def _load_rule_sets() -> _Known:
    found = list(RuleSet.objects.order_by("-effective_from", "-pk"))
    return _Known(
        found,
        {r.pk: ruleset.tables_used(r.document) for r in found},
        {r.pk: ruleset.compile_document(r.document) for r in found},
    )


# A few rows that change a few times a year; the check-in path reads them on every call.
_rule_sets = VersionedProcessCache(key="screening:rule-sets-version", load=_load_rule_sets)


def invalidate_rule_sets(*, shared: bool = True) -> None:
    """Drop this process's rule sets; with `shared`, make every other process reload too."""
    _rule_sets.invalidate(shared=shared)


def rule_sets_changed() -> None:
    """Called after any write to rule sets (signals.py: services, admin, shell)."""
    _rule_sets.changed()


def _in_force(known: _Known, at: dt.datetime) -> RuleSet:
    # As in_force_q, latest effective_from first; ranges never overlap on save.
    for found in known.rule_sets:
        if found.effective_from <= at and (
            found.effective_until is None or found.effective_until > at
        ):
            return found
    raise ScreeningError(ErrorCode.NO_RULE_SET)


def rule_set_in_force(*, at: dt.datetime | None = None) -> RuleSet:
    """The rule set in force at `at` (its range includes its start, not its end).

    Served from the process cache: treat the returned row as read-only."""
    return _in_force(_rule_sets.get(), _moment(at))


def statuses(
    *,
    people: Sequence[tuple[str, dt.date]],
    at: dt.datetime | None = None,
    unverified: Collection[str] = (),
) -> list[Status]:
    """The status of each (nik_index, birth_date), in order, in one query once warm.

    NIK indexes in `unverified` (people whose identity the registry has not confirmed)
    get the `unverified` outcome whatever their records say."""
    at = _moment(at)
    if not people:
        return []
    known = _rule_sets.get()
    rules = _in_force(known, at)
    records = load_records(
        nik_indexes={index for index, _born in people if index not in unverified},
        at=at,
        tables=known.tables[rules.pk],
    )
    result = []
    for index, born in people:
        if index in unverified:
            result.append(Status(UNVERIFIED, [IDENTITY_UNVERIFIED], rules.slug, at))
            continue
        facts = Facts(records=records[index], birth_date=born, at=at)
        decision = known.evaluators[rules.pk](facts)
        result.append(Status(decision.colour, list(decision.reasons), rules.slug, at))
    return result


def status(*, nik_index: str, birth_date: dt.date, at: dt.datetime | None = None) -> Status:
    """The colour of the NIK with this blind index at `at` (now by default), with reasons."""
    return statuses(people=[(nik_index, birth_date)], at=at)[0]


def people_of(*, account: User) -> list[Person]:
    """The account holder first, then dependants in the order they were added."""
    people = list(Person.objects.filter(account=account).order_by("id"))
    return sorted(people, key=lambda person: person.relation != Relation.SELF)


def status_for_person(person: Person, *, at: dt.datetime | None = None) -> Status:
    """The status of a registered person (their own or a dependant's profile); `unverified`
    until the registry has confirmed their identity."""
    return statuses_for_people([person], at=at)[0]


def statuses_for_people(people: Sequence[Person], *, at: dt.datetime | None = None) -> list[Status]:
    """The status of each registered person, in order (one records query once warm)."""
    return statuses(
        people=[(p.nik_index, p.birth_date) for p in people],
        at=at,
        unverified={p.nik_index for p in people if p.identity_verified_at is None},
    )


def status_for_nik(nik: str, *, at: dt.datetime | None = None) -> Status:
    """The status of a NIK, registered or not; raises ScreeningError(nik_invalid) for a bad NIK.

    A registered person's birth date is preferred to the one the NIK encodes (the NIK's
    two-digit year can name the wrong century for someone over 100).
    """
    nik = nik.strip()
    index = nik_index(nik)
    born = Person.objects.filter(nik_index=index).values_list("birth_date", flat=True).first()
    if born is None:
        try:
            born = parse_nik(nik).birth_date
        except NikError as exc:
            raise ScreeningError(
                ErrorCode.NIK_INVALID, f"{exc.message} ({exc.code.value})"
            ) from exc
    return status(nik_index=index, birth_date=born, at=at)


# Rule sets are written through load_rule_set (files, `jejak load-ruleset`) or the admin
# form; both validate the document and refuse overlapping ranges. The data migration
# stores the shipped files, which the tests validate.


class RuleSetRefused(Exception):
    """A rule set that cannot be stored; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def overlapping(
    *,
    effective_from: dt.datetime,
    effective_until: dt.datetime | None,
    exclude_pk: int | None = None,
) -> list[RuleSet]:
    """Stored rule sets whose range [from, until) meets this one's."""
    qs = RuleSet.objects.filter(
        Q(effective_until__isnull=True) | Q(effective_until__gt=effective_from)
    )
    if effective_until is not None:
        qs = qs.filter(effective_from__lt=effective_until)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.order_by("effective_from"))


def _span(rule_set: RuleSet) -> str:
    start = f"{timezone.localtime(rule_set.effective_from):%Y-%m-%d %H:%M}"
    if rule_set.effective_until is None:
        return f"{start} - open"
    return f"{start} - {timezone.localtime(rule_set.effective_until):%Y-%m-%d %H:%M}"


def _overlap_problems(found: Sequence[RuleSet]) -> list[str]:
    return [f"effective range overlaps rule set {other.slug!r} ({_span(other)})" for other in found]


@transaction.atomic
def load_rule_set(
    *,
    document: Mapping[str, Any],
    slug: str | None = None,
    effective_from: dt.datetime | None = None,
    actor: User | None = None,
    close_previous: bool = False,
) -> tuple[RuleSet, bool]:
    """Store a rule-set file (identity and document); returns (rule set, created).

    `slug` and `effective_from` override the file's. Loading the same slug with the same
    content again changes nothing; different content under a stored slug is refused,
    since past decisions name the slug. A range that overlaps a stored set is refused,
    unless `close_previous` and the only overlap is an earlier set still open at the new
    start: that set then ends where the new one begins.
    """
    problems = ruleset.validate_document(document)
    if problems:
        raise RuleSetRefused(problems)
    metadata, stored = ruleset.split_file(document)
    slug = slug or metadata.get("slug")
    if effective_from is None and metadata.get("effective_from"):
        effective_from = ruleset.parse_moment(metadata["effective_from"])
    until = metadata.get("effective_until")
    effective_until = ruleset.parse_moment(until) if until else None
    problems = []
    if not slug or not ruleset.SLUG_RE.fullmatch(slug):
        problems.append("slug: give one (in the file or with --slug): lowercase, digits, hyphens")
    if effective_from is None:
        problems.append("effective_from: give one (in the file or with --effective-from)")
    elif effective_until is not None and effective_until <= effective_from:
        problems.append("effective_until: must be later than effective_from")
    if problems:
        raise RuleSetRefused(problems)
    assert slug is not None and effective_from is not None
    name = metadata.get("name") or slug

    existing = RuleSet.objects.select_for_update().filter(slug=slug).first()
    if existing is not None:
        if (
            existing.document == stored
            and existing.effective_from == effective_from
            and existing.effective_until == effective_until
        ):
            return existing, False
        raise RuleSetRefused(
            [f"slug: rule set {slug!r} exists with other content; publish a new slug instead"]
        )

    clashes = overlapping(effective_from=effective_from, effective_until=effective_until)
    closed = None
    if clashes and close_previous:
        previous = clashes[0]
        if (
            len(clashes) == 1
            and previous.effective_from < effective_from
            and (previous.effective_until is None or previous.effective_until > effective_from)
        ):
            closed = previous
            clashes = []
    if clashes:
        raise RuleSetRefused(_overlap_problems(clashes))
    if closed is not None:
        closed.effective_until = effective_from
        closed.save(update_fields=["effective_until"])
        audit.record(
            actor=actor,
            action="screening.rule_set_closed",
            obj=closed,
            slug=closed.slug,
            effective_until=effective_from.isoformat(),
        )
    created = RuleSet.objects.create(
        slug=slug,
        name=name,
        effective_from=effective_from,
        effective_until=effective_until,
        document=stored,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="screening.rule_set_loaded",
        obj=created,
        slug=slug,
        effective_from=effective_from.isoformat(),
        effective_until=effective_until.isoformat() if effective_until else None,
    )
    return created, True
