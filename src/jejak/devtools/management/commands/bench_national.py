"""`make bench-national` (issue 21): Jejak at the size of a large province, on the
engines a ministry runs: check-ins partitioned by day on PostgreSQL, a streaming replica
for the reads, several server processes.

The benchmark starts a PostgreSQL primary of its own under a temporary folder (`--dir`,
default the system's; never the machine's shared server: it refuses replication and its
settings are not ours), with a production's durability (fsync on). It checks the free
disk first. Then, each timed and printed:

1. load: accounts, people and `--checkins` check-ins over 21 days into the partitioned
   table (COPY; indexes built after), and the size of each day's partition;
2. a streaming standby (`pg_basebackup`), which the measuring process reads through
   DATABASE_REPLICA_URLS, as production does;
3. the contact search's read of `--cases` random cases, on the replica as it starts
   (cold: its cache holds what the base backup left), then again after `jejak prewarm`
   read the search's indexes into its memory, as docs/operations.md has an operator do
   before a new replica takes reads (goal: p99 under 100 ms, judged warm; both printed);
   the usage dashboard of one city for one week, on the replica (goal: under
   1 s; the venues are spread over `CITIES` cities, so the city holds about a twentieth
   of the rows, as the issue sets it); dropping the oldest day (goal: under 1 s in all;
   the part that locks the check-in table printed beside it);
4. check-ins per second through the served stack (`make bench`'s API path, wrk), first
   alone, then with the read load on the replica (a trace a second, a dashboard every
   5 s, from a process started and warmed before wrk starts): goal within 20 % of the
   first; the CPU the standby used in each. Before each, the venues close (every stay
   checked out), so both send the same visitors to the same venues; before both, 5 s of
   check-ins not counted warm the server processes.

Exits non-zero when its own checks fail (rows missing, reads not on the replica, an
error answer, stored check-ins not matching the accepted answers); a missed goal is
printed as FAIL but does not. Not part of CI (about 71 GB of disk and half an hour at the
full size): `BENCH_ARGS="--checkins 2000000 --people 400000 --venues 2000"` for a try.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.urls import get_resolver
from django.utils import timezone

# A check-in's share of the database: its row and indexes (522 bytes measured at 50
# million, docs/performance.md) and the people, accounts and requests around it (the
# primary's folder was 33.6 GiB at 50 million: 721 bytes a check-in); the standby holds
# as much again. Plus the WAL kept between checkpoints (max_wal_size).
BYTES_PER_CHECKIN = 720
WAL_BYTES = 4 * 2**30
DAYS = 21
TRACE_GOAL_MS = 100
DASHBOARD_GOAL_S = 1.0
DROP_GOAL_S = 1.0
THROUGHPUT_GOAL = 0.8  # with the read load, at least this share of the rate without
BASEBACKUP_SECONDS = 3600
# The served stack's warm-up before the check-in runs, not counted.
WARMUP_SECONDS = 5
# A large province's cities: the dashboard's city holds about a twentieth of the rows.
CITIES = 20


class Command(BaseCommand):
    help = "Benchmark a province's check-ins on partitioned PostgreSQL with a replica."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--checkins", type=int, default=50_000_000)
        parser.add_argument("--people", type=int, default=10_000_000)
        parser.add_argument("--venues", type=int, default=50_000)
        parser.add_argument("--cases", type=int, default=100)
        parser.add_argument("--seconds", type=int, default=30, help="per check-in run")
        parser.add_argument(
            "--rounds", type=int, default=2, help="check-in runs alone and with reads, in turn"
        )
        parser.add_argument("--dir", type=Path, help="where the clusters go (default: temp)")
        parser.add_argument("--keep", action="store_true", help="leave the clusters' folder")
        parser.add_argument("--phase", choices=["build", "measure", "read-load"], help="internal")
        parser.add_argument("--now", help="internal")
        parser.add_argument("--standby-data", type=Path, help="internal")
        parser.add_argument("--signal-file", type=Path, help="internal")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["phase"]:
            if connection.vendor != "postgresql":
                raise CommandError("the phases run on the benchmark's own PostgreSQL")
            now = dt.datetime.fromisoformat(opts["now"])
            # Start-up as the served process does it (jejak/asgi.py): the URLconf loaded,
            # then what start-up made frozen out of the cyclic collector's reach. The
            # contact search is measured as it runs there; without it, a full collection
            # walking the start-up heap (85-95 ms on this machine) fell in whichever
            # case allocated past the threshold, and set the p99 (docs/performance.md).
            get_resolver().url_patterns  # noqa: B018 (loads it)
            gc.freeze()
            {"build": self.build, "measure": self.measure, "read-load": self.read_load}[
                opts["phase"]
            ](opts, now)
            return
        self.orchestrate(opts)

    # --- The parent: clusters and phases ----------------------------------------------

    def orchestrate(self, opts: dict[str, Any]) -> None:
        from jejak.core.tests.faults import PostgresCluster, own_folder
        from jejak.core.tests.replication import StandbyCluster
        from jejak.devtools.national_bench import clusters

        if opts["rounds"] < 1:
            raise CommandError("--rounds must be at least 1")
        if opts["dir"] and not opts["dir"].is_dir():
            raise CommandError(f"--dir {opts['dir']} is not a folder: create it first")
        if missing := clusters.missing_tools():
            raise CommandError(f"PostgreSQL's programs are missing: {', '.join(missing)}")
        if shutil.which("wrk") is None:
            raise CommandError("wrk is not installed (Debian: apt-get install wrk).")
        where = opts["dir"] or Path(tempfile.gettempdir())
        need = opts["checkins"] * BYTES_PER_CHECKIN * 2 + WAL_BYTES
        free = shutil.disk_usage(where).free
        self.say(
            f"disk free_gb={free / 2**30:.1f} needed_gb={need / 2**30:.1f} "
            f"(primary and standby, {BYTES_PER_CHECKIN} bytes a check-in, WAL) in {where}"
        )
        if free < need:
            raise CommandError(
                f"not enough disk in {where}: {free / 2**30:.1f} GB free, about "
                f"{need / 2**30:.1f} GB needed; use --dir or fewer --checkins"
            )
        now = timezone.now().replace(microsecond=0)
        root = Path(tempfile.mkdtemp(prefix="jejak-national-", dir=where))
        own_folder(root)  # PostgreSQL's programs run as its user when this runs as root
        primary = PostgresCluster(root / "primary")
        standby: StandbyCluster | None = None
        began = time.monotonic()
        try:
            (root / "primary").mkdir()
            primary.init()
            clusters.start(primary)
            primary.psql("CREATE DATABASE jejak")
            env = {**os.environ, "DATABASE_URL": primary.url("jejak")}
            env.pop("DATABASE_REPLICA_URLS", None)
            self.child(["migrate", "--noinput", "-v", "0"], env)
            # The dashboard's page names its static files by their manifest, as served.
            self.child(["collectstatic", "--noinput", "-v", "0"], env)
            self.say(f"stage migrate s={time.monotonic() - began:.1f}")
            self.child(self.phase("build", opts, now), env)

            began = time.monotonic()
            (root / "standby").mkdir()
            standby = StandbyCluster(root / "standby", primary)
            # 35 GB at 50 million check-ins: the copy alone took over a minute (the
            # tests' START_SECONDS), so at the disk's pace, with an hour's bound.
            standby.init(timeout=BASEBACKUP_SECONDS)
            clusters.start(standby)
            self.say(f"stage standby s={time.monotonic() - began:.1f} (pg_basebackup, start)")
            env["DATABASE_REPLICA_URLS"] = standby.url("jejak")
            env["JEJAK_DEMO_SKIP_SECOND_FACTOR"] = "true"  # the bench's city officer
            measure = [*self.phase("measure", opts, now), f"--standby-data={standby.data}"]
            self.child(measure, env)
            self.say(
                f"disk primary_gb={_size(primary.data) / 2**30:.1f} "
                f"standby_gb={_size(standby.data) / 2**30:.1f}"
            )
        finally:
            for cluster in (standby, primary):
                if cluster is not None and cluster.running():
                    cluster.stop("fast", timeout=BASEBACKUP_SECONDS)
            if opts["keep"]:
                self.say(f"kept {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        self.say(f"peak_memory_mb={peak} (largest of the benchmark's processes)")

    def phase(self, name: str, opts: dict[str, Any], now: dt.datetime) -> list[str]:
        return [
            "bench-national",
            f"--phase={name}",
            f"--now={now.isoformat()}",
            *(
                f"--{k}={opts[k]}"
                for k in ("checkins", "people", "venues", "cases", "seconds", "rounds")
            ),
        ]

    def child(self, arguments: list[str], env: dict[str, str]) -> None:
        self.stdout.flush()
        jejak = str(Path(sys.executable).parent / "jejak")
        done = subprocess.run([jejak, *arguments], env=env, check=False)  # noqa: S603 (ourselves)
        if done.returncode != 0:
            raise CommandError(f"`jejak {' '.join(arguments[:2])}` failed ({done.returncode})")

    # --- The phases, each in a process of its own ---------------------------------------

    def build(self, opts: dict[str, Any], now: dt.datetime) -> None:
        from jejak.checkins import partitions
        from jejak.checkins.models import CheckIn
        from jejak.devtools.trace_bench import data
        from jejak.devtools.trace_bench.load import Stopwatch, analyze, bulk_session
        from jejak.devtools.trace_bench.world import load_world

        if not partitions.active():
            raise CommandError("checkins_checkin is not partitioned (checkins 0010)")
        began = time.monotonic()
        day0 = data.first_day(now, DAYS)
        # A partition for every day of the data, as the periodic runner keeps them.
        for k in range(DAYS + 1):
            partitions.create(partitions.Day(partitions.day_of(day0) + dt.timedelta(days=k)))
        partitions.ensure(now)
        clock = Stopwatch()
        with bulk_session():
            load_world(
                people=opts["people"],
                venues=opts["venues"],
                checkins=opts["checkins"],
                days=DAYS,
                day0=day0,
                clock=clock,
                say=self.say,
                top=2000,
                exponent=0.7,
                cities=CITIES,
            )
            analyze()
            self.say(f"load analyze s={clock.lap():.1f}")
        seconds = time.monotonic() - began
        stored = CheckIn.objects.count()
        self.say(
            f"stage load s={seconds:.1f} checkins={stored} "
            f"rows_per_s={stored / seconds:.0f} days={len(partitions.existing())}"
        )
        if stored != opts["checkins"]:
            raise CommandError(f"{stored} check-ins stored of {opts['checkins']}")

    def measure(self, opts: dict[str, Any], now: dt.datetime) -> None:
        from jejak.checkins import retention
        from jejak.core import replicas
        from jejak.dashboards.rollups import roll_pending
        from jejak.devtools.national_bench import measure

        problems: list[str] = []
        measure.sizes(self.say)
        # The closed days' rollups, as `jejak rollup-usage` builds them after the migration
        # (and run-periodic after each midnight): the dashboard reads them.
        began = time.perf_counter()
        rolled = roll_pending(now)
        self.say(
            f"rollup days={rolled['days']} checkins={rolled['checkins']} "
            f"s={time.perf_counter() - began:.3f}"
        )
        self.wait_for_replica()
        picked = measure.cases(opts["cases"] + 5, days=DAYS, now=now)
        if len(picked) < opts["cases"]:
            raise CommandError(f"only {len(picked)} people with several visits found")
        measure.trace(picked[:5], now=now, say=lambda line: None)  # warm up
        cold = measure.trace(picked[5:], now=now, say=self.say, label="cold")
        p99 = self.prewarmed_trace(picked[5:], now)
        with replicas.reading():
            if replicas.read_alias() == "default":
                problems.append("reads did not go to the replica")
        client, city = measure.city_officer()
        # A served process loads the URL patterns (and the API's schemas) when it starts
        # (jejak/asgi.py); so does this one, so that the first timing is the dashboard's.
        get_resolver().url_patterns  # noqa: B018
        timings = []
        for _ in range(3):
            took, status = measure.dashboard(client, now=now)
            timings.append(took)
            if status != 200:
                problems.append(f"the dashboard answered {status}")
        venues, share = measure.city_share(city, now=now)
        self.say(
            f"dashboard city={city.name} venues={venues} checkins_share={share:.1%} "
            f"days={measure.DASHBOARD_DAYS} on=replica "
            f"first_s={timings[0]:.3f} then_s={min(timings[1:]):.3f}"
        )
        dropped, locked = measure.drop_oldest(now=now, say=self.say)
        # The rest of retention now, not in the served stack's periodic runner while the
        # check-ins are counted (its first round purges).
        purged = retention.purge_expired_checkins(now=now)
        self.say(f"retention {' '.join(f'{k}={v}' for k, v in purged.items())}")
        rates = self.throughput(opts, now, problems)
        self.say(
            f"goals: trace p99 < {TRACE_GOAL_MS} ms {_verdict(p99 < TRACE_GOAL_MS)} "
            f"(after jejak prewarm; cold {cold:.0f} ms); "
            f"dashboard < {DASHBOARD_GOAL_S:.0f} s {_verdict(timings[0] < DASHBOARD_GOAL_S)}; "
            f"drop a day < {DROP_GOAL_S:.0f} s {_verdict(dropped < DROP_GOAL_S)} "
            f"(check-ins locked {locked * 1000:.0f} ms of it); "
            f"check-ins with the read load >= {THROUGHPUT_GOAL:.0%} of without "
            f"{_verdict(rates[1] >= THROUGHPUT_GOAL * rates[0])}"
        )
        for problem in problems:
            self.stderr.write(f"CHECK: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} check(s) failed (see above)")

    def throughput(
        self, opts: dict[str, Any], now: dt.datetime, problems: list[str]
    ) -> tuple[float, float]:
        """`make bench`'s API path, alone and then with the read load on the replica."""
        from jejak.devtools.checkin_bench import data as bench
        from jejak.devtools.management.commands import bench_checkins as checkins
        from jejak.devtools.national_bench.clusters import cpu_seconds

        wrk = shutil.which("wrk") or "wrk"
        runner = checkins.Command()  # writes to this process's stdout, as this one
        settings_like = {
            "visitors": 24_000,
            "venues": 300,
            "seconds": opts["seconds"],
            "connections": 32,
        }
        started = time.monotonic()
        visitors = bench.make_visitors(settings_like["visitors"], prefix="api")
        bench.make_city()
        venues = bench.make_venues(
            settings_like["venues"],
            prefix="A",
            first_phone=0,
            small_places=bench.small_capacity(
                visitors=len(visitors), venues=settings_like["venues"], people_per_visitor=1.3
            ),
        )
        bench.make_rosters(visitors, venues)
        self.say(f"throughput data s={time.monotonic() - started:.1f}")
        rates: dict[bool, list[float]] = {False: [], True: []}
        standby = opts["standby_data"]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            bench.make_screen_codes(venues, valid_for=4 * opts["seconds"] + 600)
            lines = [
                (v.people, v.visitor_type, [f"Authorization: Bearer {v.token}"]) for v in visitors
            ]
            data_file = checkins._write_checkin_data(folder / "api.txt", lines, venues)
            env = {"JEJAK_SMS_BACKEND": "file", "JEJAK_SMS_DIR": str(folder / "sms")}
            with checkins.serving_stack(8766, 2, 10, env) as stack:
                # A few seconds first, not counted: the server processes' first requests
                # (their caches, the new visitors' tokens) would otherwise fall in the
                # first run only.
                # Then the two kinds of run in turn, `--rounds` times: the machine's drift
                # (other work, the disk, the tables growing) falls on both alike.
                runs = [("warmup", False, WARMUP_SECONDS)]
                for n in range(1, opts["rounds"] + 1):
                    runs += [(f"alone-{n}", False, opts["seconds"])]
                    runs += [(f"with_reads-{n}", True, opts["seconds"])]
                for label, loaded, seconds in runs:
                    if label != "warmup":
                        closed = _closing_time(venues)
                        self.say(f"throughput closing time: {closed} stays closed")
                    reader, go = None, None
                    if loaded:
                        # The reader starts, picks its cases and makes its first reads,
                        # then waits for wrk: its start-up is not the read load measured.
                        signal = folder / f"{label}.ready"
                        reader = subprocess.Popen(  # noqa: S603 (ourselves)
                            [
                                str(Path(sys.executable).parent / "jejak"),
                                *self.phase("read-load", opts, now),
                                f"--signal-file={signal}",
                            ],
                            env=os.environ.copy(),
                        )
                        _wait_for(signal, reader)
                        go = signal.with_suffix(".go").touch
                    cpu_before = cpu_seconds(standby) if standby else 0.0
                    load = runner._checkins(
                        f"checkins_{label}",
                        wrk,
                        stack,
                        data_file,
                        folder / label,
                        settings_like | {"seconds": seconds},
                        before_load=go,
                    )
                    cpu = cpu_seconds(standby) - cpu_before if standby else 0.0
                    if reader is not None and reader.wait(timeout=opts["seconds"] + 120):
                        problems.append("the read load failed")
                    problems += load.problems
                    if label == "warmup":
                        continue
                    rates[loaded].append(load.figures["rps"])
                    self.say(
                        f"throughput {label} checkins_per_s={load.figures['rps']:.0f} "
                        f"p99_ms={load.figures['p99']:.1f} standby_cpu_s={cpu:.1f} "
                        f"standby_cores={cpu / seconds:.2f}"
                    )
        alone, with_reads = (statistics.mean(rates[k]) for k in (False, True))
        ratio = with_reads / alone if alone else 0.0
        self.say(
            f"throughput mean alone={alone:.0f} with_reads={with_reads:.0f} ratio={ratio:.2f} "
            f"(with the read load over alone, {opts['rounds']} runs each)"
        )
        return alone, with_reads

    def read_load(self, opts: dict[str, Any], now: dt.datetime) -> None:
        from jejak.devtools.national_bench import measure

        picked = measure.cases(50, days=DAYS, now=now)
        signal: Path = opts["signal_file"]

        def start() -> None:
            """Ready; then wait for the parent to start wrk (its `.go` file)."""
            signal.touch()
            _wait_for(signal.with_suffix(".go"))

        done = measure.read_load(
            picked, seconds=opts["seconds"], now=now, say=self.say, start=start
        )
        self.say(
            f"read_load traces={done['traces']} dashboards={done['dashboards']} "
            f"failures={done['failures']}"
        )
        if done["failures"]:
            raise CommandError("the read load had failures")

    def prewarmed_trace(self, picked: list[Any], now: dt.datetime) -> float:
        """`jejak prewarm` on the replica (the extension created on this benchmark's own
        primary, whose superuser it is), then the same cases again: the p99 in ms."""
        from jejak.checkins import prewarm
        from jejak.core import replicas
        from jejak.devtools.national_bench import measure

        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (written,) = cursor.fetchone()
        for alias in replicas.replica_aliases():
            self.wait_for_replay(alias, written)
            warmed = prewarm.warm(alias)
            self.say(
                f"prewarm on={alias} indexes={warmed.relations} "
                f"mb={warmed.bytes / 2**20:.0f} s={warmed.seconds:.1f}"
            )
        return measure.trace(picked, now=now, say=self.say, label="warm")

    def wait_for_replay(self, alias: str, lsn: str) -> None:
        """Until the replica `alias` has replayed the primary's WAL up to `lsn`."""
        from django.db import connections

        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                (replayed,) = cursor.fetchone()
            if replayed:
                return
            time.sleep(0.2)
        raise CommandError(f"{alias} did not replay up to {lsn} within 10 minutes")

    def wait_for_replica(self) -> None:
        """Until the standby has replayed the load and counts as current."""
        from jejak.core import replicas

        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline:
            replicas.reset()
            lags = replicas.replica_lags()
            if lags and all(lag is not None and lag <= 1 for lag in lags.values()):
                self.say(f"replica lag_s={max(lags.values()):.1f}")  # type: ignore[type-var]
                return
            time.sleep(1)
        raise CommandError("the standby did not catch up within an hour")

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()


