"""Bulk loading for `jejak bench-trace`: COPY on PostgreSQL, executemany on SQLite.

Secondary indexes are dropped before a big table is loaded and rebuilt after (one sort
per index instead of ten million random inserts), and PostgreSQL's foreign-key triggers
are off for the session (`session_replication_role = replica`): the generator only names
rows it created. Check-ins are loaded with COPY FREEZE into the table truncated in the
same transaction, which also marks its pages all-visible, as VACUUM would.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

if TYPE_CHECKING:
    from jejak.devtools.trace_bench.data import Row

CHUNK = 20_000

# The table and column names this module's SQL is built from are the benchmark's own
# (bench_trace's constants, model metadata), never input: hence the S608/B608 exemptions.

# The index tracing reads is checkins' `checkin_venue_time` on (venue_id, scanned_at).
# `--index covering` swaps it for the covering variant proposed for a checkins migration
# (docs/performance.md, "Tracing"): raw SQL here, for the benchmark only, because the
# checkins app owns its migrations. `none` drops it, to show what it is worth.
TRACING_INDEX = "checkin_venue_time"
COVERING = {
    "postgresql": (
        f"CREATE INDEX {TRACING_INDEX} ON checkins_checkin (venue_id, scanned_at) "
        "INCLUDE (checked_in_at, checked_out_at, planned_checkout_at, person_id, "
        "visitor_type, id)"
    ),
    # SQLite has no INCLUDE; key columns cover as well (the id is the rowid).
    "sqlite": (
        f"CREATE INDEX {TRACING_INDEX} ON checkins_checkin (venue_id, scanned_at, "
        "checked_in_at, checked_out_at, planned_checkout_at, person_id, visitor_type)"
    ),
}


def set_tracing_index(variant: str) -> None:
    """Keep the migrated index ("model"), swap in the covering one, or drop it ("none")."""
    if variant == "model":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {TRACING_INDEX}")
        if variant == "covering":
            cursor.execute(COVERING[connection.vendor])


def load(table: str, columns: list[str], rows: Iterable[Row], *, freeze: bool = False) -> int:
    """Insert rows (tuples of strings in the database's text format); return the count."""
    if connection.vendor == "postgresql":
        return _copy(table, columns, rows, freeze=freeze)
    return _executemany(table, columns, rows)


def _copy(table: str, columns: list[str], rows: Iterable[Row], *, freeze: bool) -> int:
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if freeze:
            # FREEZE needs the table emptied in this very transaction (it is empty).
            cursor.execute(f"TRUNCATE {table} CASCADE")
        options = " WITH (FREEZE)" if freeze else ""
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN{options}"
        with cursor.cursor.copy(statement) as copy:
            it = iter(rows)
            while chunk := list(islice(it, CHUNK)):
                copy.write("".join("\t".join(r) + "\n" for r in chunk))
                count += len(chunk)
    return count


def _executemany(table: str, columns: list[str], rows: Iterable[Row]) -> int:
    count = 0
    marks = ", ".join("?" * len(columns))
    raw = connection.connection
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608  # nosec B608
    with transaction.atomic():
        it = iter(rows)
        while chunk := list(islice(it, CHUNK * 5)):
            raw.executemany(sql, chunk)
            count += len(chunk)
    return count


@contextmanager
def bulk_session() -> Iterator[None]:
    """Session settings for bulk loading, undone afterwards. SQLite takes its pragmas only
    outside a transaction (a test's is one): there the load goes without them, slower."""
    connection.ensure_connection()
    sqlite_pragmas = connection.vendor == "sqlite" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET maintenance_work_mem = '512MB'")
        elif sqlite_pragmas:
            # A crash leaves a throw-away file.
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")
            elif sqlite_pragmas:
                cursor.execute("PRAGMA foreign_keys = ON")


@contextmanager
def indexes_dropped(table: str) -> Iterator[None]:
    """Drop the table's secondary indexes (and unique constraints) and rebuild them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'u'",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
                "AND NOT x.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _ in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
            constraints, indexes = [], cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            # A partitioned table's index reads "ON ONLY" (its partitions' are attached
            # to it one by one): built again on the whole table, partitions and all.
            cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))


def reset_sequence(table: str) -> None:
    """Explicit ids bypass PostgreSQL's identity counter: move it past them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"  # nosec B608
        )


def next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608  # nosec B608
        (value,) = cursor.fetchone()
    return int(value)


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # COPY FREEZE marks a plain table's pages all-visible, which index-only scans
            # need; a partitioned one (checkins 0010) is loaded without it, and VACUUM
            # does the same (outside a transaction: a test's load goes without).
            cursor.execute("VACUUM checkins_checkin")


class Stopwatch:
    """Seconds since the last lap, for the load-time lines."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def lap(self) -> float:
        now = time.monotonic()
        elapsed, self.last = now - self.last, now
        return elapsed


def explain(sql: str, params: list[Any]) -> str:
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())
