"""Check-ins partitioned by day on PostgreSQL (docs/partitions.md).

`checkins_checkin` is partitioned by RANGE of `scanned_at`: one partition per Asia/Jakarta
day (`checkins_checkin_p20261206`: from that day's local midnight to the next) and a
DEFAULT partition (`checkins_checkin_default`) for a row outside them. This module
creates the days ahead (`ensure`: a step of `jejak run-periodic` and `jejak partitions`)
and drops a day past retention (`drop`, which checkins/retention.py calls with the
holds): in a first transaction, the rows a hold keeps are copied into
`checkins_checkin_held` (`HeldCheckIn`), what points at the others is deleted (`cascade`:
the cascades the database has no keys for) and the partition is detached; in a second,
the detached table is counted and dropped (`discard`), so that check-ins never wait for
its files to be removed. A table a crash left detached is found and dropped by the next
retention run (`detached`).

Plain SQL DDL, no extension: see docs/partitions.md for why not pg_partman. Every
statement that needs a lock on the partitioned table waits at most `LOCK_TIMEOUT`: a
DETACH queued behind a long report would otherwise queue every check-in behind it. A day
that cannot be locked in time is left for the next run.

SQLite keeps one table and retention's row deletes, and so does a PostgreSQL table that
is not partitioned (the outage gate builds its tables from the models): `active()`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models.deletion import get_candidate_relations_to_delete
from django.db.models.expressions import RawSQL

from jejak.checkins.models import ADMITTED, CheckIn, HeldCheckIn

logger = logging.getLogger(__name__)

TABLE = CheckIn._meta.db_table
HELD = HeldCheckIn._meta.db_table
DEFAULT = f"{TABLE}_default"
_PREFIX = f"{TABLE}_p"
_NAME = re.compile(rf"^{re.escape(_PREFIX)}(\d{{8}})$")

# Retention counts days as Jakarta's: a partition is a local day, midnight to midnight,
# so the quiet hours of the night are where one day's partition hands over to the next.
DAY_ZONE = ZoneInfo("Asia/Jakarta")
# Days created ahead of today (hourly by `jejak run-periodic`): enough for a runner that
# stops for a day. Not more: every statement that cannot prune by day (a look-up by id or
# public id, an open stay by person) is planned over every partition, about 0.06 ms each
# (docs/partitions.md). Rows of a day not created yet wait in the default partition and
# move into their day when it is.
AHEAD = 2
LOCK_TIMEOUT = "2s"
# Serialises partition maintenance between run-periodic processes (an arbitrary key).
_ADVISORY_KEY = 8_451_021


class PartitionError(Exception):
    """A day that cannot be dropped: something points at its rows with a rule other than
    CASCADE, SET_NULL or DO_NOTHING."""


@dataclass(frozen=True)
class Day:
    """One day's partition."""

    day: dt.date

    @property
    def name(self) -> str:
        return f"{_PREFIX}{self.day:%Y%m%d}"

    @property
    def lo(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(0), tzinfo=DAY_ZONE)

    @property
    def hi(self) -> dt.datetime:
        return dt.datetime.combine(self.day + dt.timedelta(days=1), dt.time(0), tzinfo=DAY_ZONE)


def day_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(DAY_ZONE).date()


def active() -> bool:
    """Is the check-in table partitioned here (PostgreSQL, after checkins 0010)?"""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))",
            [TABLE],
        )
        (found,) = cursor.fetchone()
    return bool(found)


def existing() -> list[Day]:
    """The day partitions, oldest first (the default partition is not a day)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    for name in names:
        if name != DEFAULT and _day_named(name) is None:
            logger.warning("check-in partition %s is not one of ours: left alone", name)
    return _days_named(names)


def _day_named(name: str) -> Day | None:
    """The day of a table named like a day's partition, else None."""
    match = _NAME.match(name)
    return Day(dt.datetime.strptime(match.group(1), "%Y%m%d").date()) if match else None  # noqa: DTZ007 (a date)


def _days_named(names: Sequence[str]) -> list[Day]:
    """The days of the names that are days' tables, oldest first."""
    return sorted((d for name in names if (d := _day_named(name))), key=lambda d: d.day)


def wanted(now: dt.datetime, *, ahead: int = AHEAD) -> list[Day]:
    """The days that should have a partition: from the day of the retention cutoff (older
    days have been dropped) to `ahead` days after today."""
    first = day_of(now - dt.timedelta(days=settings.JEJAK_CHECKIN_RETENTION_DAYS))
    last = day_of(now) + dt.timedelta(days=ahead)
    return [Day(first + dt.timedelta(days=k)) for k in range((last - first).days + 1)]


