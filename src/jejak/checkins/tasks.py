"""Background work of check-ins. With no worker configured these run inline
(django-tasks' ImmediateBackend), except black-status notifications: a check-in never
runs them in its own thread (they send SMS), so without a worker the periodic sweep
(`notify_unnotified_alerts`, in `jejak run-periodic`) sends them. docs/notifications.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from jejak.accounts.roles import Role
from jejak.audit import service as audit
from jejak.checkins import retention, service
from jejak.checkins.models import BlackStatusAlert
from jejak.core import shutdown
from jejak.notifications import outbox

# Alerts the sweep notifies per call. They are rare; a backlog means the worker was down,
# and the next rounds take the rest.
SWEEP_BATCH = 100
# At most this many batches per sweep, so one call stays bounded in time.
SWEEP_ROUNDS = 50


@task()
def auto_checkout() -> int:
    """Close every stay that is over (schedule it every few minutes, or run
    `jejak run-periodic` / `jejak auto-checkout` from cron)."""
    return service.auto_checkout()


@task()
def purge_expired_checkins() -> dict[str, int]:
    """Delete check-ins past the retention period (JEJAK_CHECKIN_RETENTION_DAYS)."""
    return retention.purge_expired_checkins()


def black_alert_ref(alert: BlackStatusAlert) -> str:
    """The outbox `ref` of an alert's messages: `outbox.messages_for(black_alert_ref(a))`."""
    return f"checkins.black_alert:{alert.pk}"


def _alert_context(alert: BlackStatusAlert) -> dict[str, Any]:
    checkin = alert.checkin
    return {
        "venue": alert.venue.name,
        "entrance": checkin.entry_point.name,
        "at": checkin.scanned_at,
        "colour": checkin.colour,
    }


def tasks_run_inline() -> bool:
    """Whether enqueueing a task runs it at once, in the caller's thread (django-tasks'
    ImmediateBackend, the laptop default), rather than in a worker."""
    return isinstance(notify_black_status.get_backend(), ImmediateBackend)


def _claim(alerts: QuerySet[BlackStatusAlert], now: dt.datetime, limit: int) -> list[int]:
    """Take the alerts of `alerts` that nobody has notified: mark them notified in the
    caller's transaction, which writes their messages. A second sender (a retried task,
    the sweep, another worker) skips them; if writing the messages fails, the mark rolls
    back with them and the sweep tries again."""
    rows = alerts.filter(notified_at__isnull=True)
    if connection.features.has_select_for_update:
        # PostgreSQL: the rows stay locked until commit; a concurrent sweep takes others.
        # SQLite's writers are serialised (transaction_mode IMMEDIATE).
        rows = rows.select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked
        )
    ids = list(rows.order_by("created_at", "id").values_list("pk", flat=True)[:limit])
    BlackStatusAlert.objects.filter(pk__in=ids, notified_at__isnull=True).update(notified_at=now)
    return ids


def _notify(alert_ids: list[int]) -> int:
    """Write the messages and audit rows of claimed alerts; returns how many recipients."""
    alerts = list(
        BlackStatusAlert.objects.filter(pk__in=alert_ids)
        .select_related("venue", "checkin__entry_point", "checkin__person")
        # What the messages and the audit rows say, not the whole rows (a NIK's cipher
        # text, a check-in's JSON): a batch's task and the sweep notify many alerts at once.
        .only(
            "venue__name",
            "venue__short_code",
            "home_region_code",
            "checkin__scanned_at",
            "checkin__colour",
            "checkin__entry_point__name",
            "checkin__person__nik_masked",
        )
        .order_by("id")
    )
    # One look-up of the recipients for every alert.
    recipients = service.alerts_recipients(alerts=alerts)
    told = 0
    events = []
    for alert in alerts:
        context = _alert_context(alert)
        for user in recipients[alert.pk]:
            if user.role == Role.HEALTH_OFFICER:
                template = "black_status_officer"
                extra = {"nik_masked": alert.checkin.person.nik_masked}
            else:
                template = "black_status_staff"
                extra = {}
            # Rows only, in this transaction: the sends are tasks enqueued after commit,
            # so every alert's in-app messages are stored before the first SMS is tried.
            outbox.enqueue(
                template=template,
                context={**context, **extra},
                channels=["inapp", "sms"],
                to_user=user,
                ref=black_alert_ref(alert),
            )
        told += len(recipients[alert.pk])
        events.append(
            audit.event(
                actor=None,
                action="checkins.black_status_alert_sent",
                obj=alert,
                venue=alert.venue.short_code,
                recipients=[u.pk for u in recipients[alert.pk]],
            )
        )
    audit.record_many(events)
    return told


@task()
def notify_black_status(*, alert_ids: list[int]) -> int:
    """Tell the venue's staff and the home region's health officers about black-status
    refusals, in the app and by SMS where they have a number; returns how many
    recipients were told. An alert already notified is skipped, so a retried task or a
    race with the sweep tells no one twice.

    Venue staff learn the colour and where and when, never who: the person waits in the
    staging area and the health officer takes over. Officers also get the masked NIK.
    """
    with transaction.atomic():
        claimed = _claim(
            BlackStatusAlert.objects.filter(pk__in=alert_ids), timezone.now(), len(alert_ids)
        )
        return _notify(claimed)


def notify_unnotified_alerts(
    *, older_than: float | None = None, max_rounds: int = SWEEP_ROUNDS
) -> dict[str, int]:
    """Notify the alerts whose task was lost (a crash or a deploy between the check-in's
    commit and the task): those still un-notified `older_than` seconds after they were
    written (JEJAK_BLACK_ALERT_SWEEP_SECONDS). Rounds of SWEEP_BATCH alerts, each in its
    own transaction, until none is left or `max_rounds` have run: a busy day's backlog
    drains in one call instead of a hundred per call. Returns {"alerts": n, "recipients": m}."""
    wait = settings.JEJAK_BLACK_ALERT_SWEEP_SECONDS if older_than is None else older_than
    alerts = recipients = 0
    for _round in range(max_rounds):
        now = timezone.now()
        with transaction.atomic():
            claimed = _claim(
                BlackStatusAlert.objects.filter(created_at__lte=now - dt.timedelta(seconds=wait)),
                now,
                SWEEP_BATCH,
            )
            recipients += _notify(claimed)
        alerts += len(claimed)
        if len(claimed) < SWEEP_BATCH or shutdown.requested.is_set():
            break
    return {"alerts": alerts, "recipients": recipients}


@task()
def sweep_black_alerts() -> dict[str, int]:
    """`notify_unnotified_alerts` (`jejak run-periodic` runs it every round)."""
    return notify_unnotified_alerts()
