"""`jejak run-periodic`: one round closes stays, sends due messages and applies retention."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from jejak.checkins import alerts, partitions, periodic, tasks
from jejak.checkins import retention as checkin_retention
from jejak.checkins.models import CheckIn
from jejak.checkins.tests.test_retention import age, first
from jejak.core import retention
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
    # PostgreSQL: the oldest days' partitions past retention two hours on go too (one
    # when the two hours cross Jakarta's midnight, none otherwise).
    existing = partitions.existing() if partitions.active() else []
    gone = sum(1 for day in existing if day.hi <= checkin_retention.cutoff(later))
    monkeypatch.setattr(timezone, "now", lambda: later)

    out, err = io.StringIO(), io.StringIO()
    call_command("run_periodic", "--once", stdout=out, stderr=err)

    lines = out.getvalue().splitlines()
    # A line per class of personal data, every one of them (core/retention.py).
    purged = [line for line in lines if line.startswith("retention ")]
    # PostgreSQL: the check-ins' days ahead (created=1 if the two hours cross midnight).
    days = [line for line in lines if line.startswith("checkin-partitions: created=")]
    assert len(days) == (1 if partitions.active() else 0)
    assert lines[: 3 + len(days) + len(purged)] == [
        "auto-checkout: checked_out=1",
        "black-alerts: alerts=0 recipients=0",
        "send-due: sent=1 failed=0",
        *days,
        *purged,
    ]
    # Then the steps of the apps above (EXTRA_STEPS), e.g. zones (zones/apps.py): no
    # kecamatan has a population here.
    rest = lines[3 + len(days) + len(purged) :]
    assert "zones: districts=0 cases=0 unplaced=0 elsewhere=0" in rest
    assert [line.split(":")[0] for line in purged] == [
        f"retention {item.name}" for item in retention.classes()
    ]
    days_dropped = f" days={gone}" if gone else ""
    assert f"retention checkins: checkins=1 requests=1{days_dropped}" in purged
    assert "retention messages: messages=0" in purged
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
    # PostgreSQL's partition step (the test above) aside.
    lines = [x for x in out.getvalue().splitlines() if not x.startswith("checkin-partitions:")]
    purged = [
        f"retention {name}: " + " ".join(f"{key}=0" for key in counts)
        for name, counts in _nothing_to_purge().items()
    ]
    assert lines[: 2 + len(purged)] == [
        "auto-checkout: checked_out=0",
        "black-alerts: alerts=0 recipients=0",
        *purged,
    ]
    assert "zones: districts=0 cases=0 unplaced=0 elsewhere=0" in lines[2 + len(purged) :]


def _nothing_to_purge():
    now = timezone.now()
    return {item.name: item.purge(now=now, dry_run=True) for item in retention.classes()}


def test_a_failing_purge_does_not_stop_the_other_classes(db, monkeypatch):
    def broken(*, now, dry_run):
        raise RuntimeError("disk full")

    monkeypatch.setattr(
        retention,
        "_REGISTERED",
        {"first": retention.RetentionClass("first", "JEJAK_CHECKIN_RETENTION_DAYS", broken)}
        | retention._REGISTERED,
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("run_periodic", "--once", stdout=out, stderr=err)
    assert err.getvalue().strip() == "retention first: error"
    assert "retention checkins: checkins=0 requests=0" in out.getvalue().splitlines()


def test_retention_runs_at_most_once_per_period(db):
    plan = periodic.steps(retention_every=3600)
    purges = {f"retention {item.name}" for item in retention.classes()}
    extra = {name for name, _run, _every in periodic.EXTRA_STEPS}
    days = {"checkin-partitions"} if partitions.active() else set()
    assert set(periodic.run_round(plan)) == {
        "auto-checkout",
        "black-alerts",
        "send-due",
        *days,
        *purges,
        *extra,
    }
    assert "zones" in extra
    again = set(periodic.run_round(plan))
    assert {"auto-checkout", "black-alerts", "send-due"} <= again
    assert not again & (purges | days)
    assert "zones" not in again
    (checkins,) = [step for step in plan if step.name == "retention checkins"]
    checkins.last_run = timezone.now() - dt.timedelta(hours=1, seconds=1)
    assert "retention checkins" in periodic.run_round(plan)


def test_each_step_is_also_a_task(db):
    assert tasks.purge_expired_checkins.enqueue().return_value == {"checkins": 0, "requests": 0}
    assert alerts.sweep_black_alerts.enqueue().return_value == {"alerts": 0, "recipients": 0}
    from jejak.notifications import tasks as notification_tasks

    assert notification_tasks.send_due.enqueue().return_value == {"sent": 0, "failed": 0}
