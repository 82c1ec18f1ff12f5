"""`make bench-warn` (issue 20): 10,903 positive results in one FHIR bundle, from the
import until every case is opened, searched, its close contacts designated and their
messages queued. Goal: under 10 minutes on the 2-core machine.

Stages, each timed:

1. build: ten million check-ins among five million people (warn_bench/data.py: the shape
   and why), in a child process so that its memory is not this one's; not in the total;
2. bundle: that many random visitors of the last four days, their NIKs decrypted, and
   the bundle written entry by entry (not in the total);
3. import: `health.service.import_health_file`, streamed. Tracing's hook on the import
   (`positive_results_recorded`) is held back, so that the run measured is the next one;
4. trace: `jejak.tracing.mass.trace_results`, the mass-tracing run, with the task
   backend production uses (django_tasks_db.DatabaseBackend): the messages are queued
   for the worker, as the issue measures, not sent inside the run (with the inline
   backend the run would also hand every in-app message over, at the gateways' rates).

Then contacts per case (median, p99), rows written per table, the peak memory of this
process (getrusage), its checks (every case opened and searched, no case failed, every
designated contact's message queued) and a last line `warned N cases in S s` (import
and trace). Exits non-zero when a check fails. `--small` runs it all at a 500th of the
size, on SQLite too. The PostgreSQL database is dropped at the end unless `--keep` (or
`--small`).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO, cast

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Count, Model
from django.test import override_settings
from django.utils import timezone

from jejak.devtools.management.commands import bench_trace
from jejak.devtools.warn_bench import data
from jejak.health.service import import_health_file
from jejak.health.signals import positive_results_recorded

CASES = 10_903
SMALL_CASES = 40
# The apps whose tables the import and the run write; their rows are counted before and
# after.
WRITTEN_APPS = ("health", "tracing", "notifications", "audit", "django_tasks_database")
TRACING_HOOK = "tracing.open_cases"  # its dispatch_uid (tracing/apps.py)
# Messages are queued for the worker, as in production (docs/notifications.md).
QUEUED_BACKEND = "django_tasks_db.DatabaseBackend"
WORKERS = 2


class Command(BaseCommand):
    help = "Benchmark importing 10,903 positive results and tracing them (issue 20)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--small",
            action="store_true",
            help="a 500th of the size (SQLite allowed), with --cases 40 by default",
        )
        parser.add_argument("--cases", type=int, help=f"positive results (default {CASES})")
        parser.add_argument(
            "--keep", action="store_true", help="keep the PostgreSQL database afterwards"
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="skip the build: trace in a database an earlier --keep left (its cases "
            "closed or not, the new ones are other people)",
        )
        parser.add_argument(
            "--bundle", type=Path, help="write the bundle here (default: a temporary file)"
        )
        parser.add_argument(
            "--workers",
            type=int,
            help=f"tracing workers (`jejak db_worker --queue-name tracing`) the run is "
            f"shared by, as in production (default {WORKERS}, this machine's cores; "
            "--small: 1); 1 traces in this process; SQLite always 1",
        )
        # The build, run by the command as a child process.
        parser.add_argument("--build-only", action="store_true", help="internal")
        parser.add_argument(
            "--now",
            help="the clock (ISO 8601): with it, runs on two copies of one database "
            "(CREATE DATABASE ... TEMPLATE) pick the same people, for an A/B",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        small = opts["small"]
        shape = data.SMALL if small else data.FULL
        if connection.vendor != "postgresql" and not small:
            raise CommandError(
                "The full size runs on PostgreSQL (make bench-warn makes its database); "
                "--small runs on SQLite too."
            )
        now = (
            dt.datetime.fromisoformat(opts["now"])
            if opts["now"]
            else timezone.now().replace(microsecond=0)
        )
        if opts["build_only"]:
            self.build(shape, now)
            return
        cases = opts["cases"] or (SMALL_CASES if small else CASES)
        try:
            self.run(shape, cases, now, opts)
        finally:
            if connection.vendor == "postgresql" and not (opts["keep"] or small):
                bench_trace.Command().drop_database()

    def build(self, shape: data.Shape, now: dt.datetime) -> None:
        world = data.build(shape, now=now, say=self.say)
        began = time.monotonic()
        measured = data.shape(now=now)
        for line in data.describe(shape, world, measured):
            self.say(line)
        self.say(f"shape sample s={time.monotonic() - began:.1f}")

    def run(self, shape: data.Shape, cases: int, now: dt.datetime, opts: dict[str, Any]) -> None:
        stages: dict[str, float] = {}
        if not opts["reuse"]:
            began = time.monotonic()
            self.build_in_child(opts, now)
            stages["build"] = self.stage("build", began)

        began = time.monotonic()
        positives = data.pick_positives(cases, now=now)
        if len(positives) < cases:
            raise CommandError(f"only {len(positives)} visitors to report positive")
        with tempfile.TemporaryDirectory() as tmp:
            path = opts["bundle"] or Path(tmp) / "positives.json"
            entries = data.write_bundle(path, positives, now=now)
            size = path.stat().st_size
            stages["bundle"] = self.stage(
                "bundle", began, f"entries={entries} bytes={size} file={path.name}"
            )

            before = row_counts()
            began = time.monotonic()
            with tracing_held() as announced:
                report = import_health_file(path, actor=None)
            stages["import"] = self.stage(
                "import",
                began,
                f"ok={report.ok} records={report.records} "
                f"created={report.created['lab_result']} problems={len(report.problems)}",
            )
        for problem in report.problems[:5]:
            self.stderr.write(f"{problem.where()} {problem.code}: {problem.message}")
        if not report.ok:
            raise CommandError("the bundle did not import")

        began = time.monotonic()
        workers = opts["workers"] or (1 if opts["small"] else WORKERS)
        if connection.vendor != "postgresql":
            workers = 1
        if workers > 1:
            run = self.run_in_workers(announced, workers)
        else:
            run = _run_pipeline(announced, self.progress_line())
        stages["trace"] = self.stage("trace", began, _describe(run))
        after = row_counts()

        person_ids = [p.person_id for p in positives]
        failures = self.report(person_ids, before, after, run)
        total = stages["import"] + stages["trace"]
        opened = _cases_of(person_ids).count()
        self.say(f"warned {opened} cases in {total:.1f} s")
        if failures:
            raise CommandError("; ".join(failures))

    def run_in_workers(self, nik_indexes: set[str], workers: int) -> Any:
        """The run as production traces it: queued in shards for that many task workers
        of the "tracing" queue, started here and stopped when the run is over (the
        outbox's send tasks stay queued: no worker of theirs runs)."""
        from jejak.tracing import mass, tasks
        from jejak.tracing.models import TracingRun

        env = {**os.environ, "JEJAK_TASK_BACKEND": QUEUED_BACKEND}
        jejak = str(Path(sys.executable).parent / "jejak")
        started = [
            subprocess.Popen(  # noqa: S603 (our own command)
                [
                    jejak,
                    "db_worker",
                    "--queue-name",
                    tasks.QUEUE,
                    "--interval",
                    "0.2",
                    "--no-startup-delay",
                    "--worker-id",
                    f"bench-warn-{i}",
                ],
                env=env,
            )
            for i in range(workers)
        ]
        bar = self.progress_line()
        try:
            with override_settings(TASKS=_queued_tasks()):
                run = mass.queue_run(nik_indexes=nik_indexes, source="bench-warn", shards=workers)
                tasks.enqueue_run(run)
            while run.status not in mass.DONE:
                if any(p.poll() is not None for p in started):
                    raise CommandError("a tracing worker stopped before the run was over")
                time.sleep(0.5)
                run = TracingRun.objects.get(pk=run.pk)
                bar.update(run.processed, run.total)
        finally:
            for process in started:
                process.terminate()
            for process in started:
                process.wait(timeout=60)
        bar.finish(run.processed, run.total)
        self.say(f"workers n={workers} shards={run.shards}")
        return run

    def build_in_child(self, opts: dict[str, Any], now: dt.datetime) -> None:
        """The build in a process of its own: its memory (the generator's tables of
        people and venues) is not counted in this one's peak."""
        command = [
            str(Path(sys.executable).parent / "jejak"),
            "bench-warn",
            "--build-only",
            f"--now={now.isoformat()}",
            *(["--small"] if opts["small"] else []),
        ]
        self.stdout.flush()
        subprocess.run(command, env=os.environ.copy(), check=True)  # noqa: S603 (ourselves)

    def report(
        self,
        person_ids: list[int],
        before: dict[str, int],
        after: dict[str, int],
        run: Any,
    ) -> list[str]:
        """Print what the run made; return what its checks found wrong."""
        from jejak.tracing.models import Contact

        cases = _cases_of(person_ids)
        per_case = _per_case(cases.values_list("pk", flat=True), Contact.objects.all())
        close = _per_case(cases.values_list("pk", flat=True), Contact.objects.filter(is_close=True))
        contacts = Contact.objects.filter(case__in=cases)
        designated = contacts.filter(designated_at__isnull=False)
        unsent = designated.filter(notified_at__isnull=True).count()
        self.say(
            f"contacts per_case median={_median(per_case)} p99={_p99(per_case)} "
            f"max={max(per_case, default=0)} total={sum(per_case)}"
        )
        self.say(
            f"close_contacts per_case median={_median(close)} p99={_p99(close)} "
            f"designated={designated.count()} notified={designated.count() - unsent}"
        )
        written = {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}
        self.say(f"rows_written total={sum(written.values())}")
        for table, count in sorted(written.items(), key=lambda item: -item[1]):
            self.say(f"rows_written {table}={count}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        self.say(f"peak_memory_mb={peak} (this process: bundle, import, trace)")

        failures = []
        if len(per_case) != len(person_ids):
            failures.append(f"{len(person_ids) - len(per_case)} case(s) not opened")
        if unsearched := cases.filter(searched_at__isnull=True).count():
            failures.append(f"{unsearched} case(s) not searched")
        if getattr(run, "failed", 0):
            failures.append(f"the run counted {run.failed} failed case(s)")
        if str(getattr(run, "status", "finished")) != "finished":
            failures.append(f"the run ended {run.status}")
        if unsent:
            failures.append(f"{unsent} designated contact(s) without a queued message")
        if sum(close) and not designated.exists():
            failures.append("no close contact was designated")
        if peak >= 1024:
            failures.append(f"peak memory {peak} MB, over 1 GB")
        return failures

    def progress_line(self) -> Any:
        from jejak.core.progress import ProgressLine

        # The stream itself: Django's wrapper ends every write with a newline.
        return ProgressLine(cast(TextIO, self.stderr._out), "cases")

    def stage(self, name: str, began: float, detail: str = "") -> float:
        seconds = time.monotonic() - began
        self.say(f"stage {name} s={seconds:.1f}" + (f" {detail}" if detail else ""))
        return seconds

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()


def _queued_tasks() -> dict[str, Any]:
    """The deployment's task settings with the database backend (queues kept)."""
    return {"default": {**settings.TASKS["default"], "BACKEND": QUEUED_BACKEND}}


def _run_pipeline(nik_indexes: set[str], bar: Any) -> Any:
    """The mass-tracing run over the imported positives (jejak.tracing.mass)."""
    try:
        from jejak.tracing import mass
    except ImportError as exc:
        raise CommandError(
            "jejak.tracing.mass is missing: the mass-tracing pipeline (issue 20) is not "
            "there yet, so there is nothing to measure after the import."
        ) from exc
    with override_settings(TASKS=_queued_tasks()):
        run = mass.trace_results(
            nik_indexes=nik_indexes,
            source="bench-warn",
            progress=lambda r: bar.update(r.processed, r.total),
        )
    bar.finish(run.processed, run.total)
    return run


def _describe(run: Any) -> str:
    names = (
        "status",
        "total",
        "opened",
        "searched",
        "designated_contacts",
        "failed",
        "queued_for_officers",
        "notified_people",
        "informed_people",
    )
    return " ".join(f"{name}={getattr(run, name, '?')}" for name in names)


@contextmanager
def tracing_held() -> Iterator[set[str]]:
    """During the import: the NIK indexes it announces are kept here, and tracing's own
    hook (which would open the cases, or queue a run) does not hear them."""
    from jejak.tracing.apps import _open_cases

    announced: set[str] = set()

    def keep(sender: Any, *, nik_indexes: set[str], **kwargs: Any) -> None:
        announced.update(nik_indexes)

    held = positive_results_recorded.disconnect(dispatch_uid=TRACING_HOOK)
    positive_results_recorded.connect(keep, weak=False, dispatch_uid="bench_warn.keep")
    try:
        yield announced
    finally:
        positive_results_recorded.disconnect(dispatch_uid="bench_warn.keep")
        if held:
            positive_results_recorded.connect(_open_cases, dispatch_uid=TRACING_HOOK)


def row_counts() -> dict[str, int]:
    counts = {}
    for label in WRITTEN_APPS:
        model: type[Model]
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.db_table] = model._default_manager.count()
    return counts


def _cases_of(person_ids: list[int]) -> Any:
    from jejak.tracing.models import Case

    return Case.objects.filter(person_id__in=person_ids)


def _per_case(case_ids: Any, contacts: Any) -> list[int]:
    """Contacts per case, zero for a case without any."""
    ids = list(case_ids)
    found = dict(
        contacts.filter(case_id__in=ids)
        .values("case_id")
        .annotate(n=Count("id"))
        .values_list("case_id", "n")
    )
    return sorted(found.get(pk, 0) for pk in ids)


def _median(values: list[int]) -> str:
    return f"{statistics.median(values):.0f}" if values else "-"


def _p99(values: list[int]) -> str:
    ordered = sorted(values)
    return str(ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]) if ordered else "-"
