"""Background work of the outbox. With no worker configured these run inline (django-tasks'
ImmediateBackend), right after the transaction that queued the message commits."""

from __future__ import annotations

from django_tasks import task

from jejak.notifications import delivery


@task()
def send_message(message_id: int) -> bool:
    """Send one queued message; True if it went. A failure is retried by `send_due`, which
    also sends a message whose gateway was at its rate (JEJAK_NOTIFY_RATES): deferred,
    not failed, and not enqueued again (a mass event would fill the queue with retries)."""
    return delivery.send(message_id)


@task()
def send_due() -> dict[str, int]:
    """Send every message that is due: retries, and new ones whose task was lost
    (`jejak run-periodic` runs this every round)."""
    return delivery.send_due()
