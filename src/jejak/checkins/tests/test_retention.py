"""Check-ins past retention are deleted, except those a predicate keeps or still inside."""

from __future__ import annotations

import datetime as dt
import threading

from django.utils import timezone

from jejak.audit.models import AuditEvent
from jejak.checkins import periodic, retention
from jejak.checkins.models import BlackStatusAlert, CheckIn, CheckInRequest
from jejak.core import shutdown


def age(public_id: str, *, days: float, checked_out: bool = True) -> CheckIn:
    """Move a check-in (and its request) `days` into the past."""
    row = CheckIn.objects.get(public_id=public_id)
    then = timezone.now() - dt.timedelta(days=days)
    CheckIn.objects.filter(pk=row.pk).update(
        scanned_at=then,
        received_at=then,
        checked_in_at=then if row.checked_in_at else None,
        checked_out_at=then + dt.timedelta(hours=1) if checked_out and row.checked_in_at else None,
    )
    CheckInRequest.objects.filter(pk=row.request_id).update(received_at=then)
    row.refresh_from_db()
    return row


def first(result):
    return result["people"][0]["checkin"]


def test_old_checkins_go_and_recent_ones_stay(make_visitor, check_in, settings):
    settings.JEJAK_CHECKIN_RETENTION_DAYS = 21
    old = age(first(check_in(make_visitor())), days=22)
    black = age(first(check_in(make_visitor("hitam"))), days=30)
    assert BlackStatusAlert.objects.filter(checkin=black).exists()
    edge = age(first(check_in(make_visitor())), days=20.9)
    recent = CheckIn.objects.get(public_id=first(check_in(make_visitor())))

    assert retention.purge_expired_checkins() == {"checkins": 2, "requests": 2}

    assert set(CheckIn.objects.values_list("pk", flat=True)) == {edge.pk, recent.pk}
    assert not CheckInRequest.objects.filter(pk=old.request_id).exists()
    assert not BlackStatusAlert.objects.exists()
    assert set(CheckInRequest.objects.values_list("pk", flat=True)) == {
        edge.request_id,
        recent.request_id,
    }
    event = AuditEvent.objects.get(action="checkins.retention_purged")
    assert event.detail["checkins"] == 2 and event.detail["days"] == 21
    # Nothing left to delete: no new audit row.
    assert retention.purge_expired_checkins() == {"checkins": 0, "requests": 0}
    assert AuditEvent.objects.filter(action="checkins.retention_purged").count() == 1


def test_predicates_keep_rows_an_open_case_needs(make_visitor, check_in, monkeypatch):
    kept = age(first(check_in(make_visitor())), days=40)
    gone = age(first(check_in(make_visitor())), days=40)
    seen = []

    def open_cases(cutoff):
        seen.append(cutoff)
        return CheckIn.objects.filter(pk=kept.pk).values("pk")

    monkeypatch.setattr(retention, "KEEP_PREDICATES", [open_cases])
    assert retention.purge_expired_checkins(batch=1) == {"checkins": 1, "requests": 1}
    assert list(CheckIn.objects.values_list("pk", flat=True)) == [kept.pk]
    assert CheckInRequest.objects.filter(pk=kept.request_id).exists()
    assert not CheckInRequest.objects.filter(pk=gone.request_id).exists()
    assert seen and all(c < timezone.now() - dt.timedelta(days=20) for c in seen)


def test_a_stay_still_open_is_never_deleted(make_visitor, check_in):
    open_stay = age(first(check_in(make_visitor())), days=40, checked_out=False)
    assert retention.purge_expired_checkins() == {"checkins": 0, "requests": 0}
    assert CheckIn.objects.filter(pk=open_stay.pk).exists()


def test_batches_delete_everything_due(make_visitor, check_in):
    for _ in range(5):
        age(first(check_in(make_visitor())), days=25)
    assert retention.purge_expired_checkins(batch=2) == {"checkins": 5, "requests": 5}
    assert not CheckIn.objects.exists()


def test_run_periodic_purges_checkins_and_a_dry_run_only_counts(
    make_visitor, check_in, settings, monkeypatch
):
    from jejak.core.tests.retention_tools import purge

    settings.JEJAK_CHECKIN_RETENTION_DAYS = 21
    old = age(first(check_in(make_visitor())), days=22)
    recent = age(first(check_in(make_visitor())), days=20)
    held = age(first(check_in(make_visitor())), days=40)
    monkeypatch.setattr(
        retention,
        "KEEP_PREDICATES",
        [lambda cutoff: CheckIn.objects.filter(pk=held.pk).values("pk")],
    )

    assert purge("checkins", dry_run=True) == {"checkins": 1, "requests": 1}
    assert CheckIn.objects.filter(pk=old.pk).exists()
    assert purge("checkins") == {"checkins": 1, "requests": 1}

    assert set(CheckIn.objects.values_list("pk", flat=True)) == {recent.pk, held.pk}
    assert not CheckInRequest.objects.filter(pk=old.request_id).exists()


def test_a_purge_asked_to_stop_ends_after_its_batch(make_visitor, check_in, monkeypatch):
    # SIGTERM (a deploy) while a backlog is purged: the batch in hand is finished, the
    # rest waits for the next run instead of keeping the process for minutes.
    for _ in range(3):
        age(first(check_in(make_visitor())), days=40)
    stop = threading.Event()
    real = retention.stopping
    calls = []

    def stopping() -> bool:
        calls.append(1)
        if len(calls) > 1:
            stop.set()
        return real() or stop.is_set()

    monkeypatch.setattr(retention, "stopping", stopping)
    done = retention.purge_expired_checkins(batch=1)
    assert done["checkins"] == 1
    assert CheckIn.objects.count() == 2
    monkeypatch.setattr(retention, "stopping", real)
    assert retention.purge_expired_checkins(batch=1)["checkins"] == 2


def test_a_round_asked_to_stop_runs_no_further_step(monkeypatch):
    ran = []
    plan = [
        periodic.Step("one", lambda: ran.append("one") or {}, every=0),
        periodic.Step("two", lambda: ran.append("two") or {}, every=0),
    ]
    stop = threading.Event()
    monkeypatch.setattr(shutdown, "requested", stop)
    assert periodic.run_round(plan, force=True) == {"one": {}, "two": {}}
    stop.set()
    assert periodic.run_round(plan, force=True) == {}
    assert ran == ["one", "two"]
