"""Mass tracing runs (issue 20, "Mass events"): when a health import brings positive
results in bulk, the system opens the cases, searches each, designates the close
contacts its tracing profile's policy allows, leaves the rest to officers, and tells
each person once.

The policy is data, the `automation` of the case's tracing profile (profiles.py):
`{"designate": "close", "min_score": "15.0"}` designates the close contacts scoring at
least 15.0 and leaves the other close contacts to the officers (the case stays
`contacts_identified`, in their queue); `"none"` leaves every close contact to them.
A case whose contacts are all designated is `notified`, its exposure sites published
and its visitors below the threshold informed, as when an officer designates them all.

A run (`TracingRun`) counts what it did; the counters are written every PROGRESS_EVERY
cases, and `progress(run)` is called after every case (the command's progress line). A
case that fails is counted and noted (its number, the step and a reason code: never
personal data) and the run goes on.

Messages wait for the end of the run, so that a person close to several of its cases
gets one message saying how many (`exposure_close_contact_multi`), and a visitor below
the threshold of several cases one informational notice; someone told in the last 24
hours for a case outside the run gets the short update (notices.told_recently).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby, islice
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from jejak.core.progress import clock
from jejak.health.models import Designation, LabResult
from jejak.notifications import outbox
from jejak.tracing import cases, memo, notices, profiles
from jejak.tracing.clusters import check_clusters
from jejak.tracing.designation import designate_contacts
from jejak.tracing.errors import TracingError
from jejak.tracing.models import (
    Case,
    CaseSource,
    CaseStatus,
    Contact,
    RunStatus,
    TracingProfile,
    TracingRun,
    TracingRunCase,
)
from jejak.tracing.search import search_contacts

logger = logging.getLogger(__name__)

Progress = Callable[[TracingRun], None]

# Cases between two writes of the run's counters (the officers' progress page reads them).
PROGRESS_EVERY = 25
# The errors a run keeps (the counter has them all).
MAX_ERRORS = 20
# A run in these states is over: its tasks do nothing more.
DONE = (RunStatus.FINISHED, RunStatus.FAILED)
# People whose messages are built and written together at the end of a run.
NOTICE_CHUNK = 500
# A stalled run is resumed this many times at most; then it fails, for officers to see.
MAX_RESUMES = 3

COUNTERS = [
    "total",
    "processed",
    "opened",
    "searched",
    "designated_contacts",
    "queued_for_officers",
    "cases_for_officers",
    "notified_people",
    "informed_people",
    "failed",
    "errors",
]


@dataclass(frozen=True)
class Policy:
    designate: str  # "close": close contacts from min_score up; "none": none
    min_score: Decimal


def _policy(case: Case) -> Policy:
    """What the system designates on its own for this case: its profile's `automation`."""
    automation = profiles.for_case(case).automation
    return Policy(automation.designate, automation.min_score)


# --- The health import's hook ----------------------------------------------------------


def mass_min() -> int:
    """Above this many positive results in one import the cases are traced by a run in the
    background (JEJAK_MASS_TRACE_MIN); at or below it they are only opened."""
    return int(settings.JEJAK_MASS_TRACE_MIN)


def workers() -> int:
    """How many shards a queued run is cut into, one task each, for that many worker
    processes to trace side by side (JEJAK_MASS_TRACE_WORKERS)."""
    return max(1, int(settings.JEJAK_MASS_TRACE_WORKERS))


def queue_run(
    *, nik_indexes: Iterable[str], source: str = "", shards: int | None = None
) -> TracingRun:
    """A run waiting for its tasks (tasks.trace_shard, one per shard): the people's latest
    positive results are kept on the row by id (not their NIK indexes, and not in the
    tasks' arguments) until it finishes; shard i traces every shards-th of them."""
    indexes = sorted(set(nik_indexes))
    results = [r.pk for _index, r in cases.latest_positive_results(indexes) if r is not None]
    return TracingRun.objects.create(
        source=source[:200],
        total=len(results),
        pending=results,
        shards=min(shards or workers(), max(1, len(results))),
    )


