"""Facts about one person at one moment, computed from their health records.

A rule-set document (ruleset.py) names facts and gives them parameters: hours, days, dose
counts, age bounds. This module is the only place that knows how records become facts,
so a new rule set that recombines them needs no code change.

Day counts use calendar days in the deployment's time zone (TIME_ZONE, Asia/Jakarta):
the day of the specimen or exposure is day 0, whatever its hour. Hour counts use the
exact time elapsed since the specimen was taken.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models import Value
from django.utils import timezone

from jejak.core import sql as sqlrows
from jejak.health.models import (
    Designation,
    DesignationKind,
    LabOutcome,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)

# Record tables a fact may need; a rule set that uses no exemption fact skips that query.
DOSES, LABS, DESIGNATIONS, QUARANTINES, EXEMPTIONS = (
    "doses",
    "labs",
    "designations",
    "quarantines",
    "exemptions",
)
ALL_TABLES = frozenset({DOSES, LABS, DESIGNATIONS, QUARANTINES, EXEMPTIONS})


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar date of `moment` in the deployment's time zone (Asia/Jakarta)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Whole years of age on `day` (someone born on 29 February turns a year older on 1 March)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# The records as the facts read them: the columns they use, not model instances (building
# a model instance per record was a fifth of the colour's cost in a check-in batch).
@dataclass(frozen=True, slots=True)
class Dose:
    nik_index: str
    given_on: dt.date
    dose_number: int
    single_dose_product: bool


@dataclass(frozen=True, slots=True)
class Lab:
    nik_index: str
    method: str
    result: str
    specimen_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Designated:
    nik_index: str
    kind: str
    starts_at: dt.datetime
    ended_at: dt.datetime | None
    days: int | None = None  # a close contact's own length (its tracing profile's)


@dataclass(frozen=True, slots=True)
class Quarantine:
    nik_index: str
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True, slots=True)
class Exemption:
    nik_index: str
    starts_on: dt.date
    ends_on: dt.date | None  # open-ended


@dataclass
class Records:
    """One person's health records known at a moment (nothing dated after it)."""

    doses: list[Dose] = field(default_factory=list)
    labs: list[Lab] = field(default_factory=list)
    designations: list[Designated] = field(default_factory=list)
    quarantines: list[Quarantine] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)


# The record tables are read in one UNION ALL round trip of the columns the facts use.
# Every arm yields the same typed columns (PostgreSQL wants one type per column):
# table tag, nik_index, text1, text2, moment1, moment2, day1, day2, number, flag.
# The SQL is plain and built once per shape (tables asked for, number of NIKs), so a
# check-in spends no time in the ORM's compiler here; values go through the backend's
# own adapters and converters, as the ORM would (SQLite returns text for dates).
_SLOTS: tuple[tuple[str, models.Field[Any, Any]], ...] = (
    ("t1", models.TextField()),
    ("t2", models.TextField()),
    ("m1", models.DateTimeField()),
    ("m2", models.DateTimeField()),
    ("d1", models.DateField()),
    ("d2", models.DateField()),
    ("n", models.IntegerField()),
    ("b", models.BooleanField()),
)
# table -> (tag, model, {slot: field}, [(field, lookup SQL, parameter: "at" or "today")])
_TABLES: dict[str, tuple[int, type[models.Model], dict[str, str], list[tuple[str, str, str]]]] = {
    DOSES: (
        0,
        VaccinationDose,
        {"d1": "given_on", "n": "dose_number", "b": "single_dose_product"},
        [("given_on", "<=", "today")],
    ),
    LABS: (
        1,
        LabResult,
        {"t1": "method", "t2": "result", "m1": "specimen_at"},
        [("specimen_at", "<=", "at")],
    ),
    DESIGNATIONS: (
        2,
        Designation,
        {"t1": "kind", "m1": "starts_at", "m2": "ended_at", "n": "days"},
        [("starts_at", "<=", "at")],
    ),
    QUARANTINES: (
        3,
        TravelQuarantine,
        {"d1": "starts_on", "d2": "ends_on"},
        [("starts_on", "<=", "today"), ("ends_on", ">=", "today")],
    ),
    EXEMPTIONS: (
        4,
        VaccinationExemption,
        {"d1": "starts_on", "d2": "ends_on"},
        [("starts_on", "<=", "today")],
    ),
}
_ORDER = (DOSES, LABS, DESIGNATIONS, QUARANTINES, EXEMPTIONS)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


