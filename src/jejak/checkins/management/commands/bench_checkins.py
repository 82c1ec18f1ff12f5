"""`make bench`: check-ins per second through the production stack on PostgreSQL.

Creates visitors and venues, starts the server (uvicorn, jejak.asgi), drives
POST /api/v1/checkins with wrk for a fixed time, then GET /healthz the same way, and
prints throughput, latency, non-2xx responses, stored rows against accepted responses,
and the ratio of the two rates.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction

from jejak.checkins.bench.data import make_history, make_venues, make_visitors
from jejak.checkins.models import CheckIn

LUA = Path(__file__).resolve().parents[2] / "bench" / "checkin.lua"


class Command(BaseCommand):
    help = "Benchmark check-ins through the server on PostgreSQL with wrk (docs/performance.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--visitors", type=int, default=10_000)
        parser.add_argument("--venues", type=int, default=300)
        parser.add_argument("--seconds", type=int, default=30)
        parser.add_argument("--connections", type=int, default=32)
        parser.add_argument("--workers", type=int, default=2, help="server processes (>= 2)")
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args: Any, **opts: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError("wrk is not installed (Debian: apt-get install wrk).")
        if opts["workers"] < 2:
            raise CommandError("Use at least 2 server processes.")
        if CheckIn.objects.exists():
            raise CommandError("Run the benchmark on an empty database (make bench makes one).")

        started = time.monotonic()
        tokens = make_visitors(opts["visitors"])
        qrs = make_venues(opts["venues"])
        history = make_history()
        self.stdout.write(
            f"data: {len(tokens)} visitors, {len(qrs)} venue codes, {history} past check-ins "
            f"in {time.monotonic() - started:.1f} s"
        )
        with connection.cursor() as cursor:
            # Plan the check-in statements on the statistics of tables in use, as in a
            # database in service: planned on empty check-in tables, the prepared statements
            # kept plans that read every open stay (docs/performance.md). VACUUM as well,
            # as autovacuum would have by then: freshly loaded rows otherwise get their hint
            # bits written by the first check-ins that read them.
            cursor.execute("VACUUM ANALYZE")
        _checkpoint()
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "bench.txt"
            data.write_text(
                f"visitors {len(tokens)} venues {len(qrs)}\n" + "\n".join([*tokens, *qrs]) + "\n"
            )
            server = _server(opts["port"], opts["workers"])
            with server as base:
                before = CheckIn.objects.count()
                cpu = _CpuMeter(server=lambda: _children(server.proc.pid), database=_database_pids)
                out = _wrk(wrk, base + "/api/v1/checkins", opts, data, script=LUA, out=tmp)
                spent = cpu.read()
                # wrk stops without waiting for requests in flight; the server still
                # finishes them, so let it drain before counting rows.
                time.sleep(2)
                stored = CheckIn.objects.count() - before
                figures = _figures(out)
                accepted = _accepted(out)
                ids = _accepted_ids(Path(tmp))
                matched = _stored(ids)
                self._print("checkins", figures)
                self.stdout.write(
                    f"checkins stored_rows={matched} accepted_responses={len(ids)} "
                    f"(rows of requests still in flight when wrk stopped: {stored - matched})"
                )
                if figures["requests"]:
                    per = {k: v * 1000 / figures["requests"] for k, v in spent.items()}
                    self.stdout.write(
                        f"checkins cpu_ms_per_request server={per['server']:.2f} "
                        f"database={per['database']:.2f}"
                    )
                # Every accepted response must name a stored row; the requests in flight
                # when wrk stopped were stored without a response being counted.
                if matched != len(ids) or len(ids) != accepted:
                    self.stderr.write("MISMATCH: stored rows differ from accepted responses")
                health = _figures(_wrk(wrk, base + "/healthz", opts, data, script=None))
                self._print("healthz", health)
        ratio = figures["rps"] / health["rps"] if health["rps"] else 0.0
        self.stdout.write(f"ratio {ratio:.2f}")

    def _print(self, name: str, f: dict[str, float]) -> None:
        self.stdout.write(
            f"{name} requests_per_s={f['rps']:.0f} p50_ms={f['p50']:.1f} "
            f"p99_ms={f['p99']:.1f} requests={f['requests']:.0f} "
            f"non_2xx={f['non2xx']:.0f} socket_errors={f['errors']:.0f}"
        )


class _server:
    """The server on loopback for the length of a `with` block."""

    def __init__(self, port: int, workers: int) -> None:
        self.port, self.workers = port, workers

    def __enter__(self) -> str:
        env = os.environ | {
            # The per-account burst limit stays on; 10,000 visitors at a few thousand
            # requests per second scan more often than a person would.
            "JEJAK_CHECKINS_PER_MINUTE": "1000",
            "DATABASE_CONN_MAX_AGE": "600",
        }
        # The production stack, as `make run` serves it: `jejak serve`, uvicorn processes
        # running jejak.asgi (the check-in lane in front of Django), a socket each.
        self.proc = subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
            [
                str(Path(sys.executable).parent / "jejak"),
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310 (loopback)
                    return base
            except OSError:
                time.sleep(0.1)
        self.proc.terminate()
        raise CommandError("the server did not start")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _wrk(
    wrk: str, url: str, opts: dict[str, Any], data: Path, script: Path | None, out: str = ""
) -> str:
    threads = 2
    command = [
        wrk,
        f"-t{threads}",
        f"-c{opts['connections']}",
        f"-d{opts['seconds']}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    if script is not None:
        command += ["-s", str(script)]
    env = os.environ | {"JEJAK_BENCH_DATA": str(data), "JEJAK_BENCH_THREADS": str(threads)}
    if out:
        env["JEJAK_BENCH_OUT"] = out
    return subprocess.run(  # noqa: S603 (wrk against our loopback server)
        [*command, url], env=env, capture_output=True, text=True, check=True
    ).stdout


def _checkpoint() -> None:
    """Write the loaded data out before measuring, as the database of a city in service
    has long done, so that the measurement does not pay for the load's checkpoint. Only a
    superuser may (this machine's trusted `postgres`); without the right, measure anyway."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:
        print(f"no CHECKPOINT before measuring: {exc}", file=sys.stderr)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _figures(out: str) -> dict[str, float]:
    def grab(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, out)

    p50, p99 = grab(r"50%\s+([\d.]+)(us|ms|s|m)\b"), grab(r"99%\s+([\d.]+)(us|ms|s|m)\b")
    rps, total = grab(r"Requests/sec:\s+([\d.]+)"), grab(r"(\d+) requests in")
    non2xx = grab(r"Non-2xx or 3xx responses: (\d+)")
    errors = grab(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": _ms(*p50.groups()) if p50 else 0.0,
        "p99": _ms(*p99.groups()) if p99 else 0.0,
        "requests": float(total.group(1)) if total else 0.0,
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "errors": float(sum(int(g) for g in errors.groups())) if errors else 0.0,
    }


def _accepted_ids(folder: Path) -> set[str]:
    ids: set[str] = set()
    for path in folder.glob("accepted-*.txt"):
        ids.update(line for line in path.read_text().split() if line)
    return ids


def _stored(ids: set[str]) -> int:
    found, chunk = 0, sorted(ids)
    for start in range(0, len(chunk), 5000):
        found += CheckIn.objects.filter(public_id__in=chunk[start : start + 5000]).count()
    return found


def _ticks(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # gone
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def _database_pids() -> list[int]:
    """PostgreSQL's backends serving this database (read on the same machine)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


class _CpuMeter:
    """CPU seconds spent by the server's workers and the database's backends while the
    load ran: where a check-in's time goes, without a profiler in the way. Processes
    that appear during the run (a backend opened by a worker's first request) count
    from zero."""

    def __init__(self, **groups: Callable[[], list[int]]) -> None:
        self.groups = groups
        self.start = {name: {p: _ticks(p) for p in find()} for name, find in groups.items()}

    def read(self) -> dict[str, float]:
        return {
            name: sum(_ticks(p) - self.start[name].get(p, 0.0) for p in find())
            for name, find in self.groups.items()
        }


def _accepted(out: str) -> int:
    found = re.search(r"JEJAK accepted (\d+) refused (\d+)", out)
    return int(found.group(1)) if found else -1
