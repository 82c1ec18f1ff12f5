"""Background work of tracing: a mass run (tracing/mass.py), queued by the health import's
hook when an import brings more than JEJAK_MASS_TRACE_MIN positive results. With no
worker configured it runs inline (django-tasks' ImmediateBackend)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from jejak.tracing import mass


@task()
def trace_run(run_id: int) -> dict[str, Any]:
    """Trace a queued run's positive results; its counts (empty when it is gone)."""
    run = mass.run_queued(run_id)
    return mass.summary(run) if run is not None else {}
