"""Background work of tracing: a mass run (tracing/mass.py), queued by the health import's
hook when an import brings more than JEJAK_MASS_TRACE_MIN positive results. With no
worker configured it runs inline (django-tasks' ImmediateBackend)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from jejak.tracing import mass

# Its own queue: workers for it apart from the outbox's (settings.TASKS).
QUEUE = "tracing"


@task(queue_name=QUEUE)
def trace_shard(run_id: int, shard: int) -> dict[str, Any]:
    """Trace one shard of a queued run (mass.run_shard); the run's counts so far (empty
    when it is gone)."""
    run, notices_due = mass.run_shard(run_id, shard)
    if run is not None and notices_due:
        # This shard was the last to be traced, and its commit is done: the messages
        # go out in as many parts, side by side.
        enqueue_notices(run)
    return mass.summary(run) if run is not None else {}


@task(queue_name=QUEUE)
def notify_part(run_id: int, part: int) -> dict[str, Any]:
    """Tell one part of a traced run's people (mass.notify_part); the run's counts."""
    run = mass.notify_part(run_id, part)
    return mass.summary(run) if run is not None else {}


def resume_stalled() -> dict[str, int]:
    """The periodic runner's step: queue again what the runs whose worker died still
    need (mass.resume)."""
    resumed = 0
    for run_id in mass.stalled_runs():
        shards, parts = mass.resume(run_id)
        for shard in shards:
            trace_shard.enqueue(run_id=run_id, shard=shard)
        for part in parts:
            notify_part.enqueue(run_id=run_id, part=part)
        resumed += bool(shards or parts)
    return {"resumed": resumed}


def enqueue_notices(run: Any) -> None:
    """Once every shard is traced: the messages in as many parts, side by side."""
    for part in range(run.shards):
        notify_part.enqueue(run_id=run.pk, part=part)


def enqueue_run(run: Any) -> None:
    """One task per shard of a queued run: as many workers trace it side by side."""
    for shard in range(run.shards):
        trace_shard.enqueue(run_id=run.pk, shard=shard)