def columns() -> list[str]:
    """The check-in's columns, in the model's order (the held table has the same)."""
    return [str(f.column) for f in CheckIn._meta.concrete_fields]


def ensure(now: dt.datetime, *, ahead: int = AHEAD) -> dict[str, int]:
    """Create the missing partitions of `wanted` days; rows of those days waiting in the
    default partition move into theirs. Returns {"created": n, "moved": m}."""
    have = {d.day for d in existing()}
    done = {"created": 0, "moved": 0}
    for day in wanted(now, ahead=ahead):
        if day.day not in have:
            moved = create(day)
            if moved is not None:
                done["created"] += 1
                done["moved"] += moved
    return done


def create(day: Day) -> int | None:
    """Create and attach `day`'s partition; returns the rows moved into it from the
    default partition, or None when another runner created it first.

    Built beside the table and attached, not `CREATE TABLE ... PARTITION OF`: ATTACH takes
    only a SHARE UPDATE EXCLUSIVE lock on the partitioned table, so check-ins go on while
    it runs (the default partition is locked while its rows are checked)."""
    q, cols = connection.ops.quote_name, ", ".join(_quoted(columns()))
    with transaction.atomic(), connection.cursor() as cursor:
        if not _one_maintainer(cursor) or _exists(cursor, day.name):
            return None
        lo, hi = _literal(day.lo), _literal(day.hi)
        # Names are this module's (a date in a fixed pattern), bounds literals of aware
        # datetimes it computed: nothing comes from input.
        cursor.execute(
            f"CREATE TABLE {q(day.name)} (LIKE {q(TABLE)} "  # nosec B608
            "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)"
        )
        with _lock_timeout(cursor):
            cursor.execute(
                f"WITH moved AS (DELETE FROM {q(DEFAULT)} WHERE scanned_at >= {lo} "  # noqa: S608
                f"AND scanned_at < {hi} RETURNING {cols}) "  # nosec B608
                f"INSERT INTO {q(day.name)} ({cols}) SELECT {cols} FROM moved"
            )
            moved = max(cursor.rowcount, 0)
            cursor.execute(
                f"ALTER TABLE {q(TABLE)} ATTACH PARTITION {q(day.name)} "
                f"FOR VALUES FROM ({lo}) TO ({hi})"
            )
    if moved:
        logger.info("check-in partition %s: %d rows moved from the default", day.name, moved)
    return moved


@dataclass
class Dropped:
    """What dropping a day did: rows dropped, rows copied to the held table, what the
    cascades deleted (by model label), the seconds the check-in table was locked (from
    the DETACH to its commit); `waiting` when an open stay kept the day, `busy` when
    another runner was maintaining the partitions, `missing` when the day had already
    gone."""

    checkins: int = 0
    held: int = 0
    cascaded: Counter[str] | None = None
    locked: float = 0.0
    waiting: bool = False
    busy: bool = False
    missing: bool = False


