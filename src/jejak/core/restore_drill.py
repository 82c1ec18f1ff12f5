"""The restore drill (`jejak restore-drill`): a backup taken as the schedule takes it,
restored into a PostgreSQL cluster of the drill's own (core/scratch_cluster.py), and
compared with its source. docs/operations.md, "Backups and restore".

Two methods:
- `dump`: `pg_dump -Fc`, then `pg_restore --create` into a new cluster (initdb);
- `base`: `pg_basebackup -X stream` over a replication connection, checked against its
  manifest with `pg_verifybackup`, then started: recovery replays the WAL streamed with it.

What must hold:
- every table of the source is in the copy with as many rows. A dump is compared with the
  source in the very snapshot it was taken in (`pg_dump --snapshot`), so the numbers are
  exact while the city keeps checking in; a base backup is a copy of a moment during the
  copying, so a table written meanwhile must hold between its counts before and after;
- a sample of every encrypted column (those `jejak reencrypt` covers) decrypts, with the
  keys this process has, to the same plaintext as at the source, and a NIK's or phone
  number's blind index is the one JEJAK_INDEX_KEY makes. Only SHA-256 digests of the
  plaintexts are compared; none is printed or kept.
"""

from __future__ import annotations

import getpass
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend

from jejak.core.reencryption import EMPTY, Opened, SecretKey, open_samples
from jejak.core.scratch_cluster import ScratchCluster, find_tool, run

METHODS = ("dump", "base")
SOURCE_ALIAS = "jejak_drill_source"  # a connection of the drill's own, beside the app's
COPY_ALIAS = "jejak_drill_copy"
SHOWN_PROBLEMS = 50

# Django's names of the connection settings that libpq also reads from the environment.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class DrillError(Exception):
    """The drill cannot run as asked (not PostgreSQL, a bad option); not a mismatch."""


@dataclass
class Side:
    """What one database held: rows per table, and a sample of its secrets opened."""

    counts: dict[str, int]
    unlogged: set[str]
    secrets: dict[SecretKey, Opened]


@dataclass
class Report:
    """What the drill did and found; `problems` empty means the copy matched."""

    method: str
    source: str
    steps: list[str] = field(default_factory=list)
    tables: int = 0
    rows: int = 0
    secrets: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The summary the command prints (no personal data: names of tables and columns,
        primary keys, counts)."""
        lines = [f"restore drill: {self.method} of {self.source}", *self.steps]
        lines.append(
            f"  tables: {self.tables} compared, {self.rows:,} rows in the copy"
            if self.tables
            else "  tables: none compared"
        )
        opened = sum(self.secrets.values())
        columns = ", ".join(f"{name} {n}" for name, n in sorted(self.secrets.items()))
        lines.append(f"  encrypted values: {opened} compared ({columns or 'none stored'})")
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  MISMATCH {problem}" for problem in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(self.problems) - SHOWN_PROBLEMS} more")
        verdict = "OK" if self.ok else f"FAILED: {len(self.problems)} mismatches"
        lines.append(f"{verdict} in {self.seconds:.1f} s")
        return lines


def describe(settings: Mapping[str, Any]) -> str:
    """`name at host:port`, never the password."""
    host = settings.get("HOST") or "the local socket"
    return f"{settings.get('NAME')} at {host}:{settings.get('PORT') or 5432}"


def libpq_env(settings: Mapping[str, Any]) -> dict[str, str]:
    """This process's environment for a PostgreSQL program that connects as `settings`
    say; the password goes in the environment, not on a command line others can read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    wanted = {
        "PGHOST": settings.get("HOST"),
        "PGPORT": settings.get("PORT"),
        "PGUSER": settings.get("USER"),
        "PGPASSWORD": settings.get("PASSWORD"),
        "PGDATABASE": settings.get("NAME"),
    }
    options = settings.get("OPTIONS") or {}
    wanted |= {variable: options.get(name) for name, variable in _LIBPQ_OPTIONS.items()}
    return env | {k: str(v) for k, v in wanted.items() if v not in (None, "")}


@contextmanager
def connected(alias: str, settings: Mapping[str, Any]) -> Iterator[BaseDatabaseWrapper]:
    """A connection under a temporary alias with these (complete) Django settings, which
    querysets reach with `.using(alias)`; closed and forgotten on leaving. DATABASES is
    left alone: the alias is this thread's only."""
    connection = load_backend(settings["ENGINE"]).DatabaseWrapper(dict(settings), alias)
    connections[alias] = connection
    try:
        connection.ensure_connection()
        yield connection
    finally:
        connection.close()
        del connections[alias]


