"""`jejak breach`: record, select, list, notify from the shell, as the system."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jejak.breaches.models import Breach, BreachStatus
from jejak.breaches.notices import breach_ref
from jejak.breaches.tests.factories import checkin, visitor
from jejak.notifications.models import Message
from jejak.venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("breach", *args, stdout=out)
    return out.getvalue()


def test_record_select_notify_list(city):
    mall = VenueFactory(short_code="MAL-SATU", region=city.children.first())
    checkin(visitor(full_name="Ani"), mall, timezone.now() - dt.timedelta(days=1))
    found = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    printed = run(
        "record",
        "--title", "Log terbuka",
        "--description", "Log akses terbuka ke publik.",
        "--discovered", found,
        "--classes", "audit_ip,checkin_history",
    )  # fmt: skip
    b = Breach.objects.get()
    assert printed.startswith(f"{b.public_id}: deadline ")
    assert b.recorded_by is None and b.data_classes == ["checkin_history", "audit_ip"]

    assert "1 people on 1 accounts" in run("select", b.public_id, "--venues", "mal-satu")
    assert "would notify 1 people" in run("notify", b.public_id, "--dry-run")
    assert "1 of 1 in all" in run("notify", b.public_id)
    assert Message.objects.filter(ref=breach_ref(b)).count() == 2  # SMS and in-app
    b.refresh_from_db()
    assert b.status == BreachStatus.NOTIFIED

    listed = json.loads(run("list").strip())
    assert listed["id"] == b.public_id and listed["overdue"] is False
    assert listed["notified_subjects_at"]


def test_refusals_are_command_errors(city):
    with pytest.raises(CommandError, match="no_data_classes"):
        run("record", "--title", "x", "--description", "y", "--discovered", "2021-11-03 10:00",
            "--classes", "")  # fmt: skip
    with pytest.raises(CommandError, match="breach_not_found"):
        run("notify", "tidakada")