def drop(day: Day, keep: Sequence[models.QuerySet[Any]]) -> Dropped:
    """Drop `day`'s partition. A day with a stay still open is left as it is (`waiting`):
    a stay is never deleted open, and the periodic check-out closes it first.

    Two transactions, under the maintenance lock for both. The first copies the rows
    `keep` selects (querysets of check-in ids, retention's holds) into the held table,
    deletes what points at the other rows (`cascade`) and detaches the partition: the
    check-in table is locked from the DETACH to this commit, milliseconds. The second
    counts the detached table and drops it (`discard`): PostgreSQL removes its files
    when that commits, 0.4-0.7 s for a day of 2.4 million rows (docs/performance.md),
    and nothing waits for it. In one transaction, every check-in queued behind the
    DETACH's lock for that time too."""
    q = connection.ops.quote_name
    part, cols = q(day.name), ", ".join(_quoted(columns()))
    admitted = ", ".join(f"'{d}'" for d in ADMITTED)  # constants of the model
    with _maintaining() as alone:
        if not alone:
            return Dropped(busy=True)
        with transaction.atomic(), connection.cursor() as cursor:
            if not _exists(cursor, day.name):
                return Dropped(missing=True)
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {part} WHERE decision IN ({admitted}) "  # noqa: S608
                "AND checked_out_at IS NULL)"  # nosec B608
            )
            if cursor.fetchone()[0]:
                return Dropped(waiting=True)
            held = 0
            for rows in keep:
                try:
                    ids, params = rows.query.sql_with_params()
                except EmptyResultSet:  # a hold with nothing to keep (`.none()`)
                    continue
                # ON CONFLICT: two holds may keep the same row.
                cursor.execute(
                    f"INSERT INTO {q(HELD)} ({cols}) SELECT {cols} FROM {part} "  # noqa: S608
                    f"WHERE id IN ({ids}) ON CONFLICT (id) DO NOTHING",  # nosec B608
                    params,
                )
                held += max(cursor.rowcount, 0)
            # The partition's rows that were not held (names of this module, no input).
            cascaded = cascade(
                RawSQL(  # noqa: S611  # nosec B611
                    f"SELECT c.id FROM {part} c WHERE NOT EXISTS "  # noqa: S608
                    f"(SELECT 1 FROM {q(HELD)} h WHERE h.id = c.id)",  # nosec B608
                    (),
                )
            )
            # A partition with deferred key checks still to run cannot be detached: run
            # them now (only rows written in this transaction have any, as in a test),
            # then give Django's keys back their INITIALLY DEFERRED.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            with _lock_timeout(cursor):
                locking = time.perf_counter()
                cursor.execute(f"ALTER TABLE {q(TABLE)} DETACH PARTITION {part}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        locked = time.perf_counter() - locking
        total = discard(day, held=held) or 0
    logger.info(
        "check-in partition %s dropped: %d rows, %d held, check-ins locked for %.3f s",
        day.name,
        total,
        held,
        locked,
    )
    return Dropped(checkins=total, held=held, cascaded=cascaded, locked=locked)


def discard(day: Day, *, held: int | None = None) -> int | None:
    """Count and drop `day`'s table once it is detached, in its own transaction; returns
    the rows dropped that the held table did not keep (`held` of them, when the caller
    knows), or None when there is no such detached table.

    Detached, nothing writes to the table any more, so the count is exact."""
    q = connection.ops.quote_name
    part = q(day.name)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT relispartition FROM pg_class WHERE oid = to_regclass(%s)", [day.name]
        )
        row = cursor.fetchone()
        if row is None or not row[0]:  # gone, or still attached: not ours to drop here
            return None
        cursor.execute(f"SELECT COUNT(*) FROM {part}")  # noqa: S608  # nosec B608
        total = int(cursor.fetchone()[0])
        if held is None:  # left by a crash: which of its rows did the first step hold?
            cursor.execute(
                f"SELECT COUNT(*) FROM {q(HELD)} h "  # noqa: S608
                f"WHERE EXISTS (SELECT 1 FROM {part} c WHERE c.id = h.id)"  # nosec B608
            )
            held = int(cursor.fetchone()[0])
        cursor.execute(f"DROP TABLE {part}")
    return total - held


def sweep(before: dt.datetime) -> tuple[int, int]:
    """Count and drop the detached day tables past `before` (`detached`); returns the
    days and the rows not held that went. A detached day not past it is someone's by
    hand: left, with a warning."""
    days = rows = 0
    with _maintaining() as alone:
        if not alone:
            return 0, 0
        for day in detached():
            if day.hi > before:
                logger.warning("check-in table %s is detached, not past retention: left", day.name)
            elif (dropped := discard(day)) is not None:
                logger.warning("check-in table %s left detached: dropped now", day.name)
                days, rows = days + 1, rows + dropped
    return days, rows


