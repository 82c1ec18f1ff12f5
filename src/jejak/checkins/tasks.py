"""Background work of check-ins. With no worker configured these run inline
(django-tasks' ImmediateBackend), so nothing here is required for correctness."""

from __future__ import annotations

from django_tasks import task

from jejak.audit import service as audit
from jejak.checkins import service
from jejak.checkins.models import BlackStatusAlert


@task()
def auto_checkout() -> int:
    """Close every stay that is over (schedule it every few minutes, or run
    `jejak auto-checkout` from cron)."""
    return service.auto_checkout()


@task()
def notify_black_status(*, alert_ids: list[int]) -> int:
    """Tell the venue's staff and the home region's health officers about black-status
    refusals; returns how many recipients were found.

    TODO(notifications outbox): there is no in-app or push outbox yet, so the recipients
    are resolved and recorded in the audit log; staff and officers see the alert rows.
    """
    told = 0
    for alert in BlackStatusAlert.objects.filter(pk__in=alert_ids).select_related("venue"):
        recipients = service.alert_recipients(alert=alert)
        told += len(recipients)
        audit.record(
            actor=None,
            action="checkins.black_status_alert_sent",
            obj=alert,
            venue=alert.venue.short_code,
            recipients=[u.pk for u in recipients],
        )
    return told