def _major(connection: BaseDatabaseWrapper) -> int:
    """The source server's major version: the copy is made and run by the same one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int / 10000")
        return int(cursor.fetchone()[0])


def _tables(connection: BaseDatabaseWrapper) -> list[tuple[str, bool]]:
    """Every table of the database (schema-qualified, quoted), and whether it is unlogged."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format('%I.%I', n.nspname, c.relname), c.relpersistence = 'u' "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' "
            "AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
            "ORDER BY 1"
        )
        return [(name, unlogged) for name, unlogged in cursor.fetchall()]


def _count(connection: BaseDatabaseWrapper, tables: Iterable[str]) -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            # The name comes from the catalog, quoted there by format('%I').
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  # nosec B608
            counts[table] = cursor.fetchone()[0]
    return counts


@contextmanager
def _one_snapshot(connection: BaseDatabaseWrapper) -> Iterator[BaseDatabaseWrapper]:
    """A read-only transaction in which every statement sees the same moment."""
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield connection


def _look(
    connection: BaseDatabaseWrapper,
    *,
    sample: int = 0,
    like: Iterable[SecretKey] | None = None,
    tables: Iterable[str] | None = None,
) -> Side:
    """Counts and a sample of secrets, inside the caller's snapshot when there is one."""
    listed = _tables(connection)
    names = [name for name, _unlogged in listed] if tables is None else list(tables)
    present = {name for name, _unlogged in listed}
    return Side(
        counts=_count(connection, [name for name in names if name in present]),
        unlogged={name for name, unlogged in listed if unlogged},
        secrets=open_samples(using=connection.alias, size=sample, like=like),
    )


def _in_order(key: SecretKey) -> tuple[str, str, int, str]:
    label, column, pk = key
    return label, column, int(pk) if pk.isdigit() else 0, pk


def compare(before: Side, copy: Side, *, after: Side | None = None) -> list[str]:
    """What differs between a copy and its source. `before` and `after` are the source
    when the backup began and ended (a dump has one moment: `after` is None); a value
    of the copy may be either."""
    problems = []
    later = after or before
    for table in sorted(before.counts.keys() | copy.counts.keys()):
        if table not in copy.counts:
            problems.append(f"{table}: at the source, missing from the copy")
            continue
        if table not in before.counts:
            problems.append(f"{table}: in the copy, not at the source")
            continue
        low, high = sorted((before.counts[table], later.counts.get(table, 0)))
        if not low <= copy.counts[table] <= high:
            source = f"{low}" if low == high else f"{low} to {high}"
            rows = copy.counts[table]
            problems.append(f"{table}: {rows} rows in the copy, {source} at the source")
    for key, first in sorted(before.secrets.items(), key=lambda item: _in_order(item[0])):
        where = f"{key[0]}.{key[1]} #{key[2]}"
        mine = copy.secrets.get(key)
        if first.problem and first.problem != EMPTY:
            problems.append(f"{where}: {first.problem} (at the source too)")
        elif mine is not None and mine.problem and mine.problem != EMPTY:
            problems.append(f"{where}: {mine.problem} (in the copy)")
        elif mine not in ({first} if after is None else {first, after.secrets.get(key)}):
            what = "missing from the copy" if mine is None else "another value than at the source"
            problems.append(f"{where}: {what}")
    return problems


