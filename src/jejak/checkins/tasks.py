"""Background work of check-ins. With no worker configured these run inline
(django-tasks' ImmediateBackend), so nothing here is required for correctness."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task

from jejak.accounts.roles import Role
from jejak.audit import service as audit
from jejak.checkins import retention, service
from jejak.checkins.models import BlackStatusAlert
from jejak.notifications import outbox
from jejak.notifications.models import Message


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


@task()
def notify_black_status(*, alert_ids: list[int]) -> int:
    """Tell the venue's staff and the home region's health officers about black-status
    refusals, in the app and by SMS where they have a number; returns how many
    recipients were told.

    Venue staff learn the colour and where and when, never who: the person waits in the
    staging area and the health officer takes over. Officers also get the masked NIK.
    """
    alerts = list(
        BlackStatusAlert.objects.filter(pk__in=alert_ids)
        .select_related("venue", "checkin__entry_point", "checkin__person")
        # What the messages and the audit rows say, not the whole rows (a NIK's cipher
        # text, a check-in's JSON): the lane sends many alerts at once.
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
    refs = {alert.pk: black_alert_ref(alert) for alert in alerts}
    # A task retried by its worker must not alert everyone twice.
    done = set(
        Message.objects.filter(ref__in=refs.values()).values_list("ref", flat=True).distinct()
    )
    # One look-up of the recipients for every alert (the lane notifies many at once).
    recipients = service.alerts_recipients(alerts=[a for a in alerts if refs[a.pk] not in done])
    told = 0
    events = []
    with transaction.atomic():
        for alert in alerts:
            ref = refs[alert.pk]
            if ref in done:
                continue
            key = alert.pk
            context = _alert_context(alert)
            for user in recipients[key]:
                if user.role == Role.HEALTH_OFFICER:
                    template = "black_status_officer"
                    extra = {"nik_masked": alert.checkin.person.nik_masked}
                else:
                    template = "black_status_staff"
                    extra = {}
                outbox.enqueue(
                    template=template,
                    context={**context, **extra},
                    channels=["inapp", "sms"],
                    to_user=user,
                    ref=ref,
                )
            told += len(recipients[key])
            events.append(
                audit.event(
                    actor=None,
                    action="checkins.black_status_alert_sent",
                    obj=alert,
                    venue=alert.venue.short_code,
                    recipients=[u.pk for u in recipients[key]],
                )
            )
        audit.record_many(events)
    return told
