"""Background work of breaches. With no worker configured (django-tasks' ImmediateBackend)
the service does not enqueue it: `jejak run-periodic` sends instead (sending.py)."""

from __future__ import annotations

from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from jejak.breaches import sending


@task()
def send_notices(breach_id: int) -> int:
    """Send every notice a breach still owes, batch by batch."""
    return sending.send_all(breach_id=breach_id)


def tasks_run_inline() -> bool:
    """Whether enqueueing would run the task at once in the caller's thread (the laptop
    default): thousands of notices, SMS included, inside the officer's request."""
    return isinstance(send_notices.get_backend(), ImmediateBackend)
