"""`make bench-trace`: how long tracing one case takes among ten million check-ins.

Loads people, venues and check-ins in bulk (see tracing/bench), traces random cases with
`shared_visits` plus a sum per contact, and prints the median and p99 per case and the
query plan of the slowest one. Run on PostgreSQL (`make bench-trace` makes the database);
it then runs itself again on a temporary SQLite file at a tenth of the size, unless
`--skip-sqlite`. See docs/performance.md, "Tracing".
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from jejak.checkins.models import CheckIn
from jejak.devtools.trace_bench import data
from jejak.devtools.trace_bench.cases import nearest_rank, pick_cases
from jejak.devtools.trace_bench.load import (
    Stopwatch,
    analyze,
    bulk_session,
    explain,
    set_tracing_index,
)
from jejak.devtools.trace_bench.world import load_world
from jejak.people.models import Person
from jejak.tracing.overlap import (
    DEFAULT_PRESENCE,
    case_query,
    case_visits,
    contact_query,
    shared_visits,
)

WARM_UP_CASES = 5


class Command(BaseCommand):
    help = "Benchmark contact tracing on bulk-loaded check-ins (see docs/performance.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=1_000_000)
        parser.add_argument("--venues", type=int, default=5_000)
        parser.add_argument("--checkins", type=int, default=10_000_000)
        parser.add_argument("--days", type=int, default=21)
        parser.add_argument("--cases", type=int, default=100)
        parser.add_argument("--window-days", type=int, default=10)
        parser.add_argument(
            "--index",
            choices=["model", "covering", "none"],
            default="model",
            help="checkin_venue_time as migrated, the proposed covering variant, or none",
        )
        parser.add_argument(
            "--sqlite-scale",
            type=float,
            default=0.1,
            help="size of the SQLite run relative to this one (people, venues, check-ins)",
        )
        parser.add_argument("--skip-sqlite", action="store_true")
        parser.add_argument(
            "--keep", action="store_true", help="keep the PostgreSQL database afterwards"
        )
        # The SQLite half: the command runs itself with DATABASE_URL=sqlite:///...
        parser.add_argument("--sqlite-part", action="store_true", help="internal")

    def handle(self, *args: Any, **opts: Any) -> None:
        vendor = connection.vendor
        if opts["sqlite_part"]:
            if vendor != "sqlite":
                raise CommandError("--sqlite-part runs on a SQLite database.")
            call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
        elif vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
        if CheckIn.objects.exists() or Person.objects.exists():
            raise CommandError(
                "Run the benchmark on an empty database (make bench-trace makes one)."
            )

        self.run(vendor, opts)
        if vendor == "postgresql" and not opts["skip_sqlite"]:
            self.run_sqlite(opts)
        if vendor == "postgresql" and not opts["keep"]:
            self.drop_database()

    def run(self, vendor: str, opts: dict[str, Any]) -> None:
        now = timezone.now().replace(microsecond=0)
        day0 = data.first_day(now, opts["days"])
        clock = Stopwatch()
        started = time.monotonic()
        with bulk_session():
            world = self.load(opts, day0, clock)
            if opts["index"] != "model":
                # PROPOSED INDEX (or none), by raw SQL for the benchmark only: the
                # checkins app owns its migrations (docs/performance.md, "Tracing").
                set_tracing_index(opts["index"])
                self.say(f"{vendor} load tracing_index={opts['index']} s={clock.lap():.1f}")
            analyze()
            self.say(f"{vendor} load analyze s={clock.lap():.1f}")
        self.say(f"{vendor} load total s={time.monotonic() - started:.1f}")
        self.trace(vendor, opts, world, now)

    def load(self, opts: dict[str, Any], day0: dt.datetime, clock: Stopwatch) -> data.World:
        return load_world(
            people=opts["people"],
            venues=opts["venues"],
            checkins=opts["checkins"],
            days=opts["days"],
            day0=day0,
            clock=clock,
            say=self.say,
        )

    def trace(self, vendor: str, opts: dict[str, Any], world: data.World, now: dt.datetime) -> None:
        rng = random.Random(11)  # noqa: S311 (fake data)
        cases = pick_cases(opts["cases"] + WARM_UP_CASES, world, opts["window_days"], rng)
        if len(cases) < opts["cases"] + WARM_UP_CASES:
            raise CommandError(f"only {len(cases)} people with several visits were found")
        warm_up, measured = cases[:WARM_UP_CASES], cases[WARM_UP_CASES:]
        for person_id, start, end in warm_up:
            shared_visits(person_id=person_id, window_start=start, window_end=end, now=now)
        # First pass: the cases' index pages are not cached yet (as when an officer opens
        # a new case); second pass: the same cases again, cached. CPU is this process's
        # own time: on a shared machine the wall time also holds the wait for a core.
        for label in ("first_pass", "second_pass"):
            timings, cpu, visits, rows, contacts = [], [], [], [], []
            for person_id, start, end in measured:
                began, began_cpu = time.perf_counter(), time.process_time()
                found = shared_visits(
                    person_id=person_id, window_start=start, window_end=end, now=now
                )
                per_person: defaultdict[int, int] = defaultdict(int)
                for shared in found:
                    per_person[shared.contact_person_id] += shared.seconds
                timings.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - began_cpu) * 1000)
                visits.append(len({s.case_checkin_id for s in found}))
                rows.append(len(found))
                contacts.append(len(per_person))
            ordered = sorted(timings)
            self.say(
                f"{vendor} trace {label} cases={len(timings)} "
                f"median_ms={statistics.median(timings):.1f} "
                f"p90_ms={nearest_rank(ordered, 0.90):.1f} "
                f"p99_ms={nearest_rank(ordered, 0.99):.1f} max_ms={ordered[-1]:.1f} "
                f"mean_ms={statistics.fmean(timings):.1f} "
                f"client_cpu_median_ms={statistics.median(cpu):.1f} "
                f"client_cpu_p99_ms={nearest_rank(sorted(cpu), 0.99):.1f}"
            )
        self.say(
            f"{vendor} trace per_case shared_visits_median={statistics.median(rows):.0f} "
            f"max={max(rows)} contacts_median={statistics.median(contacts):.0f} "
            f"max={max(contacts)} case_visits_with_contacts_median={statistics.median(visits):.0f}"
        )
        load_avg = os.getloadavg()[0]
        self.say(f"{vendor} trace load_average_1min={load_avg:.1f} cores={os.cpu_count()}")
        slowest = timings.index(ordered[-1])
        person_id, start, end = measured[slowest]
        found_visits = case_visits(person_id, start, end, DEFAULT_PRESENCE, now)
        sql, params = contact_query(person_id, found_visits, now)
        self.say(
            f"{vendor} plan of the slowest case's contact query "
            f"({len(found_visits)} visits, {rows[slowest]} shared visits):"
        )
        self.say(explain(sql, params))
        sql, params = case_query(person_id, start, end, DEFAULT_PRESENCE)
        self.say(f"{vendor} plan of its case query:")
        self.say(explain(sql, params))

    def run_sqlite(self, opts: dict[str, Any]) -> None:
        scale = opts["sqlite_scale"]
        with tempfile.TemporaryDirectory() as tmp:
            env = os.environ | {"DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"}
            command = [
                str(Path(sys.executable).parent / "jejak"),
                "bench-trace",
                "--sqlite-part",
                f"--people={max(1000, int(opts['people'] * scale))}",
                f"--venues={max(10, int(opts['venues'] * scale))}",
                f"--checkins={int(opts['checkins'] * scale)}",
                f"--days={opts['days']}",
                f"--cases={opts['cases']}",
                f"--window-days={opts['window_days']}",
                f"--index={opts['index']}",
            ]
            self.stdout.flush()
            subprocess.run(command, env=env, check=True)  # noqa: S603 (ourselves)

    def drop_database(self) -> None:
        import psycopg

        settings = connection.settings_dict
        name = settings["NAME"]
        connection.close()
        with psycopg.connect(
            dbname="postgres",
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            autocommit=True,
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.say(f"dropped database {name} (--keep keeps it)")

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
