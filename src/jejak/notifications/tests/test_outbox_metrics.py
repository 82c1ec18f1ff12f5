"""The outbox on /metrics: the backlog gauge is the queued rows, sends are counted by
result (docs/operations.md, "Metrics")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jejak.core import metrics
from jejak.core.tests.metrics_tools import TOKEN, scrape
from jejak.notifications import delivery, outbox
from jejak.notifications.models import Message, Status

pytestmark = pytest.mark.django_db

BACKLOG = "jejak_outbox_backlog_messages"


@pytest.fixture(autouse=True)
def _metrics_on(settings):
    settings.JEJAK_METRICS_TOKEN = TOKEN
    for source in metrics._sources.values():
        source.expires = 0.0


def hello(visitor, channels):
    return outbox.enqueue(
        template="hello", context={"name": "Budi"}, channels=channels, to_user=visitor
    )


def test_the_backlog_gauge_equals_the_queued_rows(visitor):
    queued = [*hello(visitor, ["sms", "inapp"]), *hello(visitor, ["sms"])]
    failed, sent = hello(visitor, ["sms"])[0], hello(visitor, ["email"])[0]
    Message.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    Message.objects.filter(pk=sent.pk).update(status=Status.SENT)
    # A message waiting an hour (its task lost) shows in the oldest due.
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    Message.objects.filter(pk=queued[0].pk).update(next_attempt_at=hour_ago)

    scraped = scrape()

    for channel in ("sms", "email", "inapp"):
        for status in ("pending", "failed", "sending"):
            rows = Message.objects.filter(channel=channel, status=status).count()
            assert scraped.value(BACKLOG, channel=channel, status=status) == rows
    assert scraped.value(BACKLOG, channel="sms", status="pending") == 2
    assert scraped.value(BACKLOG, channel="sms", status="failed") == 1
    assert scraped.value(BACKLOG, channel="email") == 0  # sent is not backlog
    assert 3600 <= scraped.value("jejak_outbox_oldest_due_seconds", channel="sms") < 3700
    assert scraped.value("jejak_outbox_oldest_due_seconds", channel="email") == 0


def _failing(message):
    raise ConnectionError("gateway down")


def test_sends_are_counted_by_channel_and_result(visitor, settings, monkeypatch):
    settings.JEJAK_NOTIFY_MAX_ATTEMPTS = 2
    before = scrape()
    hello(visitor, ["inapp"])
    monkeypatch.setitem(delivery.SENDERS, "sms", _failing)
    [message] = hello(visitor, ["sms"])
    now = timezone.now()
    delivery.send_due(now=now)  # in-app sent, SMS failed
    message.refresh_from_db()
    delivery.send_due(now=message.next_attempt_at)  # SMS given up
    after = scrape()

    def sends(channel, result):
        name = "jejak_outbox_sends_total"
        return after.value(name, channel=channel, result=result) - before.value(
            name, channel=channel, result=result
        )

    assert sends("inapp", "sent") == 1
    assert (sends("sms", "failed"), sends("sms", "gave_up"), sends("sms", "sent")) == (1, 1, 0)
