"""The task queues on /metrics (core/metrics.py; docs/operations.md, "Metrics"): for each
queue of each database task backend (django-tasks-db, `jejak db_worker`), the tasks ready
to run and how long the oldest of them has waited. With the inline backend there is no
queue, and no gauge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from jejak.core import metrics

DEPTH = metrics.GaugeSpec(
    "jejak_task_queue_ready",
    "Tasks ready to run (queued, their run_after passed), by backend and queue.",
    ("backend", "queue"),
)
OLDEST = metrics.GaugeSpec(
    "jejak_task_queue_oldest_ready_seconds",
    "How long the oldest ready task has waited since it could run, by backend and queue "
    "(0 when none is ready).",
    ("backend", "queue"),
)


def database_queues() -> dict[str, list[str]]:
    """The database task backends' aliases and their queues."""
    return {
        alias: sorted(backend.queues)
        for alias in task_backends
        if isinstance(backend := task_backends[alias], DatabaseBackend)
    }


def read_queues() -> Mapping[str, metrics.Samples]:
    """One grouped query over the ready rows (django-tasks-db's partial index on them)."""
    queues = database_queues()
    if not queues:
        return {}
    now = timezone.now()
    # A task with no delay carries the far-future run_after as a marker: it could run from
    # the moment it was queued.
    at_once = get_date_max()
    rows = (
        DBTaskResult.objects.ready()
        .filter(backend_name__in=list(queues))
        .values("backend_name", "queue_name")
        .annotate(
            ready=Count("id"),
            queued=Min("enqueued_at", filter=Q(run_after=at_once)),
            due=Min("run_after", filter=~Q(run_after=at_once)),
        )
        .order_by()
    )
    depth: dict[tuple[str, ...], float] = {
        (alias, queue): 0.0 for alias, names in queues.items() for queue in names
    }
    oldest = dict.fromkeys(depth, 0.0)
    for row in rows:
        key = (row["backend_name"], row["queue_name"])
        depth[key] = float(row["ready"])
        since = min(
            (moment for moment in (row["queued"], row["due"]) if moment is not None),
            default=None,
        )
        oldest[key] = _waited(now, since)
    return {DEPTH.name: depth, OLDEST.name: oldest}


def _waited(now: dt.datetime, since: dt.datetime | None) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def register() -> None:
    metrics.register("task_queues", read_queues, DEPTH, OLDEST)