def run_shard(run_id: int, shard: int = 0) -> tuple[TracingRun | None, bool]:
    """Trace one shard of a queued run (a task; several run side by side in as many
    workers). The counters are added to, never overwritten, so shards may write them at
    once. Returns the run and whether its messages are now due in parts (this call
    traced the last shard of several: the task queues `notify_part` for each part; a
    run of one shard is told and ended here). None when the run is gone; a shard already
    done, out of range, or of a run that is over does nothing (a task delivered twice
    traces nothing twice)."""
    with transaction.atomic():
        run = TracingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or not _todo(run, f"trace:{shard}", shard):
            return run, False
        if run.status == RunStatus.QUEUED:
            run.status, run.started_at = RunStatus.RUNNING, timezone.now()
        run.touched_at = timezone.now()
        run.save(update_fields=["status", "started_at", "touched_at"])
        results = list(run.pending)[shard :: run.shards]
        # A resumed shard starts after its last checkpoint: what came before is counted.
        start = int(run.positions.get(str(shard), 0))
    tracer = _Tracer(run, None, None, shard=shard, position=start)
    try:
        people = cases.latest_positive_results(_indexes_of(results))
        with memo.same_tables():
            for index, result in islice(people, start, None):
                tracer.trace(index, result)
        tracer.checkpoint(force=True)
    except Exception as exc:
        logger.exception("tracing run %s shard %s failed", run.pk, shard)
        tracer.error(None, "run", exc)
        tracer.checkpoint(force=True)
    run, traced, added = _done(run_id, f"trace:{shard}")
    if added and traced == run.shards:
        if run.shards == 1:
            return _finish(_Tracer(run, None, None)), False
        return run, True
    return run, False


def notify_part(run_id: int, part: int) -> TracingRun | None:
    """Tell one part of a run's people (those whose id is `part` modulo the shards), once
    every shard is traced; the last part ends the run."""
    with transaction.atomic():
        run = TracingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or not _todo(run, f"notify:{part}", part):
            return run
        if sum(1 for done in run.parts_done if done.startswith("trace:")) < run.shards:
            return run
    tracer = _Tracer(run, None, None)
    with memo.same_tables():
        failed = _notify(tracer, part=part, parts=run.shards)
    run, _traced, _added = _done(run_id, f"notify:{part}")
    if len(run.parts_done) == 2 * run.shards:
        tracer.run = run
        return _end(tracer, failed=failed or _failed(run))
    return run


def _todo(run: TracingRun, name: str, number: int) -> bool:
    return run.status not in DONE and 0 <= number < run.shards and name not in run.parts_done


def _done(run_id: int, name: str) -> tuple[TracingRun, int, bool]:
    """Record a part done: the run as it is now, how many shards are traced, and whether
    this call recorded it (not another delivery of the same task)."""
    with transaction.atomic():
        run = TracingRun.objects.select_for_update().get(pk=run_id)
        added = name not in run.parts_done
        if added:
            run.parts_done = [*run.parts_done, name]
        run.touched_at = timezone.now()
        run.save(update_fields=["parts_done", "touched_at"])
    return run, sum(1 for done in run.parts_done if done.startswith("trace:")), added


def _indexes_of(result_ids: Sequence[int]) -> list[str]:
    indexes: list[str] = []
    for start in range(0, len(result_ids), cases.RESULTS_CHUNK):
        chunk = result_ids[start : start + cases.RESULTS_CHUNK]
        indexes += LabResult.objects.filter(pk__in=chunk).values_list("nik_index", flat=True)
    return indexes


# --- A run whose worker died ----------------------------------------------------------


def stall_after() -> dt.timedelta:
    """A running run without progress this long lost its worker
    (JEJAK_MASS_TRACE_STALL_MINUTES): its counters are written every PROGRESS_EVERY cases
    and every NOTICE_CHUNK people, seconds apart even on the worst day."""
    return dt.timedelta(minutes=float(settings.JEJAK_MASS_TRACE_STALL_MINUTES))