@functools.lru_cache(maxsize=256)
def _union_sql(alias: str, tables: tuple[str, ...]) -> str:
    """The SQL for this shape of read; parameters: each arm's keys (one list), then its
    moments. The same statement for any number of people, so it is prepared once."""
    conn = connections[alias]
    quote = conn.ops.quote_name
    arms: list[str] = []
    for table in tables:
        tag, model, slots, conditions = _TABLES[table]
        opts = model._meta
        columns = [str(tag), quote(_column(model, "nik_index"))]
        for slot, slot_field in _SLOTS:
            if slot in slots:
                columns.append(quote(_column(model, slots[slot])))
            else:
                columns.append(f"CAST(NULL AS {slot_field.db_type(conn)})")
        where = [sqlrows.any_of(quote(_column(model, "nik_index")), conn.vendor)]
        for name, operator, _moment in conditions:
            where.append(f"{quote(_column(model, name))} {operator} %s")
        # Only quoted identifiers from the models and fixed operators; values are parameters.
        select = f"SELECT {', '.join(columns)} FROM {quote(opts.db_table)}"  # noqa: S608  # nosec B608
        arms.append(f"{select} WHERE {' AND '.join(where)}")
    return " UNION ALL ".join(arms)


@functools.lru_cache(maxsize=8)
def _converters(alias: str) -> list[tuple[int, list[Callable[..., Any]]]]:
    """Per result column (by position), the backend's converters, as the ORM applies them."""
    conn = connections[alias]
    found = []
    for position, (_slot, slot_field) in enumerate(_SLOTS, start=2):
        expression = Value(None, output_field=slot_field)
        functions = conn.ops.get_db_converters(expression) + slot_field.get_db_converters(conn)
        if functions:
            found.append((position, functions))
    return found


