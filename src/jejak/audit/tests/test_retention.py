"""Audit rows past JEJAK_AUDIT_RETENTION_DAYS become daily counts per action (days in
Asia/Jakarta) and are deleted with their subjects; newer rows stay as they are."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from jejak.audit import retention, service
from jejak.audit.models import AuditDailyCount, AuditEvent, AuditSubject
from jejak.core.tests.retention_tools import purge

JKT = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=JKT)


def row(action: str, at: dt.datetime, *, subjects: tuple[str, ...] = ()) -> AuditEvent:
    event = service.record_read(
        actor=None, action=action, purpose="tracing", subjects=subjects, ip="10.0.0.7"
    )
    AuditEvent.objects.filter(pk=event.pk).update(at=at)
    AuditSubject.objects.filter(event=event).update(at=at)
    return event


@pytest.mark.django_db
def test_rows_past_retention_become_daily_counts(settings):
    settings.JEJAK_AUDIT_RETENTION_DAYS = 730
    old = NOW - dt.timedelta(days=731)
    # 03:00 in Jakarta is 20:00 UTC the day before: it counts on Jakarta's day.
    early_morning = old.replace(hour=3)
    row("tracing.case.read", old, subjects=("a" * 64, "b" * 64))
    row("tracing.case.read", early_morning)
    row("screening.status_lookup", old)
    row("tracing.case.read", old - dt.timedelta(days=1))
    recent = row("tracing.case.read", NOW - dt.timedelta(days=729), subjects=("a" * 64,))

    assert purge("audit", now=NOW, dry_run=True) == {"events": 4, "subjects": 2}
    assert purge("audit", now=NOW) == {"events": 4, "subjects": 2}

    day = old.date()
    assert list(AuditDailyCount.objects.values_list("day", "action", "count")) == [
        (day - dt.timedelta(days=1), "tracing.case.read", 1),
        (day, "screening.status_lookup", 1),
        (day, "tracing.case.read", 2),
    ]
    # Left: the recent row, and the row that says what was aggregated.
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "tracing.case.read",
        "audit.retention_aggregated",
    }
    assert AuditEvent.objects.get(action="tracing.case.read").pk == recent.pk
    assert list(AuditSubject.objects.values_list("event_id", flat=True)) == [recent.pk]
    summary = AuditEvent.objects.get(action="audit.retention_aggregated")
    assert summary.detail["events"] == 4 and summary.detail["days"] == 730


@pytest.mark.django_db
def test_counts_add_up_across_runs_and_batches(settings):
    settings.JEJAK_AUDIT_RETENTION_DAYS = 730
    old = NOW - dt.timedelta(days=800)
    for _ in range(3):
        row("people.profile_read", old)
    assert retention.aggregate_expired(now=NOW, batch=2) == {"events": 3, "subjects": 0}
    row("people.profile_read", old)
    assert retention.aggregate_expired(now=NOW) == {"events": 1, "subjects": 0}
    assert list(AuditDailyCount.objects.values_list("action", "count")) == [
        ("people.profile_read", 4)
    ]
    assert not AuditEvent.objects.filter(at__lt=NOW - dt.timedelta(days=731)).exists()


@pytest.mark.django_db
def test_nothing_past_retention_leaves_no_trace(settings):
    settings.JEJAK_AUDIT_RETENTION_DAYS = 730
    row("tracing.case.read", timezone.now())
    assert purge("audit") == {"events": 0, "subjects": 0}
    assert not AuditDailyCount.objects.exists()
    assert not AuditEvent.objects.filter(action="audit.retention_aggregated").exists()


@pytest.mark.django_db
def test_a_legal_hold_keeps_rows_past_retention(settings, monkeypatch):
    settings.JEJAK_AUDIT_RETENTION_DAYS = 730
    held = row("tracing.case.read", NOW - dt.timedelta(days=900), subjects=("a" * 64,))
    gone = row("tracing.case.read", NOW - dt.timedelta(days=900))
    monkeypatch.setattr(
        retention,
        "KEEP_PREDICATES",
        [lambda cutoff: AuditEvent.objects.filter(pk=held.pk).values("pk")],
    )

    assert purge("audit", now=NOW) == {"events": 1, "subjects": 0}

    assert AuditEvent.objects.filter(pk=held.pk).exists()
    assert AuditSubject.objects.filter(event=held).exists()
    assert not AuditEvent.objects.filter(pk=gone.pk).exists()
