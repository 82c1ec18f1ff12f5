"""Background work of data-subject rights. With no worker configured these run inline
(django-tasks' ImmediateBackend)."""

from __future__ import annotations

from django_tasks import task

from jejak.rights import build


@task()
def build_export(public_id: str) -> str:
    """Build one queued export of a citizen's data (build.run_export)."""
    return build.run_export(public_id)
