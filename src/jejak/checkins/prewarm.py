"""Load the indexes the contact search reads into a PostgreSQL server's memory, with the
engine's own `pg_prewarm` (docs/operations.md, "Warming a replica").

A replica that has just started (a new base backup, a restart) reads every index page
of a crowded venue's day from disk: at 50 million check-ins on the benchmark machine the
contact search's median was 24 ms cold and 14 ms warm (docs/performance.md). The search
reads two indexes of the check-ins (`checkin_venue_time`, covering, and the case's own
`checkin_person_history`) and their twins on the held table: 5.5 GB a province at 50
million. They are read oldest day first, so the newest days stay the most recent in the
cache. `pg_prewarm` needs `CREATE EXTENSION pg_prewarm` once, on the primary, by a
superuser (the replicas follow).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connections

# The contact search's indexes (checkins/models.py), partitioned or not.
INDEXES = (
    "checkin_venue_time",
    "checkin_person_history",
    "held_checkin_venue_time",
    "held_checkin_person_history",
)


class PrewarmError(Exception):
    pass


@dataclass
class Warmed:
    relations: int
    bytes: int
    seconds: float


def indexes(alias: str) -> list[str]:
    """The leaf indexes behind INDEXES on `alias`, oldest partition first."""
    found: list[str] = []
    with connections[alias].cursor() as cursor:
        for name in INDEXES:
            cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [name])
            row = cursor.fetchone()
            if row is None:
                continue
            if row[0] == "I":  # partitioned: its day partitions' indexes
                cursor.execute(
                    "SELECT relid::regclass::text FROM pg_partition_tree(to_regclass(%s)) "
                    "WHERE isleaf ORDER BY relid::regclass::text",
                    [name],
                )
                found += [leaf for (leaf,) in cursor.fetchall()]
            else:
                found.append(name)
    return found


def warm(alias: str) -> Warmed:
    """Read the search's indexes on `alias` into the server's memory ('read' mode: the
    operating system's cache, which is larger than shared_buffers)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise PrewarmError("prewarming is for PostgreSQL; SQLite reads its own file")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_prewarm'")
        if cursor.fetchone() is None:
            raise PrewarmError(
                "the pg_prewarm extension is not installed: run CREATE EXTENSION pg_prewarm "
                "on the primary as a superuser (the replicas follow)"
            )
    began = time.perf_counter()
    names = indexes(alias)
    size = 0
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(
                "SELECT pg_relation_size(%s::regclass), pg_prewarm(%s::regclass, 'read')",
                [name, name],
            )
            size += cursor.fetchone()[0]
    return Warmed(relations=len(names), bytes=size, seconds=time.perf_counter() - began)