def detached() -> list[Day]:
    """Day tables that are no longer partitions: a `drop` stopped between its two
    transactions (a crash, a lost connection), oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
            "AND relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass(%s)) "
            "AND starts_with(relname, %s)",
            [TABLE, _PREFIX],
        )
        return _days_named([name for (name,) in cursor.fetchall()])


def cascade(checkin_ids: RawSQL | Sequence[int]) -> Counter[str]:
    """What the database's cascades would have done for these check-ins (ids, or a
    subquery selecting them): rows pointing at them go (CASCADE, through Django's
    collector, so their own cascades and signals follow) or lose the reference
    (SET_NULL). Keys into a partitioned table cannot be declared, and dropping a
    partition runs no cascade. Returns the rows deleted or emptied, by model label."""
    done: Counter[str] = Counter()
    for rel in relations():
        field, model = rel.field, rel.related_model
        if rel.on_delete is models.DO_NOTHING or isinstance(model, str):
            continue
        pointing = model._base_manager.filter(**{f"{field.attname}__in": checkin_ids})
        if rel.on_delete is models.CASCADE:
            _, per_model = pointing.delete()
            done.update({label: n for label, n in per_model.items() if n})
        elif rel.on_delete is models.SET_NULL:
            if n := pointing.update(**{field.attname: None}):
                done[model._meta.label] += n
        elif pointing.exists():
            raise PartitionError(f"{model._meta.label}.{field.name} protects check-ins")
    return done


def relations() -> list[Any]:
    """Every key into check-ins, hidden ones (`related_name="+"`) too: what Django's
    collector would cascade along."""
    return list(get_candidate_relations_to_delete(CheckIn._meta))  # type: ignore[arg-type]


def lock_timed_out(exc: Exception) -> bool:
    """Did a statement give up waiting for its lock (LOCK_TIMEOUT)?"""
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None) == "55P03"


def _one_maintainer(cursor: Any, *, session: bool = False) -> bool:
    """Take the maintenance lock until the transaction ends (or, with `session`, until
    `_maintaining` releases it); False when another `jejak run-periodic` holds it (it
    is doing this work: skip it)."""
    taken = "pg_try_advisory_lock" if session else "pg_try_advisory_xact_lock"
    cursor.execute(f"SELECT {taken}(%s)", [_ADVISORY_KEY])
    return bool(cursor.fetchone()[0])


@contextmanager
def _maintaining() -> Iterator[bool]:
    """The maintenance lock across transactions (a drop takes two): True when had, and
    released when the block ends. A session that dies releases it too."""
    with connection.cursor() as cursor:
        alone = _one_maintainer(cursor, session=True)
    try:
        yield alone
    finally:
        if alone:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_ADVISORY_KEY])


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return bool(cursor.fetchone()[0])


@contextmanager
def _lock_timeout(cursor: Any) -> Iterator[None]:
    """Statements that give up after LOCK_TIMEOUT instead of queueing the check-ins
    behind their lock; the session's setting comes back after."""
    cursor.execute("SELECT current_setting('lock_timeout')")
    (before,) = cursor.fetchone()
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
    yield
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])


def with_held(names: Sequence[str]) -> str:
    """What tracing reads check-ins from, as a FROM item with these columns: the table,
    and on PostgreSQL the held rows too (`UNION ALL`, whose branches PostgreSQL plans
    separately: each uses its own `venue_time` or person index, the days pruned)."""
    if connection.vendor != "postgresql":
        return TABLE
    cols = ", ".join(names)
    return f"(SELECT {cols} FROM {TABLE} UNION ALL SELECT {cols} FROM {HELD})"  # noqa: S608  # nosec B608


@dataclass(frozen=True)
class Listed:
    name: str
    day: dt.date | None  # None: the default partition, or the held table
    rows: int  # PostgreSQL's estimate (pg_class.reltuples) unless counted
    bytes: int
    detached: bool = False  # a day a stopped drop left (`detached`)


def listing(*, count: bool = False) -> list[Listed]:
    """Every partition, the days left detached, the default and the held table, with
    rows and size."""
    q = connection.ops.quote_name
    found: list[tuple[str, dt.date | None, bool]] = [(d.name, d.day, False) for d in existing()]
    found += [(d.name, d.day, True) for d in detached()]
    found += [(DEFAULT, None, False), (HELD, None, False)]
    out = []
    with connection.cursor() as cursor:
        for name, day, left in found:
            cursor.execute(
                "SELECT GREATEST(reltuples, 0)::bigint, pg_total_relation_size(oid) "
                "FROM pg_class WHERE oid = to_regclass(%s)",
                [name],
            )
            row = cursor.fetchone()
            if row is None:
                continue
            rows, size = int(row[0]), int(row[1])
            if count:
                cursor.execute(f"SELECT COUNT(*) FROM {q(name)}")  # noqa: S608  # nosec B608
                rows = int(cursor.fetchone()[0])
            out.append(Listed(name, day, rows, size, left))
    return out


def _quoted(names: Sequence[str]) -> list[str]:
    return [connection.ops.quote_name(n) for n in names]


def _literal(moment: dt.datetime) -> str:
    # An aware datetime this module computed, as a timestamptz literal.
    return f"'{moment.isoformat()}'::timestamptz"