def _plain(conn: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def load_records(
    *, nik_indexes: Collection[str], at: dt.datetime, tables: Iterable[str] = ALL_TABLES
) -> dict[str, Records]:
    """Records of each NIK index dated no later than `at`: one query for all the tables
    asked for, each table's records in its model's order."""
    found: dict[str, Records] = defaultdict(Records)
    wanted = set(tables)
    chosen = tuple(table for table in _ORDER if table in wanted)
    if not nik_indexes or not chosen:
        return found
    today = local_date(at)
    keys = sorted(nik_indexes)
    alias = router.db_for_read(VaccinationDose)
    conn = connections[alias]
    sql = _union_sql(alias, chosen)
    values = {
        "at": conn.ops.adapt_datetimefield_value(at),
        "today": conn.ops.adapt_datefield_value(today),
    }
    params: list[Any] = []
    for table in chosen:
        params.append(sqlrows.many(keys, conn.vendor))
        params.extend(values[m] for _field, _op, m in _TABLES[table][3])
    converters = _converters(alias)
    # Prepared on PostgreSQL (core/sql.py): planning a five-arm UNION cost more than
    # running it.
    rows = sqlrows.fetchall(sql, params) if alias == DEFAULT_DB_ALIAS else _plain(conn, sql, params)
    for raw in rows:
        row = list(raw)
        for position, functions in converters:
            for convert in functions:
                row[position] = convert(row[position], None, conn)
        tag, index, t1, t2, m1, m2, d1, d2, n, b = row
        records = found[index]
        if tag == 0:
            records.doses.append(Dose(index, d1, n, bool(b)))
        elif tag == 1:
            records.labs.append(Lab(index, t1, t2, m1))
        elif tag == 2:
            records.designations.append(Designated(index, t1, m1, m2, n))
        elif tag == 3:
            records.quarantines.append(Quarantine(index, d1, d2))
        else:
            records.exemptions.append(Exemption(index, d1, d2))
    for records in found.values():
        records.doses.sort(key=lambda r: (r.given_on, r.dose_number))
        records.labs.sort(key=lambda r: r.specimen_at)
        records.designations.sort(key=lambda r: r.starts_at)
    return found


class Facts:
    """What the rule set may ask about one person at `at`, derived from their records."""

    def __init__(self, *, records: Records, birth_date: dt.date, at: dt.datetime) -> None:
        self.at = at
        self.today = local_date(at)
        self.age = age_on(birth_date, self.today)
        self.records = records

        positive_designations = [
            d for d in records.designations if d.kind == DesignationKind.POSITIVE_CASE
        ]
        # A positive case: (specimen time, time it was lifted early or None). A positive
        # lab result with a designation for the same specimen is governed by that
        # designation, so an officer lifting the designation lifts the case.
        designated = {d.starts_at for d in positive_designations}
        self.positive_episodes: list[tuple[dt.datetime, dt.datetime | None]] = [
            (d.starts_at, d.ended_at) for d in positive_designations
        ] + [
            (lab.specimen_at, None)
            for lab in records.labs
            if lab.result == LabOutcome.POSITIVE and lab.specimen_at not in designated
        ]
        self.latest_positive = max((start for start, _end in self.positive_episodes), default=None)
        self.close_contacts = [
            d for d in records.designations if d.kind == DesignationKind.CLOSE_CONTACT
        ]
        # A positive result beats a negative one on the same day: a negative counts only
        # when taken on a later calendar day than every positive specimen. (A negative
        # followed by a positive is stale as well, whichever day it fell on.)
        latest_positive_day = local_date(self.latest_positive) if self.latest_positive else None
        self.negatives = [
            lab
            for lab in records.labs
            if lab.result == LabOutcome.NEGATIVE
            and (latest_positive_day is None or local_date(lab.specimen_at) > latest_positive_day)
        ]
        self.dose_count = _count_doses(records.doses)

    def day_number(self, start: dt.datetime) -> int:
        """Calendar days from `start` to `at` in Asia/Jakarta: 0 on the day of `start`."""
        return (self.today - local_date(start)).days


def _count_doses(doses: list[Dose]) -> int:
    # Distinct dose numbers, so the same dose imported from two sources counts once. A
    # single-dose product as the first dose completes the primary series on its own, so
    # it counts as two: a later booster then makes three, like anyone else's.
    if not doses:
        return 0
    count = len({dose.dose_number for dose in doses})
    first = min(doses, key=lambda dose: (dose.given_on, dose.dose_number))
    return count + 1 if first.single_dose_product else count


# The facts a document may name. Each test gets the Facts and the condition's parameters
# (defaults filled in, already validated).


def _positive_case(f: Facts, p: Mapping[str, Any]) -> bool:
    return any(
        0 <= f.day_number(start) < p["until_day"] and (ended is None or ended > f.at)
        for start, ended in f.positive_episodes
    )


def _close_contact(f: Facts, p: Mapping[str, Any]) -> bool:
    for contact in f.close_contacts:
        # A designation that carries its own length (a measles contact's 21 days) keeps
        # it; otherwise the rule set's until_day decides (days 0 .. until_day - 1).
        until_day = contact.days + 1 if contact.days else p["until_day"]
        if not 0 <= f.day_number(contact.starts_at) < until_day:
            continue
        if contact.ended_at is not None and contact.ended_at <= f.at:
            continue
        if p["lifted_by_negative_test"] and any(
            lab.specimen_at > contact.starts_at for lab in f.negatives
        ):
            continue
        return True
    return False


def _travel_quarantine(f: Facts, p: Mapping[str, Any]) -> bool:
    return any(q.starts_on <= f.today <= q.ends_on for q in f.records.quarantines)


def _negative_test(f: Facts, p: Mapping[str, Any]) -> bool:
    window = dt.timedelta(hours=p["hours"])
    return any(lab.method == p["method"] and f.at - lab.specimen_at < window for lab in f.negatives)


def _recovered(f: Facts, p: Mapping[str, Any]) -> bool:
    return f.latest_positive is not None and 0 <= f.day_number(f.latest_positive) < p["days"]


def _in_range(value: int, p: Mapping[str, Any]) -> bool:
    low, high = p.get("min"), p.get("max")
    return (low is None or value >= low) and (high is None or value <= high)


def _doses(f: Facts, p: Mapping[str, Any]) -> bool:
    return _in_range(f.dose_count, p)


def _age(f: Facts, p: Mapping[str, Any]) -> bool:
    return _in_range(f.age, p)


def _vaccination_exemption(f: Facts, p: Mapping[str, Any]) -> bool:
    return any(
        e.starts_on <= f.today and (e.ends_on is None or f.today <= e.ends_on)
        for e in f.records.exemptions
    )


@dataclass(frozen=True)
class Param:
    name: str
    kind: Literal["int", "bool", "choice"]
    required: bool = True
    default: Any = None
    minimum: int = 0
    maximum: int = 10_000
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FactSpec:
    name: str
    description: str
    params: tuple[Param, ...]
    tables: frozenset[str]
    test: Callable[[Facts, Mapping[str, Any]], bool]
    # For ranges: at least one of these parameters must be given.
    one_of: tuple[str, ...] = ()

    def with_defaults(self, condition: Mapping[str, Any]) -> dict[str, Any]:
        values = {param.name: param.default for param in self.params}
        values.update({k: v for k, v in condition.items() if k != "fact"})
        return values


FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec(
            "positive_case",
            "A positive specimen (lab result or positive-case designation not lifted) on "
            "day 0 .. until_day-1, counting the specimen's day as day 0.",
            (Param("until_day", "int", minimum=1, maximum=90),),
            frozenset({LABS, DESIGNATIONS}),
            _positive_case,
        ),
        FactSpec(
            "close_contact",
            "A close-contact designation not lifted, on day 0 .. until_day-1 after the last "
            "exposure; optionally lifted by a negative test taken after the exposure.",
            (
                Param("until_day", "int", minimum=1, maximum=90),
                Param("lifted_by_negative_test", "bool", required=False, default=True),
            ),
            frozenset({LABS, DESIGNATIONS}),
            _close_contact,
        ),
        FactSpec(
            "travel_quarantine",
            "A travel quarantine whose first and last days include today.",
            (),
            frozenset({QUARANTINES}),
            _travel_quarantine,
        ),
        FactSpec(
            "negative_test",
            "A negative result of `method` whose specimen was taken less than `hours` ago "
            "and not beaten by a positive on the same day or later.",
            (
                Param("method", "choice", choices=("antigen", "pcr")),
                Param("hours", "int", minimum=1, maximum=24 * 30),
            ),
            frozenset({LABS, DESIGNATIONS}),
            _negative_test,
        ),
        FactSpec(
            "recovered",
            "The latest positive specimen was taken fewer than `days` calendar days ago.",
            (Param("days", "int", minimum=1, maximum=3650),),
            frozenset({LABS, DESIGNATIONS}),
            _recovered,
        ),
        FactSpec(
            "doses",
            "Vaccine doses received by today within [min, max]; a single-dose product as "
            "first dose counts as two (a complete primary series).",
            (
                Param("min", "int", required=False, maximum=20),
                Param("max", "int", required=False, maximum=20),
            ),
            frozenset({DOSES}),
            _doses,
            one_of=("min", "max"),
        ),
        FactSpec(
            "age",
            "Age in whole years today within [min, max].",
            (
                Param("min", "int", required=False, maximum=150),
                Param("max", "int", required=False, maximum=150),
            ),
            frozenset(),
            _age,
            one_of=("min", "max"),
        ),
        FactSpec(
            "vaccination_exemption",
            "A medical exemption from vaccination in force today.",
            (),
            frozenset({EXEMPTIONS}),
            _vaccination_exemption,
        ),
    )
}
