"""`make bench`: check-ins per second through the production stack on PostgreSQL, with the
traffic mix of a city in service (docs/performance.md).

Creates visitors (a fifth with dependants; 5 % black status; 3 % claiming to be employees,
on the rosters of two of the venues they are dealt), venues (one in fifteen small
enough to fill up) with poster and screen codes, their staff and the city's health
officers with phone numbers; starts the serving stack (the web server and the periodic
runner); drives POST /api/v1/checkins with wrk for a fixed time on each path the clients
use, bearer-token API clients and the web app's browser sessions, then
GET /api/v1/checkins/<id> with the same tokens. Prints each path's throughput and
latency, the mix as it came out, the black-status alerts and outbox rows written, stored
rows against accepted responses, and last `ratio`: API check-ins per second over that
Django read's requests per second. Stored rows that differ from the accepted responses,
or any 5xx, end the command with an error; missing a speed target does not.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction
from django.db.models import Count

from jejak.checkins.models import BlackStatusAlert, CheckIn
from jejak.devtools.checkin_bench import data as bench
from jejak.devtools.checkin_bench import partners as partner_bench
from jejak.notifications.models import Message

BENCH = Path(__file__).resolve().parents[2] / "checkin_bench"
CHECKIN_LUA, READ_LUA = BENCH / "checkin.lua", BENCH / "read.lua"
# wrk's threads; its connections are an option.
THREADS = 2
# At most this many people in one request of the bench (self and two dependants): what
# requests still in flight when wrk stopped can have stored without an answer counted.
MAX_PEOPLE = 3
ALERT_REF = "checkins.black_alert:"
PARTNER_PATH = "/api/v1/partner/checkins"


@dataclass(frozen=True)
class Target:
    rate: float  # requests per second, at least
    p99_ms: float  # at most


# The check-in issue's targets (docs/performance.md).
API_TARGET = Target(rate=2000, p99_ms=50)
SESSION_TARGET = Target(rate=1000, p99_ms=100)
RATIO_TARGET = 0.5
# Partner apps' check-ins (OAuth access tokens) against the app's own API path, in the
# same run (docs/partners.md).
PARTNER_RATIO_TARGET = 0.9


class Command(BaseCommand):
    help = "Benchmark check-ins through the server on PostgreSQL with wrk (docs/performance.md)."
    partner_accounts: list[int]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--visitors",
            type=int,
            default=24_000,
            help="API clients; each scans once every visitors/rate seconds, and the burst "
            "limit (10 a minute) needs that to be at least 6 s",
        )
        parser.add_argument(
            "--web-visitors", type=int, default=10_000, help="web app visitors (sessions)"
        )
        parser.add_argument(
            "--partner-visitors",
            type=int,
            default=24_000,
            help="citizens checked in by partner apps (OAuth tokens); 0 skips the partner path",
        )
        parser.add_argument(
            "--flooders",
            type=int,
            default=2_000,
            help="citizens of a partner far over its rate limit, sent beside the others",
        )
        parser.add_argument("--venues", type=int, default=300, help="venues per path")
        parser.add_argument("--seconds", type=int, default=30, help="per path")
        parser.add_argument("--connections", type=int, default=32)
        parser.add_argument("--workers", type=int, default=2, help="server processes (>= 2)")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--periodic-interval",
            type=float,
            default=10,
            help="seconds between the periodic runner's rounds (production: 60)",
        )

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
        self.stdout.write(f"load before: {_load_average()}")

        started = time.monotonic()
        api_visitors, web_visitors, api_venues, web_venues = self._data(opts, started)
        self.stdout.write(
            f"data: {len(api_visitors)} API and {len(web_visitors)} web visitors, "
            f"{bench.WITH_DEPENDANTS_EVERY}th with dependants, {len(api_venues)} venues per "
            f"path (every {bench.SMALL_EVERY}th small: {api_venues[-1].capacity} places on "
            f"the API path, {web_venues[-1].capacity} on the web path), "
            f"{bench.HEALTH_OFFICERS} health officers, in {time.monotonic() - started:.1f} s"
        )
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            # The screens' codes last the whole run: three loads, the drains, a margin.
            bench.make_screen_codes([*api_venues, *web_venues], valid_for=4 * opts["seconds"] + 600)
            api_data = _write_checkin_data(
                folder / "api.txt",
                [
                    (v.people, v.visitor_type, [f"Authorization: Bearer {v.token}"])
                    for v in api_visitors
                ],
                api_venues,
            )
            sessions = bench.make_sessions([v.user_id for v in web_visitors])
            self.stdout.write(f"data: sessions ({time.monotonic() - started:.0f} s)")
            web_data = _write_checkin_data(
                folder / "web.txt",
                [
                    (
                        v.people,
                        v.visitor_type,
                        [f"Cookie: {s.cookie_header}", f"X-CSRFToken: {s.csrf_token}"],
                    )
                    for v, s in zip(web_visitors, sessions, strict=True)
                ],
                web_venues,
            )
            read_data = _write_read_data(folder / "read.txt", api_visitors)
            partner_data = flood_data = None
            if opts["partner_visitors"]:
                partner_data, flood_data = self._partner_data(folder, opts, started)
            with connection.cursor() as cursor:
                # Plan the check-in statements on the statistics of tables in use, as in a
                # database in service: planned on empty check-in tables, the prepared
                # statements kept plans that read every open stay (docs/performance.md).
                # VACUUM as well, as autovacuum would have by then: freshly loaded rows
                # otherwise get their hint bits written by the first check-ins that read
                # them. After all the data, the partner path's citizens and tokens too.
                cursor.execute("VACUUM ANALYZE")
            _checkpoint()
            env = {"JEJAK_SMS_BACKEND": "file", "JEJAK_SMS_DIR": str(folder / "sms")}
            stack_options = (opts["port"], opts["workers"], opts["periodic_interval"], env)
            with serving_stack(*stack_options) as stack:
                api = self._checkins("api", wrk, stack, api_data, folder / "api", opts)
                # Right after the API path, on a database in the same state, which the
                # partner path is compared with.
                partner = flooded = api_again = None
                if partner_data is not None and flood_data is not None:
                    partner = self._checkins(
                        "partner", wrk, stack, partner_data, folder / "partner", opts,
                        path=PARTNER_PATH, accounts=self.partner_accounts,
                    )  # fmt: skip
                    flooded = self._flooded(wrk, stack, partner_data, flood_data, folder, opts)
                    # The API path again, after the partner's: the check-in tables have
                    # grown meanwhile, and the partner path is compared with both runs.
                    api_again = self._checkins(
                        "api_again", wrk, stack, api_data, folder / "api_again",
                        opts | {"venue_offset": opts["venues"] // 3},
                    )  # fmt: skip
                web = self._checkins("session", wrk, stack, web_data, folder / "web", opts)
                cpu = _CpuMeter(server=stack.server_pids, database=_database_pids)
                output = _wrk(wrk, stack.base + "/", opts, read_data, script=READ_LUA)
                read = _Load(output, cpu=cpu.read())
                alerts = self._alerts(opts["periodic_interval"])
        self._print("read", read.figures)
        self.stdout.write(f"read {_counts(read.summary)}")
        self._cpu("read", read)
        self.stdout.write(f"load after: {_load_average()}")

        problems = api.problems + web.problems
        if partner is not None and flooded is not None and api_again is not None:
            problems += partner.problems + flooded.problems + api_again.problems
            self._partner_verdict(api, api_again, partner, flooded, opts)
        if read.summary.get("s5xx", 0) or read.summary.get("ok", 0) == 0:
            problems.append(f"read: {_counts(read.summary)}")
        self.stdout.write(alerts)
        ratio = api.figures["rps"] / read.figures["rps"] if read.figures["rps"] else 0.0
        self.stdout.write(
            _verdict("target api", api.figures, API_TARGET)
            + "; "
            + _verdict("session", web.figures, SESSION_TARGET)
            + f"; ratio >= {RATIO_TARGET} {'PASS' if ratio >= RATIO_TARGET else 'FAIL'}"
        )
        for problem in problems:
            self.stderr.write(f"INTEGRITY: {problem}")
        self.stdout.write(f"ratio {ratio:.2f}")
        if problems:
            raise CommandError(f"{len(problems)} integrity check(s) failed (see above)")

    def _partner_data(
        self, folder: Path, opts: dict[str, Any], started: float
    ) -> tuple[Path, Path]:
        """Citizens of partner apps (venues of their own), and the flooder's."""
        first = opts["visitors"] + opts["web_visitors"]
        visitors = bench.make_visitors(
            opts["partner_visitors"] + opts["flooders"], prefix="ptn", first=first
        )
        venues = bench.make_venues(
            opts["venues"],
            prefix="P",
            first_phone=2 * opts["venues"],
            small_places=bench.small_capacity(
                visitors=opts["partner_visitors"],
                venues=opts["venues"],
                people_per_visitor=_people_per_visitor(visitors),
            ),
        )
        bench.make_screen_codes(venues, valid_for=6 * opts["seconds"] + 600)
        # As make_history left the other paths' venues: otherwise each partner venue's
        # first check-in creates its row and sweeps its stays, which the other paths
        # were spared (docs/performance.md).
        bench.make_occupancy([v.venue_id for v in venues])
        partner_bench.make_audit_log()
        clients, flooding = partner_bench.make_partner_clients(visitors, flooders=opts["flooders"])
        self.partner_accounts = [v.user_id for v in visitors[: len(clients)]]
        self.stdout.write(
            f"data: {len(clients)} partner citizens over three partners, "
            f"{len(flooding)} of a flooding partner limited to "
            f"{partner_bench.FLOODER_RATE}/min ({time.monotonic() - started:.0f} s)"
        )

        def rows(
            found: list[partner_bench.PartnerClient],
        ) -> list[tuple[list[str], str, list[str]]]:
            return [(c.people, c.visitor_type, [f"Authorization: Bearer {c.token}"]) for c in found]

        return (
            _write_checkin_data(folder / "partner.txt", rows(clients), venues),
            _write_checkin_data(folder / "flood.txt", rows(flooding), venues),
        )

    def _flooded(
        self, wrk: str, stack: _Stack, data: Path, flood: Path, folder: Path, opts: dict[str, Any]
    ) -> _Load:
        """The partners' check-ins again, while the flooding partner sends as fast as its
        own connections allow (a quarter more), every one of its requests over its limit
        after the first minute's few."""
        out = folder / "flood-out"
        out.mkdir()
        flood_opts = opts | {"connections": max(2, opts["connections"] // 4)}
        with _background_wrk(
            wrk, stack.base + PARTNER_PATH, flood_opts, flood, PARTNER_PATH
        ) as noise:
            load = self._checkins(
                "partner_flooded", wrk, stack, data, folder / "flooded",
                opts | {"venue_offset": opts["venues"] // 2},
                path=PARTNER_PATH, accounts=self.partner_accounts,
            )  # fmt: skip
        summary = summary_counts(noise())
        self.stdout.write(f"flooder {_counts(summary)}")
        if summary.get("s5xx", 0):
            load.problems.append(f"flooder: {_counts(summary)}")
        return load

    def _partner_verdict(
        self, api: _Load, api_again: _Load, partner: _Load, flooded: _Load, opts: dict[str, Any]
    ) -> None:
        seconds = opts["seconds"]
        rates = {
            name: load.summary.get("accepted", 0) / seconds
            for name, load in (
                ("api", api),
                ("api_again", api_again),
                ("partner", partner),
                ("flooded", flooded),
            )
        }
        # Against the API path's runs before and after it: the tables grow under both.
        api_rate = (rates["api"] + rates["api_again"]) / 2
        ratio = rates["partner"] / api_rate if api_rate else 0.0
        kept = rates["flooded"] / rates["partner"] if rates["partner"] else 0.0
        self.stdout.write(
            f"partner accepted_per_s={rates['partner']:.0f} against api "
            f"accepted_per_s={api_rate:.0f} ({rates['api']:.0f} before, "
            f"{rates['api_again']:.0f} after): ratio {ratio:.2f} >= {PARTNER_RATIO_TARGET} "
            f"{'PASS' if ratio >= PARTNER_RATIO_TARGET else 'FAIL'}; with a partner flooding "
            f"beside them {rates['flooded']:.0f}/s ({kept:.2f} of it), p99 "
            f"{partner.figures['p99']:.1f} ms -> {flooded.figures['p99']:.1f} ms"
        )

    def _data(
        self, opts: dict[str, Any], started: float
    ) -> tuple[
        list[bench.Visitor], list[bench.Visitor], list[bench.BenchVenue], list[bench.BenchVenue]
    ]:
        api_visitors = bench.make_visitors(opts["visitors"], prefix="api")
        self.stdout.write(f"data: API visitors ({time.monotonic() - started:.0f} s)")
        web_visitors = bench.make_visitors(
            opts["web_visitors"], prefix="web", first=opts["visitors"]
        )
        self.stdout.write(f"data: web visitors ({time.monotonic() - started:.0f} s)")
        bench.make_city()
        per_visitor = _people_per_visitor(api_visitors)
        api_venues = bench.make_venues(
            opts["venues"],
            prefix="A",
            first_phone=0,
            small_places=bench.small_capacity(
                visitors=len(api_visitors), venues=opts["venues"], people_per_visitor=per_visitor
            ),
        )
        web_venues = bench.make_venues(
            opts["venues"],
            prefix="W",
            first_phone=opts["venues"],
            small_places=bench.small_capacity(
                visitors=len(web_visitors), venues=opts["venues"], people_per_visitor=per_visitor
            ),
        )
        rostered = bench.make_rosters(api_visitors, api_venues)
        rostered += bench.make_rosters(web_visitors, web_venues)
        self.stdout.write(
            f"data: venues, {rostered} roster entries ({time.monotonic() - started:.0f} s)"
        )
        bench.make_health_officers()
        history = bench.make_history()
        self.stdout.write(f"data: {history} past check-ins ({time.monotonic() - started:.0f} s)")
        return api_visitors, web_visitors, api_venues, web_venues

    def _checkins(
        self,
        name: str,
        wrk: str,
        stack: _Stack,
        data: Path,
        out: Path,
        opts: dict[str, Any],
        path: str = "/api/v1/checkins",
        accounts: list[int] | None = None,
        before_load: Callable[[], None] | None = None,
    ) -> _Load:
        """One path's load. `accounts`: count only their rows (a partner's clients, while
        another partner's run beside them). `before_load`: called just before wrk starts
        (bench-national starts its read load there)."""
        out.mkdir()
        # Each path on the statistics of the tables as the paths before left them (as
        # autovacuum would have them in service): plans made while a table was nearly
        # empty (the audit rows of partners' calls, today's check-ins) read it whole for
        # every row added since, and the later paths paid for it.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        rows = CheckIn.objects.filter(account_id__in=accounts) if accounts else CheckIn.objects
        before = rows.count()
        if before_load is not None:
            before_load()
        cpu = _CpuMeter(server=stack.server_pids, database=_database_pids)
        output = _wrk(wrk, stack.base + path, opts, data, script=CHECKIN_LUA, out=out, path=path)
        load = _Load(output, cpu=cpu.read())
        # wrk stops without waiting for requests in flight; the server still finishes
        # them, so let it drain before counting rows.
        time.sleep(2)
        stored = rows.count() - before
        ids = _accepted_ids(out)
        matched = _stored(ids)
        summary, figures = load.summary, load.figures
        self._print(name, figures)
        self.stdout.write(f"{name} {_counts(summary)}")
        self.stdout.write(f"{name} mix {mix_line(summary)}")
        visitors = int(data.read_text().split()[1])
        if figures["rps"]:
            self.stdout.write(
                f"{name} each visitor scanned every {visitors / figures['rps']:.1f} s "
                f"(the burst limit of {settings.JEJAK_CHECKINS_PER_MINUTE} a minute needs "
                f">= {60 / settings.JEJAK_CHECKINS_PER_MINUTE:.0f} s)"
            )
        answered = summary.get("people", -1)
        partner_path = path == PARTNER_PATH
        if partner_path:
            # A partner's answer names no check-in (Jejak's ids stay inside): its people
            # checked in are counted against the rows stored for its citizens.
            matched = min(stored, answered)
        unanswered = stored - matched
        self.stdout.write(
            f"{name} stored_rows={stored} accepted_people={answered if partner_path else len(ids)} "
            f"in_accepted_answers={answered} "
            f"(rows of requests still in flight when wrk stopped: {unanswered})"
        )
        self._cpu(name, load)
        # Every accepted answer's check-ins must be stored rows, and the only rows without
        # an answer those of the requests in flight when wrk stopped.
        if partner_path and stored < answered:
            load.problems.append(f"{name}: {stored} stored rows for {answered} answered")
        if not partner_path and (matched != len(ids) or len(ids) != answered):
            load.problems.append(
                f"{name}: {matched} stored rows for {len(ids)} check-ins in "
                f"{answered} accepted answers"
            )
        if unanswered < 0:
            # Answers naming rows this run did not store: rescans of the venue a visitor
            # was still inside (check-outs) measured as check-ins.
            load.problems.append(f"{name}: {-unanswered} answered check-ins stored no row")
        if unanswered > opts["connections"] * MAX_PEOPLE:
            load.problems.append(f"{name}: {unanswered} stored rows nobody was answered for")
        if summary.get("s5xx", 0) or summary.get("accepted", 0) == 0:
            load.problems.append(f"{name}: {_counts(summary)}")
        return load

    def _alerts(self, interval: float) -> str:
        """The black-status alerts and their outbox rows. Messages are written after the
        check-in's commit (a task, or the periodic runner): give
        them up to two of the runner's rounds to arrive."""
        deadline = time.monotonic() + 2 * interval + 5
        while True:
            alerts = BlackStatusAlert.objects.count()
            notified = (
                Message.objects.filter(ref__startswith=ALERT_REF).values("ref").distinct().count()
            )
            if notified >= alerts or time.monotonic() > deadline:
                break
            time.sleep(1)
        rows = dict(
            Message.objects.filter(ref__startswith=ALERT_REF)
            .values_list("channel")
            .annotate(n=Count("id"))
            .values_list("channel", "n")
        )
        statuses = dict(
            Message.objects.filter(ref__startswith=ALERT_REF, channel="sms")
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        return (
            f"black alerts={alerts} notified={notified} outbox_rows={sum(rows.values())} "
            f"by_channel={rows} sms_by_status={statuses}"
        )

    def _cpu(self, name: str, load: _Load) -> None:
        if load.figures["requests"]:
            per = {k: v * 1000 / load.figures["requests"] for k, v in load.cpu.items()}
            self.stdout.write(
                f"{name} cpu_ms_per_request server={per['server']:.2f} "
                f"database={per['database']:.2f}"
            )

    def _print(self, name: str, f: dict[str, float]) -> None:
        self.stdout.write(
            f"{name} requests_per_s={f['rps']:.0f} p50_ms={f['p50']:.1f} "
            f"p99_ms={f['p99']:.1f} requests={f['requests']:.0f} "
            f"non_2xx={f['non2xx']:.0f} socket_errors={f['errors']:.0f}"
        )


class _Load:
    """One wrk run: its figures, the script's counts, CPU spent, and what went wrong."""

    def __init__(self, output: str, cpu: dict[str, float]) -> None:
        self.figures = _figures(output)
        self.summary = summary_counts(output)
        self.cpu = cpu
        self.problems: list[str] = []


def summary_counts(out: str) -> dict[str, int]:
    """The counts the wrk scripts print on their `JEJAK name=n ...` line."""
    found = re.search(r"^JEJAK (.*)$", out, re.MULTILINE)
    if found is None:
        return {}
    return {k: int(v) for k, v in (pair.split("=") for pair in found.group(1).split())}


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def mix_line(c: dict[str, int]) -> str:
    """The mix as it came out, from the check-in script's counts."""
    sent, answers, people = c.get("sent", 0), c.get("accepted", 0), c.get("people", 0)
    return (
        f"with_dependants={_share(c.get('family', 0), answers)} of answers "
        f"({_share(c.get('sent_family', 0), sent)} of requests sent); "
        f"capacity_full={_share(c.get('capacity', 0), answers)} of answers "
        f"({_share(c.get('capacity_people', 0), people)} of people); "
        f"screen_codes={_share(c.get('sent_screen', 0), sent)} of requests sent; "
        f"employee_claims={_share(c.get('sent_employee', 0), sent)} of requests sent "
        f"({_share(c.get('roster_miss', 0), people)} of people not on the roster); "
        f"status_black={_share(c.get('black', 0), people)} of people"
    )


def _counts(c: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in c.items())


def _verdict(name: str, f: dict[str, float], target: Target) -> str:
    met = f["rps"] >= target.rate and f["p99"] < target.p99_ms
    return (
        f"{name} >= {target.rate:.0f}/s p99 < {target.p99_ms:.0f} ms: "
        f"{f['rps']:.0f}/s {f['p99']:.1f} ms {'PASS' if met else 'FAIL'}"
    )


def _people_per_visitor(visitors: list[bench.Visitor]) -> float:
    return sum(len(v.people) for v in visitors) / len(visitors)


def _write_checkin_data(
    path: Path,
    visitors: list[tuple[list[str], str, list[str]]],
    venues: list[bench.BenchVenue],
) -> Path:
    lines = [f"visitors {len(visitors)} venues {len(venues)}"]
    for people, visitor_type, headers in visitors:
        lines.append("\t".join(['["' + '","'.join(people) + '"]', visitor_type, *headers]))
    lines += [f"{v.poster}\t{v.screen}" for v in venues]
    path.write_text("\n".join(lines) + "\n")
    return path


def _write_read_data(path: Path, visitors: list[bench.Visitor]) -> Path:
    """Each API visitor with one of their past check-ins."""
    checkins = dict(
        CheckIn.objects.filter(account_id__in=[v.user_id for v in visitors])
        .order_by("account_id", "id")
        .distinct("account_id")
        .values_list("account_id", "public_id")
    )
    lines = [
        f"{checkins[v.user_id]}\tAuthorization: Bearer {v.token}"
        for v in visitors
        if v.user_id in checkins
    ]
    path.write_text(f"visitors {len(lines)}\n" + "\n".join(lines) + "\n")
    return path


@dataclass
class _Stack:
    base: str
    server: subprocess.Popen[bytes]

    def server_pids(self) -> list[int]:
        return _children(self.server.pid)


def _start_server(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The production web server as `make run` serves it: `jejak serve` (gunicorn with
    uvicorn workers running jejak.asgi, Django on a pool of threads). The one
    place that names it: a server whose workers are its children needs no other change."""
    return subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
        [
            str(Path(sys.executable).parent / "jejak"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )


@contextlib.contextmanager
def serving_stack(
    port: int, workers: int, periodic_interval: float, extra_env: dict[str, str]
) -> Iterator[_Stack]:
    """The web server and the periodic runner (`jejak run-periodic`, which production runs
    beside it) on loopback, for the length of a `with` block, with the product's settings
    (the burst limit at its default) and SMS written to files."""
    env = os.environ | extra_env | {"DATABASE_CONN_MAX_AGE": "600"}
    env.pop("JEJAK_CHECKINS_PER_MINUTE", None)
    server = _start_server(port, workers, env)
    periodic = subprocess.Popen(  # noqa: S603 (our own command, fixed arguments)
        [
            str(Path(sys.executable).parent / "jejak"),
            "run-periodic",
            "--interval",
            str(periodic_interval),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310 (loopback)  # nosec B310
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise CommandError("the server did not start")
        yield _Stack(base=base, server=server)
    finally:
        for proc in (server, periodic):
            proc.terminate()
        for proc in (server, periodic):
            proc.wait(timeout=30)


def _wrk_command(wrk: str, opts: dict[str, Any], script: Path) -> list[str]:
    return [
        wrk,
        f"-t{THREADS}",
        f"-c{opts['connections']}",
        f"-d{opts['seconds']}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(script),
    ]


@contextlib.contextmanager
def _background_wrk(
    wrk: str, url: str, opts: dict[str, Any], data: Path, path: str
) -> Iterator[Callable[[], str]]:
    """wrk sending check-ins in the background for the block; yields its output's reader."""
    env = os.environ | {
        "JEJAK_BENCH_DATA": str(data),
        "JEJAK_BENCH_THREADS": str(THREADS),
        "JEJAK_BENCH_PATH": path,
    }
    command = _wrk_command(wrk, opts | {"seconds": opts["seconds"] + 4}, CHECKIN_LUA)
    proc = subprocess.Popen(  # noqa: S603 (wrk against our loopback server)
        [*command, url], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    output: list[str] = []
    try:
        yield lambda: "".join(output)
    finally:
        stdout, _ = proc.communicate(timeout=opts["seconds"] + 60)
        output.append(stdout)


def _wrk(
    wrk: str,
    url: str,
    opts: dict[str, Any],
    data: Path,
    script: Path,
    out: Path | None = None,
    path: str = "/api/v1/checkins",
) -> str:
    command = _wrk_command(wrk, opts, script)
    env = os.environ | {
        "JEJAK_BENCH_DATA": str(data),
        "JEJAK_BENCH_THREADS": str(THREADS),
        "JEJAK_BENCH_PATH": path,
        "JEJAK_BENCH_VENUE_OFFSET": str(opts.get("venue_offset", 0)),
    }
    if out is not None:
        env["JEJAK_BENCH_OUT"] = str(out)
    return subprocess.run(  # noqa: S603 (wrk against our loopback server)
        [*command, url], env=env, capture_output=True, text=True, check=True
    ).stdout


def _load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


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
