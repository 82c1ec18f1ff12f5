"""Background work of check-ins. With no worker configured these run inline
(django-tasks' ImmediateBackend). The black-status alerts' tasks are alerts.py's."""

from __future__ import annotations

from django_tasks import task

from jejak.checkins import checkout, retention


@task()
def auto_checkout() -> int:
    """Close every stay that is over (schedule it every few minutes, or run
    `jejak run-periodic` / `jejak auto-checkout` from cron)."""
    return checkout.auto_checkout()


@task()
def purge_expired_checkins() -> dict[str, int]:
    """Delete check-ins past the retention period (JEJAK_CHECKIN_RETENTION_DAYS)."""
    return retention.purge_expired_checkins()
