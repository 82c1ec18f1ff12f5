"""`jejak prewarm`: the contact search's indexes read into the server's memory with
PostgreSQL's pg_prewarm (checkins/prewarm.py)."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from jejak.checkins import partitions, prewarm

on_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="pg_prewarm is PostgreSQL's",
)


def test_sqlite_says_it_is_for_postgresql(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with pytest.raises(CommandError, match="for PostgreSQL"):
        call_command("prewarm")


def test_an_unknown_alias_is_refused(db):
    with pytest.raises(CommandError, match="unknown database alias: replica9"):
        call_command("prewarm", "--database", "replica9")


@on_postgres
def test_without_the_extension_it_says_how_to_install_it(db):
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION IF EXISTS pg_prewarm")  # rolled back with the test
    with pytest.raises(CommandError, match="CREATE EXTENSION pg_prewarm"):
        call_command("prewarm")


@on_postgres
def test_it_reads_each_day_partitions_search_indexes_and_the_held_tables(db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")  # rolled back too
    days = partitions.existing()
    names = prewarm.indexes("default")
    # Two indexes a day partition (the default partition's too), two on the held table.
    assert len(names) == 2 * (len(days) + 1) + 2
    assert names[-2:] == ["held_checkin_venue_time", "held_checkin_person_history"]
    first_day = [n for n in names if n.startswith(days[0].name)]
    assert len(first_day) == 2 and names.index(first_day[0]) < names.index(
        next(n for n in names if n.startswith(days[-1].name))
    )
    out = io.StringIO()
    call_command("prewarm", stdout=out)
    assert out.getvalue().startswith(f"default: {len(names)} indexes, ")
