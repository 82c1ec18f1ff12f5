"""Black-status alerts: a visitor refused for black status (confirmed case or close
contact in isolation) is recorded as an alert, and the venue's staff and the home
region's health officers are told (in the app and by SMS) by a task after commit, or by
the periodic sweep when that task was lost. Never in the visitor's request: SMS is slow.
docs/notifications.md."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from jejak.accounts.roles import VENUE_ROLES, Role
from jejak.audit import service as audit
from jejak.checkins.decision import Entry
from jejak.checkins.models import (
    BlackStatusAlert,
    CheckIn,
)
from jejak.checkins.plans import Plan
from jejak.core import shutdown
from jejak.notifications import outbox


def record_black_alerts(black: list[tuple[int, Entry, Plan]], *, now: dt.datetime) -> None:
    """Record the black-status refusals of a batch (alerts and audit rows, a statement
    each) and, with a task worker, enqueue their notification after commit, all in one
    task. An alert whose task is lost (a crash, a deploy) stays un-notified
    (`notified_at` null) until the periodic sweep notifies it."""
    alerts = BlackStatusAlert.objects.bulk_create(
        [
            BlackStatusAlert(
                venue_id=plan.venue.pk,
                checkin_id=checkin_id,
                home_region_code=_home_region_code(entry.person.nik_masked),
                created_at=now,
            )
            for checkin_id, entry, plan in black
        ]
    )
    ids = [alert.pk for alert in alerts]
    audit.record_many(
        [
            audit.event(
                actor=plan.ask.account,
                action="checkins.black_status_refused",
                obj=CheckIn(pk=checkin_id),
                venue=plan.venue.short_code,
                alert=alert_id,
            )
            for alert_id, (checkin_id, _entry, plan) in zip(ids, black, strict=True)
        ]
    )
    if tasks_run_inline():
        # Enqueueing would notify right here, SMS included (a gateway's timeout, retried),
        # while the visitor waits at the door: without a worker, `jejak run-periodic`
        # notifies these alerts on its next round.
        return
    # With the database backend, enqueueing is an INSERT of the task's row, and if it
    # fails after the commit the sweep still notifies the alerts.
    transaction.on_commit(lambda: notify_black_status.enqueue(alert_ids=ids))


def _home_region_code(nik_masked: str) -> str:
    # The NIK's first four digits are the regency that issued it (36.71 Kota Tangerang);
    # the masked NIK keeps them, so nothing is decrypted.
    digits = nik_masked[:4]
    return f"{digits[:2]}.{digits[2:]}" if digits.isdigit() else ""


def alert_recipients(*, alert: BlackStatusAlert) -> list[Any]:
    """Who is told about a black-status refusal: the venue's staff and managers, and the
    health officers whose region contains the person's home regency."""
    return alerts_recipients(alerts=[alert])[alert.pk]


def alerts_recipients(*, alerts: Sequence[BlackStatusAlert]) -> dict[int, list[Any]]:
    """`alert_recipients` of several alerts, by alert id, in two queries for them all."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    # Two indexed look-ups (through the venues' staff, through the regions), not one
    # query with OR across both joins: that one read every account, citizens included.
    staff: dict[int, dict[int, Any]] = defaultdict(dict)
    venue_ids = {a.venue_id for a in alerts}
    for user in users.filter(role__in=VENUE_ROLES, venues__in=venue_ids).annotate(
        alerted_venue=F("venues")
    ):
        staff[user.alerted_venue][user.pk] = user
    parents = {a.pk: _region_and_parents(a.home_region_code) for a in alerts}
    codes = set().union(*parents.values())
    officers: dict[str, list[Any]] = defaultdict(list)
    if codes:
        found = users.filter(role=Role.HEALTH_OFFICER, region__code__in=codes)
        for officer in found.annotate(region_code=F("region__code")):
            officers[officer.region_code].append(officer)
    out = {}
    for alert in alerts:
        chosen = dict(staff[alert.venue_id])
        for code in parents[alert.pk]:
            chosen.update((u.pk, u) for u in officers[code])
        out[alert.pk] = [chosen[pk] for pk in sorted(chosen)]
    return out


def _region_and_parents(code: str) -> set[str]:
    # "36.71" -> {"36", "36.71"}: an officer of the province or of the city.
    if not code:
        return set()
    return {code[:i] for i in range(len(code) + 1) if code[i : i + 1] in (".", "")}


# Alerts the sweep notifies per call. They are rare; a backlog means the worker was down,
# and the next rounds take the rest.
SWEEP_BATCH = 100
# At most this many batches per sweep, so one call stays bounded in time.
SWEEP_ROUNDS = 50


def black_alert_ref(alert: BlackStatusAlert) -> str:
    """The outbox `ref` of an alert's messages: `outbox.messages_for(black_alert_ref(a))`."""
    return f"checkins.black_alert:{alert.pk}"


def alert_subjects(refs: Sequence[str]) -> dict[str, list[str]]:
    """The person each alert's messages are about, by ref (`notifications.subjects`): a
    health officer's alert names them by masked NIK, so reading it is an audited read."""
    ids = {int(ref.rpartition(":")[2]): ref for ref in refs if ref.rpartition(":")[2].isdigit()}
    rows = BlackStatusAlert.objects.filter(pk__in=ids).values_list(
        "pk", "checkin__person__nik_index"
    )
    return {ids[pk]: [key] for pk, key in rows if key}


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
    recipients = alerts_recipients(alerts=alerts)
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