def run_drill(
    *,
    source: Mapping[str, Any],
    method: str = "dump",
    sample: int = 20,
    workdir: Path | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Report:
    """Back up the database that `source` (Django settings of a PostgreSQL database)
    names, restore it into a cluster of the drill's own, compare, and remove the
    cluster. Raises DrillError when it cannot run; mismatches are in the report."""
    if method not in METHODS:
        raise DrillError(f"unknown method {method!r} (one of {', '.join(METHODS)})")
    if source.get("ENGINE") != "django.db.backends.postgresql":
        raise DrillError("the restore drill needs PostgreSQL")
    if sample < 1:
        raise DrillError("--sample must be at least 1")
    began = time.monotonic()
    report = Report(method=method, source=describe(source))
    with connected(SOURCE_ALIAS, source) as connection:
        major = _major(connection)
        with ScratchCluster(major, workdir) as cluster:
            progress(f"drill folder {cluster.folder}, PostgreSQL {major}")
            drill = _Drill(report, source, connection, cluster, progress)
            before, after = drill.dump(sample) if method == "dump" else drill.base(sample)
            progress("comparing the copy with the source")
            copy_settings = cluster.database(source, str(source["NAME"]))
            with connected(COPY_ALIAS, copy_settings) as copied, _one_snapshot(copied):
                copy = _look(copied, like=before.secrets, tables=before.counts)
    _summarise(report, before, copy, after, unlogged_empty=method == "base")
    report.seconds = time.monotonic() - began
    return report


@dataclass
class _Drill:
    report: Report
    source: Mapping[str, Any]
    connection: BaseDatabaseWrapper
    cluster: ScratchCluster
    progress: Callable[[str], None]
    started: float = field(default_factory=time.monotonic)

    def begin(self, what: str) -> None:
        self.progress(what)
        self.started = time.monotonic()

    def done(self, what: str) -> None:
        self.report.steps.append(f"  {what} in {time.monotonic() - self.started:.1f} s")

    def tool(self, name: str) -> str:
        return find_tool(name, self.cluster.major)

    def dump(self, sample: int) -> tuple[Side, None]:
        """pg_dump in a snapshot that the source is counted and sampled in too, then
        pg_restore into a new cluster."""
        archive = self.cluster.folder / "backup.dump"
        with _one_snapshot(self.connection):
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            self.begin("backing up: pg_dump")
            dump = [self.tool("pg_dump"), "-Fc", "--snapshot", snapshot, "-f", str(archive)]
            run(dump, env=libpq_env(self.source))
            self.done(f"backup: pg_dump -Fc, {archive.stat().st_size / 1e6:.1f} MB")
            self.begin("counting and sampling the source, in the dump's snapshot")
            before = _look(self.connection, sample=sample)
            self.done("source: counted and sampled")
        self.begin("restoring: initdb, pg_restore")
        # The superuser is named as the app's role, so the restored objects are its.
        self.cluster.init(superuser=str(self.source.get("USER") or getpass.getuser()))
        self.cluster.start()
        restore = [self.tool("pg_restore"), "--create", "--exit-on-error", "--no-owner"]
        restore += ["--no-privileges", "--jobs", str(min(4, os.cpu_count() or 1))]
        restore += ["--dbname", "postgres", str(archive)]
        run(restore, env=libpq_env(self.cluster.database(self.source, "postgres")))
        self.done("restore: initdb and pg_restore into a new cluster")
        return before, None

    def base(self, sample: int) -> tuple[Side, Side]:
        """The source counted and sampled before and after pg_basebackup, whose copy is
        verified against its manifest and started."""
        self.begin("counting and sampling the source")
        with _one_snapshot(self.connection):
            before = _look(self.connection, sample=sample)
        self.done("source: counted and sampled")
        self.begin("backing up: pg_basebackup")
        data = str(self.cluster.data)
        copy = [self.tool("pg_basebackup"), "-D", data, "-X", "stream", "--no-sync"]
        # A fast checkpoint: the copy starts now, not at the next scheduled checkpoint.
        copy += ["--checkpoint", "fast", "--label", "jejak restore drill"]
        run(copy, env=libpq_env(self.source), server=True)
        run([self.tool("pg_verifybackup"), data], server=True)
        size = sum(f.stat().st_size for f in self.cluster.data.rglob("*") if f.is_file())
        self.done(f"backup: pg_basebackup -X stream and pg_verifybackup, {size / 1e6:.1f} MB")
        with _one_snapshot(self.connection):
            after = _look(self.connection, like=before.secrets, tables=before.counts)
        self.begin("restoring: starting the copy")
        self.cluster.start()
        self.done("restore: the copy started (recovery included)")
        return before, after


def _summarise(
    report: Report, before: Side, copy: Side, after: Side | None, *, unlogged_empty: bool
) -> None:
    if unlogged_empty and before.unlogged:
        # A base backup leaves unlogged tables' rows out by design; they come back empty.
        for table in before.unlogged:
            before.counts.pop(table, None)
            copy.counts.pop(table, None)
            if after is not None:
                after.counts.pop(table, None)
        report.notes.append(f"unlogged tables not compared: {', '.join(sorted(before.unlogged))}")
    report.problems = compare(before, copy, after=after)
    report.tables = len(copy.counts)
    report.rows = sum(copy.counts.values())
    report.secrets = Counter(f"{label}.{column}" for label, column, _pk in before.secrets)
    if not before.secrets:
        report.notes.append("no encrypted value stored at the source: nothing to decrypt")
