"""`jejak run-periodic`: one round closes stays, sends due messages and applies retention."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from jejak.checkins import alerts, periodic, tasks
from jejak.checkins.models import CheckIn
from jejak.checkins.tests.test_retention import age, first
from jejak.notifications import delivery
from jejak.notifications.models import Message, Status
from jejak.people.models import Person


def test_run_periodic_once_does_every_step(make_visitor, check_in, monkeypatch):
    overdue = check_in(make_visitor())
    old = age(first(check_in(make_visitor())), days=40)
    person = Person.objects.first()
    message = Message.objects.create(
        to_person=person, channel="inapp", template="t", body="b", status=Status.FAILED
    )
    later = timezone.now() + dt.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)

    out, err = io.StringIO(), io.StringIO()
    call_command("run_periodic", "--once", stdout=out, stderr=err)

    assert out.getvalue().splitlines() == [
        "auto-checkout: checked_out=1",
        "black-alerts: alerts=0 recipients=0",
        "send-due: sent=1 failed=0",
        "retention: checkins=1 requests=1 messages=0",
        # The step zones adds (zones/apps.py): no kecamatan has a population here.
        "zones: districts=0 cases=0 unplaced=0 elsewhere=0",
    ]
    assert err.getvalue() == ""
    assert CheckIn.objects.get(public_id=first(overdue)).checkout_method == "automatic"
    assert not CheckIn.objects.filter(pk=old.pk).exists()
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_failing_step_does_not_stop_the_others(db, monkeypatch):
    def broken(now=None):
        raise RuntimeError("database of the gateway is down")

    monkeypatch.setattr(delivery, "send_due", broken)
    out, err = io.StringIO(), io.StringIO()
    call_command("run_periodic", "--once", stdout=out, stderr=err)
    assert err.getvalue().strip() == "send-due: error"
    assert out.getvalue().splitlines() == [
        "auto-checkout: checked_out=0",
        "black-alerts: alerts=0 recipients=0",
        "retention: checkins=0 requests=0 messages=0",
        "zones: districts=0 cases=0 unplaced=0 elsewhere=0",
    ]


def test_retention_runs_at_most_once_per_period(db):
    plan = periodic.steps(retention_every=3600)
    assert set(periodic.run_round(plan)) == {
        "auto-checkout",
        "black-alerts",
        "send-due",
        "retention",
        "zones",
    }
    assert set(periodic.run_round(plan)) == {"auto-checkout", "black-alerts", "send-due"}
    (retention,) = [step for step in plan if step.name == "retention"]
    retention.last_run = timezone.now() - dt.timedelta(hours=1, seconds=1)
    assert "retention" in periodic.run_round(plan)


def test_each_step_is_also_a_task(db):
    assert tasks.purge_expired_checkins.enqueue().return_value == {"checkins": 0, "requests": 0}
    assert alerts.sweep_black_alerts.enqueue().return_value == {"alerts": 0, "recipients": 0}
    from jejak.notifications import tasks as notification_tasks

    assert notification_tasks.send_due.enqueue().return_value == {"sent": 0, "failed": 0}
