"""Black-status alerts are never lost and never block a check-in: a check-in leaves its
alert to the task worker (or, without one, to the periodic sweep), each alert is notified
exactly once (`notified_at`), and the sweep notifies those whose task was lost."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.checkins import alerts
from jejak.checkins.models import BlackStatusAlert
from jejak.notifications import addresses, delivery, outbox
from jejak.notifications.models import Channel, Message, Status
from jejak.notifications.tasks import send_message

WORKER = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def staff(make_user, hotel):
    return make_user(Role.VENUE_STAFF, venues=[hotel], phone="0812-1111-2222")


@pytest.fixture
def worker(settings):
    """Production's task backend: enqueued tasks are rows for `jejak db_worker`."""
    settings.TASKS = WORKER


@pytest.fixture
def slow_gateway(monkeypatch):
    """An SMS gateway that answers only when the test opens `gate` (at most 5 s)."""
    gate = threading.Event()
    sent: list[str] = []

    def send(message: Message) -> None:
        gate.wait(timeout=5)
        sent.append(addresses.open_address(message))

    monkeypatch.setitem(delivery.SENDERS, Channel.SMS, send)
    return gate, sent


def later(monkeypatch, seconds: float) -> None:
    moment = timezone.now() + dt.timedelta(seconds=seconds)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def queued(task: Any) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path).order_by("enqueued_at"))


def test_a_check_in_without_a_worker_leaves_its_alert_to_the_sweep(
    make_visitor, check_in, staff, slow_gateway, django_capture_on_commit_callbacks
):
    gate, sent = slow_gateway
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        person = check_in(make_visitor("hitam"))["people"][0]
    assert time.monotonic() - started < 2
    assert person["reasons"] == ["status_black"]
    alert = BlackStatusAlert.objects.get()
    assert alert.notified_at is None and not Message.objects.exists() and sent == []

    gate.set()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_periodic", "--once", stdout=out)
    assert "black-alerts: alerts=1 recipients=1" in out.getvalue().splitlines()
    alert.refresh_from_db()
    assert alert.notified_at is not None
    assert sent == ["+6281211112222"]
    assert {m.status for m in outbox.messages_for(alerts.black_alert_ref(alert))} == {Status.SENT}


def test_a_check_in_with_a_worker_only_enqueues_and_the_sms_is_a_task_of_its_own(
    worker, make_visitor, check_in, staff, slow_gateway, django_capture_on_commit_callbacks
):
    gate, sent = slow_gateway
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        check_in(make_visitor("hitam"))
    assert time.monotonic() - started < 2
    alert = BlackStatusAlert.objects.get()
    (task,) = queued(alerts.notify_black_status)
    assert task.args_kwargs["kwargs"] == {"alert_ids": [alert.pk]}
    assert not Message.objects.exists() and sent == []

    # What the worker does with the task: the messages are written, the SMS queued.
    with django_capture_on_commit_callbacks(execute=True):
        assert task.task.call(**task.args_kwargs["kwargs"]) == 1
    assert sent == []
    sms = Message.objects.get(channel=Channel.SMS)
    sends = {t.args_kwargs["kwargs"]["message_id"] for t in queued(send_message)}
    assert sends == set(Message.objects.values_list("pk", flat=True))
    gate.set()
    assert delivery.send(sms.pk) and sent == ["+6281211112222"]


def test_an_alert_is_notified_once(
    make_visitor, check_in, staff, django_capture_on_commit_callbacks
):
    check_in(make_visitor("hitam"))
    alert = BlackStatusAlert.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.notify_unnotified_alerts(older_than=0) == {"alerts": 1, "recipients": 1}
    alert.refresh_from_db()
    notified_at = alert.notified_at
    messages = Message.objects.count()
    assert notified_at is not None and messages == 2  # in the app and by SMS

    # A retried task, a second sweep: nobody is told twice, the mark stays as it was.
    assert alerts.notify_black_status.call(alert_ids=[alert.pk]) == 0
    assert alerts.notify_unnotified_alerts(older_than=0) == {"alerts": 0, "recipients": 0}
    alert.refresh_from_db()
    assert alert.notified_at == notified_at and Message.objects.count() == messages
    sent = AuditEvent.objects.filter(action="checkins.black_status_alert_sent")
    assert sent.count() == 1


def test_an_alert_whose_task_was_lost_is_notified_by_the_sweep(
    worker, make_visitor, check_in, staff, monkeypatch, django_capture_on_commit_callbacks
):
    # The process dies between the check-in's commit and its task: the callback never runs.
    with django_capture_on_commit_callbacks(execute=False):
        check_in(make_visitor("hitam"))
    alert = BlackStatusAlert.objects.get()
    assert queued(alerts.notify_black_status) == []

    # While its task may still be on its way, the sweep leaves it alone.
    out = io.StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert "black-alerts: alerts=0 recipients=0" in out.getvalue().splitlines()

    later(monkeypatch, 31)
    out = io.StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert "black-alerts: alerts=1 recipients=1" in out.getvalue().splitlines()
    alert.refresh_from_db()
    assert alert.notified_at is not None
    channels = outbox.messages_for(alerts.black_alert_ref(alert)).values_list("channel", flat=True)
    assert sorted(channels) == ["inapp", "sms"]


def test_the_sweep_takes_bounded_batches_oldest_first(make_visitor, check_in, monkeypatch):
    for _ in range(3):
        check_in(make_visitor("hitam"))
    *_first_two, newest = BlackStatusAlert.objects.order_by("created_at", "id")
    monkeypatch.setattr(alerts, "SWEEP_BATCH", 2)
    assert alerts.notify_unnotified_alerts(older_than=0, max_rounds=1)["alerts"] == 2
    assert list(BlackStatusAlert.objects.filter(notified_at__isnull=True)) == [newest]
    assert alerts.notify_unnotified_alerts(older_than=0)["alerts"] == 1
    assert not BlackStatusAlert.objects.filter(notified_at__isnull=True).exists()


def test_one_sweep_drains_a_backlog_in_batches(make_visitor, check_in, monkeypatch):
    for _ in range(5):
        check_in(make_visitor("hitam"))
    monkeypatch.setattr(alerts, "SWEEP_BATCH", 2)
    assert alerts.notify_unnotified_alerts(older_than=0)["alerts"] == 5
    assert not BlackStatusAlert.objects.filter(notified_at__isnull=True).exists()