def _closing_time(venues: list[Any]) -> int:
    """Close every stay at the check-in runs' venues, as their staff do at closing time
    (`check_out_everyone`): the second run then sends the same visitors to the same
    venues as the first, into empty venues as the first found them. (Sent elsewhere
    instead, with their stays still open, it had another mix: more employees off their
    roster, other venues full, each check-in closing a stay first.)"""
    from jejak.accounts.models import User
    from jejak.checkins import checkout
    from jejak.devtools.national_bench import measure
    from jejak.venues.models import Venue

    measure.city_officer()  # made if it is not there yet
    actor = User.objects.get(username=measure.OFFICER)
    return sum(
        checkout.check_out_everyone(venue=venue, actor=actor)
        for venue in Venue.objects.filter(pk__in=[v.venue_id for v in venues])
    )


def _wait_for(path: Path, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until `path` exists (another process's signal), at most 10 minutes; a `process`
    that ends first has failed."""
    deadline = time.monotonic() + 600
    while not path.exists():
        if process is not None and process.poll() is not None:
            raise CommandError(f"the read load ended ({process.returncode}) before it was ready")
        if time.monotonic() > deadline:
            raise CommandError(f"{path.name} did not appear within 10 minutes")
        time.sleep(0.05)


def _verdict(met: bool) -> str:
    return "PASS" if met else "FAIL"


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