def stalled_runs(now: dt.datetime | None = None) -> list[int]:
    bound = (now or timezone.now()) - stall_after()
    return list(
        TracingRun.objects.filter(status=RunStatus.RUNNING)
        .filter(Q(touched_at__lt=bound) | Q(touched_at__isnull=True, started_at__lt=bound))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def resume(run_id: int, now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """What a stalled run still needs: the shards to trace again (each from its last
    checkpoint; a case opened after it is taken up where it stopped, see
    _Tracer.adopt), or, once every shard is traced, the parts of its people to tell
    again (those already told are not told twice: their contacts carry `notified_at`).
    The caller queues them (tasks.resume_stalled). After MAX_RESUMES the run fails,
    naming the step, for officers to take over; ([], []) for a run that is over."""
    now = now or timezone.now()
    with transaction.atomic():
        run = TracingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in DONE:
            return [], []
        if run.resumes >= MAX_RESUMES:
            logger.error("tracing run %s stalled %s times: failed", run.pk, run.resumes)
            run.status, run.finished_at = RunStatus.FAILED, now
            stalled = {"case": None, "step": "run", "code": "stalled"}
            run.errors = [*run.errors[: MAX_ERRORS - 1], stalled]
            run.save(update_fields=["status", "finished_at", "errors"])
            return [], []
        shards = [i for i in range(run.shards) if f"trace:{i}" not in run.parts_done]
        parts = (
            [] if shards else [i for i in range(run.shards) if f"notify:{i}" not in run.parts_done]
        )
        logger.warning(
            "tracing run %s stalled: resuming shards %s, message parts %s", run.pk, shards, parts
        )
        run.resumes += 1
        run.touched_at = now
        run.save(update_fields=["resumes", "touched_at"])
    return shards, parts


# --- The run -----------------------------------------------------------------------------


def trace_results(
    *,
    nik_indexes: Iterable[str],
    run: TracingRun | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    source: str = "",
) -> TracingRun:
    """For the people whose new positive results were just imported: open their cases
    (cases.open_case_from_result: registered, recent, no open case), search each, apply
    the profile's policy, then tell every designated person once. `now` fixes the clock
    (tests); otherwise each case is opened and searched at its own moment."""
    indexes = sorted(set(nik_indexes))
    if run is None:
        run = TracingRun(source=source[:200])
    run.total = len(indexes)
    run.status, run.pending = RunStatus.RUNNING, []
    run.started_at = run.started_at or now or timezone.now()
    run.save()
    tracer = _Tracer(run, progress, now)
    # The messages too are written under the tables the cases were traced with.
    with memo.same_tables():
        try:
            for index, result in cases.latest_positive_results(indexes):
                tracer.trace(index, result)
            tracer.checkpoint(force=True)
        except Exception as exc:
            # The run itself failed (the database went away): what was done stays done.
            logger.exception("tracing run %s failed", run.pk)
            tracer.error(None, "run", exc)
            tracer.checkpoint(force=True)
        return _finish(tracer)


def _finish(tracer: _Tracer) -> TracingRun:
    """Tell everyone the run designated (once each) and record its end."""
    failed = _failed(tracer.run)
    if not failed:
        failed = _notify(tracer)
    return _end(tracer, failed=failed)


def _failed(run: TracingRun) -> bool:
    # A failure of the run itself (not of one case's): the database went away.
    return any(e["step"] in {"run", "notify"} for e in run.errors)


def _notify(tracer: _Tracer, *, part: int = 0, parts: int = 1) -> bool:
    """The run's messages (those of one part of its people); True if they failed."""
    try:
        tracer.notify(part=part, parts=parts)
    except Exception as exc:
        logger.exception("tracing run %s: its messages failed", tracer.run.pk)
        tracer.error(None, "notify", exc)
        tracer.checkpoint(force=True)
        return True
    return False


def _end(tracer: _Tracer, *, failed: bool) -> TracingRun:
    run = tracer.run
    run.status = RunStatus.FAILED if failed else RunStatus.FINISHED
    run.finished_at = tracer.clock()
    run.pending = []
    try:
        run.save(update_fields=["status", "finished_at", "pending"])
    except DatabaseError:
        logger.exception("tracing run %s: its end could not be recorded", run.pk)
    run.refresh_from_db()
    tracer.report()
    return run


class _Tracer:
    def __init__(
        self,
        run: TracingRun,
        progress: Progress | None,
        now: dt.datetime | None,
        *,
        shard: int | None = None,
        position: int = 0,
    ):
        self.run = run
        self.progress = progress
        self.now = now
        # A shard's results traced so far (written at each checkpoint, see resume).
        self.shard = shard
        self.position = position
        # Only a resumed run looks for cases it opened but lost count of.
        self.adopting = run.resumes > 0
        self.since_checkpoint = 0
        self.links: list[TracingRunCase] = []
        # The counters as last written: a checkpoint adds what changed since (another
        # shard may be adding to the same row).
        self.written = {name: getattr(run, name) for name in COUNTERS if name != "errors"}
        self.errors_written = len(run.errors)
        # What the messages read of each case, its profile and each venue's kecamatan,
        # once per run: a chunk of 500 people names hundreds of the run's cases.
        self.cases: dict[int, Case] = {}
        self.profiles: dict[int, TracingProfile] = {}
        self.districts: dict[int, str] = {}

    def clock(self) -> dt.datetime:
        return self.now or timezone.now()

    def trace(self, index: str, result: LabResult | None) -> None:
        """One person's latest positive result: open, search, designate by the policy."""
        run = self.run
        case = None
        step = "open"
        adopted = False
        try:
            if result is not None:
                with _atomic():
                    # Its clusters are checked by its search, next.
                    case = cases.open_case_from_result(
                        lab_result=result, now=self.clock(), clusters=False
                    )
                if case is None and self.adopting:
                    case = self.adopt(result)
                    adopted = case is not None
            if case is not None:
                run.opened += 1
                self.links.append(TracingRunCase(run=run, case=case))
                step = "search"
                if case.searched_at is None:
                    with _atomic():
                        # Opened a moment ago (not adopted): its visits are fresh.
                        search_contacts(
                            case=case, actor=None, now=self.clock(), fetch=False, refresh=adopted
                        )
                run.searched += 1
                step = "designate"
                with _atomic():
                    if not (adopted and self.count_designated(case)):
                        self.apply_policy(case)
        except Exception as exc:
            # One case's failure is the officers' to look at; the run goes on.
            logger.exception("tracing run %s: case %s failed at %s", run.pk, case and case.pk, step)
            self.error(case, step, exc)
            if case is not None and step == "search":
                self.check_clusters(case)
        run.processed += 1
        self.position += 1
        self.since_checkpoint += 1
        self.checkpoint()
        self.report()

    def check_clusters(self, case: Case) -> None:
        """A case opened without its cluster check whose search failed: checked now, or
        its venues would count it only at its next search."""
        try:
            with _atomic():
                check_clusters(case=case, now=self.clock())
        except Exception:
            logger.exception("tracing run %s: case %s: cluster check failed", self.run.pk, case.pk)

    def adopt(self, result: LabResult) -> Case | None:
        """The case this run opened from `result` before its worker died, after the
        shard's last checkpoint (so neither linked nor counted): opened by the system
        from this result since the run started, in no run. Its search and designation
        are done if they are missing, and counted."""
        return (
            Case.objects.filter(
                lab_result=result,
                source=CaseSource.LAB_RESULT,
                opened_by__isnull=True,
                opened_at__gte=self.run.started_at,
            )
            .exclude(status=CaseStatus.CLOSED)
            .exclude(Exists(TracingRunCase.objects.filter(case=OuterRef("pk"))))
            .select_related("profile")
            .first()
        )

    def count_designated(self, case: Case) -> bool:
        """An adopted case already designated before the worker died: count it as
        apply_policy would have; False when its designation is still to do."""
        designated = Contact.objects.filter(case=case, designated_at__isnull=False).count()
        if not designated and case.status != CaseStatus.NOTIFIED:
            return False
        left = Contact.objects.filter(case=case, is_close=True, designated_at__isnull=True).count()
        if left:
            self.run.queued_for_officers += left
            self.run.cases_for_officers += 1
        self.run.designated_contacts += designated
        self.links[-1].designated = True
        return True

    def apply_policy(self, case: Case) -> None:
        policy = _policy(case)
        close = list(
            Contact.objects.filter(case=case, is_close=True, designated_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "score")
        )
        chosen = [
            pk for pk, score in close if policy.designate == "close" and score >= policy.min_score
        ]
        left = len(close) - len(chosen)
        if left or policy.designate == "none":
            self.run.queued_for_officers += left
            self.run.cases_for_officers += 1
        if policy.designate == "none" or (close and not chosen):
            return
        # No close contact at all: as an officer's "designate all", the exposure sites are
        # published and the visitors informed.
        done = designate_contacts(
            case=case,
            actor=None,
            contact_ids=chosen or None,
            now=self.clock(),
            notify=False,
            complete=not left,
        )
        self.run.designated_contacts += done.designated
        self.links[-1].designated = True

    def error(self, case: Case | None, step: str, exc: BaseException) -> None:
        """Counted, and noted without personal data: the case's number, the step, and a
        reason code (a TracingError's) or the exception's class, never its message."""
        self.run.failed += 1
        if len(self.run.errors) < MAX_ERRORS:
            code = exc.code.value if isinstance(exc, TracingError) else type(exc).__name__
            self.run.errors = [
                *self.run.errors,
                {"case": case.pk if case is not None else None, "step": step, "code": code},
            ]

    def checkpoint(self, *, force: bool = False) -> None:
        if not force and self.since_checkpoint < PROGRESS_EVERY:
            return
        self.since_checkpoint = 0
        run = self.run
        added = {
            name: F(name) + getattr(run, name) - before
            for name, before in self.written.items()
            if getattr(run, name) != before
        }
        with _atomic():
            # ignore_conflicts: a shard resumed while its first worker still ran (slow,
            # not dead) may link a case twice.
            TracingRunCase.objects.bulk_create(self.links, batch_size=500, ignore_conflicts=True)
            TracingRun.objects.filter(pk=run.pk).update(**added, touched_at=timezone.now())
            new_errors = run.errors[self.errors_written :]
            if new_errors or self.shard is not None:
                # The shard's position with its counts, in one transaction: a resumed
                # shard counts nothing twice.
                stored = TracingRun.objects.select_for_update().get(pk=run.pk)
                stored.errors = [*stored.errors, *new_errors][:MAX_ERRORS]
                if self.shard is not None:
                    stored.positions = {**stored.positions, str(self.shard): self.position}
                stored.save(update_fields=["errors", "positions"])
        self.written = {name: getattr(run, name) for name in self.written}
        self.errors_written = len(run.errors)
        self.links = []

    def report(self) -> None:
        if self.progress is not None:
            self.progress(self.run)

    # --- One message per person ------------------------------------------------------

    def notify(self, *, part: int = 0, parts: int = 1) -> None:
        """Tell the run's designated contacts, one message per person whatever the number
        of cases, then inform the visitors below the threshold of the cases designated,
        one notice per person (none to someone told they are a close contact). Only the
        people whose id is `part` modulo `parts`: each person is in one part, so parts may
        run side by side."""
        _analyze()
        designated = TracingRunCase.objects.filter(run=self.run, designated=True).values("case")
        pending = Contact.objects.filter(
            case__in=designated, designated_at__isnull=False, notified_at__isnull=True
        )
        below = Contact.objects.filter(
            case__in=designated,
            is_close=False,
            designated_at__isnull=True,
            informed_at__isnull=True,
        )
        for chunk in _chunks(_people(pending, part, parts), NOTICE_CHUNK):
            with _atomic():
                self.notify_close(pending.filter(person_id__in=chunk), below, chunk)
            self.checkpoint(force=True)
        for chunk in _chunks(_people(below, part, parts), NOTICE_CHUNK):
            with _atomic():
                self.inform(below.filter(person_id__in=chunk))
            self.checkpoint(force=True)

    def notify_close(
        self, contacts: QuerySet[Contact], below: QuerySet[Contact], people: Sequence[int]
    ) -> None:
        now = self.clock()
        rows = self.rows(contacts)
        told = notices.told_recently(people, now=now)
        districts = self.venue_districts(rows)
        messages = []
        for person_id, group in groupby(rows, key=lambda c: c.person_id):
            mine = list(group)
            messages.append(
                notices.close_contact_notice(
                    mine,
                    ref=notices.case_ref(mine[0].case),
                    districts=districts,
                    told_until=told.get(person_id),
                )
            )
        outbox.enqueue_many(messages, deferred=True)
        Contact.objects.filter(pk__in=[c.pk for c in rows]).update(notified_at=now)
        # Told they are a close contact: no "you are not a close contact" from another case.
        below.filter(person_id__in=people).update(informed_at=now)
        self.run.notified_people += len(messages)

    def inform(self, contacts: QuerySet[Contact]) -> None:
        rows = self.rows(contacts)
        districts = self.venue_districts(rows)
        messages = [
            notices.informational_notice(
                mine, ref=notices.case_ref(mine[0].case), districts=districts
            )
            for mine in (list(g) for _p, g in groupby(rows, key=lambda c: c.person_id))
        ]
        outbox.enqueue_many(messages, deferred=True)
        Contact.objects.filter(pk__in=[c.pk for c in rows]).update(informed_at=self.clock())
        self.run.informed_people += len(messages)

    def rows(self, contacts: QuerySet[Contact]) -> list[Contact]:
        """The contacts with what their messages need (the person's account; the case
        and its profile, each read once in the run), each person's together, by case."""
        rows = list(
            contacts.select_related("person__account")
            .only(*_ROW_FIELDS)
            .order_by("person_id", "case_id")
        )
        new = Case.objects.filter(pk__in={c.case_id for c in rows} - self.cases.keys())
        # A case's pk and profile are all a message reads of it (notices.case_ref,
        # profiles.for_case); its profile row is shared, so compiled once.
        found = list(new.only("profile"))
        wanted = {c.profile_id for c in found if c.profile_id is not None}
        if wanted - self.profiles.keys():
            # Most often the deployment's default, already read by the run's searches
            # (not loaded at all where every case names its own: nothing to reuse then).
            with suppress(TracingProfile.DoesNotExist):
                default = profiles.default_row()
                self.profiles.setdefault(default.pk, default)
            self.profiles |= TracingProfile.objects.in_bulk(wanted - self.profiles.keys())
        for case in found:
            if case.profile_id is not None:
                case.profile = self.profiles[case.profile_id]
            self.cases[case.pk] = case
        for row in rows:
            row.case = self.cases[row.case_id]
        return rows

    def venue_districts(self, rows: Sequence[Contact]) -> dict[int, str]:
        """The kecamatan of the venues `rows` visited (and of those looked up before)."""
        venues = {v["venue_id"] for c in rows for v in c.visits} - self.districts.keys()
        if venues:
            self.districts |= notices.venue_districts(venues)
        return self.districts


@contextmanager
def _atomic() -> Iterator[None]:
    """A transaction of the run. On PostgreSQL its statements, and the foreign-key checks
    at its commit, are planned for the tables as they are: a worker's connection caches
    the plans of those checks, and plans made while a table was empty (a new deployment's
    first mass run) read it whole for every row checked ever after. Measured with
    `make bench-warn` on a fresh database: 173,241 scans of the designations table, one
    per designated contact, reading 13.7 billion rows; 3.8 cases a second instead of 16
    (docs/performance.md, "The worst day"). Generic plans made again by an ANALYZE every
    few hundred cases instead were measured too: no faster (a plan per check costs about
    20 microseconds, a few hundred a case), and they depend on the ANALYZE's timing.

    Its commit does not wait for the WAL to reach the disk (`synchronous_commit = off`,
    for this transaction only): a case's search and designation write hundreds of rows,
    and waiting for their flush was a seventh of a worker's time. A crash of the database
    server can lose the run's last commits (at most three `wal_writer_delay`s, 0.6 s by
    default), never a part of one, and in order: the run resumes from its shards' last
    checkpoints and adopts the cases opened since (`resume`), so no case is lost."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                    "set_config('synchronous_commit', 'off', true)"
                )
        yield


def _analyze() -> None:
    """Fresh statistics for the tables the run has just grown, before the messages read
    them by person: planned with the statistics of before the run (a few thousand
    contacts; autovacuum runs a minute apart at best, and not at all where it is off),
    each chunk of 500 people read the whole contacts table, three times: 105 ms a chunk
    at 150,000 contacts, 14 ms after ANALYZE, and a run of 10,903 cases has 626 chunks
    over 700,000 contacts. ANALYZE samples a fixed number of rows: well under a second."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (Case, Contact, TracingRunCase, Designation)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _people(contacts: QuerySet[Contact], part: int = 0, parts: int = 1) -> list[int]:
    people = set(contacts.values_list("person_id", flat=True))
    return sorted(p for p in people if p % parts == part)


# What a message reads of a contact, its person and the account that holds them (the
# language, where an SMS goes; notices.py, outbox.address_for): a chunk of 500 people's
# contacts is read with nothing else, not whole accounts (_Tracer.rows).
_ROW_FIELDS = (
    "person_id",
    "case_id",
    "visits",
    "last_exposure_at",
    "person__relation",
    "person__full_name",
    "person__account__language",
    "person__account__phone",
    "person__account__phone_index",
    "person__account__phone_encrypted",
    "person__account__email",
)


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def summary(run: TracingRun) -> dict[str, Any]:
    """The run's counts (the task's result, the command's last line)."""
    return {name: getattr(run, name) for name in COUNTERS if name != "errors"} | {
        "id": run.pk,
        "status": run.status,
    }


def describe(run: TracingRun) -> str:
    """One line for a person (the import command's --trace)."""
    text = (
        f"tracing run {run.pk} {run.status}: {run.total} positive result(s), "
        f"{run.opened} case(s) opened, {run.searched} searched, "
        f"{run.designated_contacts} contact(s) designated, "
        f"{run.queued_for_officers} close contact(s) in {run.cases_for_officers} case(s) "
        f"left to officers, {run.notified_people} people notified, "
        f"{run.informed_people} informed, {run.failed} failed"
    )
    return text + "."


@dataclass(frozen=True)
class Estimate:
    percent: int
    seconds_left: int | None  # None: not running, or nothing done yet to go by
    elapsed: int | None

    @property
    def left(self) -> str:
        """ "0:42": the time left as a person reads it ("" when unknown)."""
        return clock(self.seconds_left) if self.seconds_left is not None else ""

    @property
    def took(self) -> str:
        return clock(self.elapsed) if self.elapsed is not None else ""


def estimate(run: TracingRun, now: dt.datetime | None = None) -> Estimate:
    """How far the run is and, while it runs, how long the rest should take at the pace
    of the cases done so far."""
    percent = 100 if not run.total else min(100, run.processed * 100 // run.total)
    if run.started_at is None:
        return Estimate(percent, None, None)
    end = run.finished_at or now or timezone.now()
    elapsed = max(0.0, (end - run.started_at).total_seconds())
    left = None
    if run.status == RunStatus.RUNNING and run.processed:
        left = round(elapsed / run.processed * (run.total - run.processed))
    return Estimate(percent, left, round(elapsed))
