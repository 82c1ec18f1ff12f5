"""Finished messages go through the registry as `jejak run-periodic` runs them; a dry
run counts them and deletes nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jejak.core.tests.retention_tools import purge
from jejak.notifications.models import Message, Status
from jejak.screening.tests.factories import make_person


def test_finished_messages_past_their_period_go(visitor, settings):
    settings.JEJAK_MESSAGE_RETENTION_DAYS = 31
    person = make_person(visitor, full_name="Rafi", serial=9)
    now = timezone.now()

    def message(status, days_old):
        made = Message.objects.create(
            to_person=person, channel="inapp", template="t", body="b", status=status
        )
        Message.objects.filter(pk=made.pk).update(created_at=now - dt.timedelta(days=days_old))
        return made.pk

    old, recent = message(Status.SENT, 32), message(Status.SENT, 30)
    # Held: a message still due is kept whatever its age.
    due = message(Status.PENDING, 90)

    assert purge("messages", now=now, dry_run=True) == {"messages": 1}
    assert Message.objects.filter(pk=old).exists()
    assert purge("messages", now=now) == {"messages": 1}
    assert set(Message.objects.values_list("pk", flat=True)) == {recent, due}
