"""Send rate per gateway (JEJAK_NOTIFY_RATES): a gateway at its rate defers, never fails.

The windows are counted by the `limits` package against a fake clock (its memory
storage's and ours), so waiting for a window costs no real time."""

from __future__ import annotations

import datetime as dt
import io
import logging

import limits.storage.memory
import pytest
from django.core.management import call_command
from django.utils import timezone

from jejak.notifications import checks, delivery, outbox, rates
from jejak.notifications.models import Message, Status
from jejak.notifications.sms import read_messages

PHONE = "+6281234567890"


class FakeClock(rates.Clock):
    """Time that moves only when told to, or when send_due waits for a window."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.stop_after: int | None = None  # pauses granted before a stop is "requested"

    def time(self) -> float:
        return self.now

    def pause(self, seconds: float) -> bool:
        if self.stop_after is not None:
            if self.stop_after == 0:
                return False
            self.stop_after -= 1
        self.now += seconds
        return True


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(rates, "clock", fake)
    # The library's memory storage reads time.time() through its module's `time`.
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    rates.reset()
    return fake


@pytest.fixture
def five_sms_a_second(settings, clock):
    settings.JEJAK_NOTIFY_RATES = "sms=5/s"
    return clock


@pytest.fixture
def sent_at(monkeypatch, clock):
    """Records the (fake) time of each SMS handed to the gateway."""
    times: list[float] = []
    monkeypatch.setitem(delivery.SENDERS, "sms", lambda message: times.append(clock.now))
    return times


def queue(visitor, n, channels=("sms",)):
    return [m for _ in range(n) for m in outbox.enqueue(
        template="hello", context={"name": "Budi"}, channels=list(channels), to_user=visitor
    )]  # fmt: skip


def test_one_round_sends_the_rate_and_leaves_the_rest_due(visitor, settings, five_sms_a_second):
    queue(visitor, 20, channels=["sms", "inapp"])
    assert delivery.send_due(drain_seconds=0) == {"sent": 25, "failed": 0}
    assert len(read_messages(settings.JEJAK_SMS_DIR)) == 5
    sms = Message.objects.filter(channel="sms")
    assert sms.filter(status=Status.SENT).count() == 5
    # Not failed, not counted as an attempt: simply still due.
    left = sms.exclude(status=Status.SENT)
    assert {(m.status, m.attempts, m.last_error) for m in left} == {(Status.PENDING, 0, "")}
    assert left.count() == 15
    # In-app messages did not wait behind the SMS gateway.
    assert set(Message.objects.filter(channel="inapp").values_list("status", flat=True)) == {
        Status.SENT
    }


def test_the_rest_goes_as_the_window_opens(visitor, five_sms_a_second, sent_at):
    queue(visitor, 20)
    started = five_sms_a_second.now
    assert delivery.send_due() == {"sent": 20, "failed": 0}
    # Four windows of five, waited for on the fake clock only.
    assert [t - started for t in sent_at[::5]] == pytest.approx([0, 1, 2, 3], abs=0.1)
    assert all(sum(1 for u in sent_at if t <= u < t + 1) <= 5 for t in sent_at)
    assert not Message.objects.exclude(status=Status.SENT).exists()


def test_waiting_stops_at_the_drain_budget_and_on_a_stop(visitor, five_sms_a_second, sent_at):
    queue(visitor, 20)
    # 5 now, 5 a second later; the third window would open past 1.5 s.
    assert delivery.send_due(drain_seconds=1.5) == {"sent": 10, "failed": 0}
    five_sms_a_second.now += 1.5
    five_sms_a_second.stop_after = 0  # SIGTERM: no more waiting
    assert delivery.send_due() == {"sent": 5, "failed": 0}
    assert Message.objects.filter(status=Status.PENDING, attempts=0).count() == 5


def test_the_per_message_task_defers_without_failing(
    visitor, settings, five_sms_a_second, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = queue(visitor, 8)
    # Sent inline after commit, one send_message task each: five went, three wait.
    assert len(read_messages(settings.JEJAK_SMS_DIR)) == 5
    waiting = Message.objects.filter(status=Status.PENDING)
    assert {(m.pk, m.attempts, m.next_attempt_at) for m in waiting} == {
        (m.pk, 0, m.next_attempt_at) for m in rows[5:]
    }
    assert delivery.send(rows[5].pk) is False
    five_sms_a_second.now += 1.5
    assert delivery.send(rows[5].pk) is True
    assert Message.objects.get(pk=rows[5].pk).attempts == 1


def test_a_window_taken_by_another_process_is_not_a_failure(
    visitor, monkeypatch, five_sms_a_second, sent_at
):
    rows = queue(visitor, 4)
    # A retry of a failed message, due after the three new ones.
    retry_at = timezone.now()
    Message.objects.filter(pk=rows[3].pk).update(
        status=Status.FAILED, attempts=2, last_error="Timeout", next_attempt_at=retry_at
    )
    gateways = rates.gateways()
    real_acquire = gateways.acquire
    granted = iter([True, False])  # another sender fills the window after our first

    def racing(channel):
        return real_acquire(channel) and next(granted, False)

    monkeypatch.setattr(gateways, "acquire", racing)
    assert delivery.send_due(drain_seconds=0) == {"sent": 1, "failed": 0}
    assert Message.objects.get(pk=rows[0].pk).status == Status.SENT
    # Claimed, then put back exactly as they were: no attempt counted, nothing failed.
    left = Message.objects.filter(pk__in=[m.pk for m in rows[1:]]).order_by("pk")
    assert [(m.status, m.attempts, m.last_error) for m in left] == [
        (Status.PENDING, 0, ""),
        (Status.PENDING, 0, ""),
        (Status.FAILED, 2, "Timeout"),
    ]
    assert left[2].next_attempt_at == retry_at


def test_each_gateway_has_its_own_window(visitor, settings, clock, sent_at):
    settings.JEJAK_NOTIFY_RATES = "sms=2/s,email=3/m"
    queue(visitor, 4, channels=["sms", "email", "inapp"])
    # visitor has a phone and an e-mail address (conftest): 4 of each channel.
    assert delivery.send_due(drain_seconds=0) == {"sent": 2 + 3 + 4, "failed": 0}
    clock.now += 1.5
    assert delivery.send_due(drain_seconds=0) == {"sent": 2, "failed": 0}
    clock.now += 60
    assert delivery.send_due(drain_seconds=0) == {"sent": 1, "failed": 0}
    assert not Message.objects.exclude(status=Status.SENT).exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {"sms": "50/s", "email": "20/s", "inapp": None}),
        ("sms=10/s", {"sms": "10/s", "email": "20/s", "inapp": None}),
        (" SMS = 600 / m , email=5/sec,inapp=unlimited ,", {"sms": "600/m", "email": "5/s"}),
        ("email=unlimited,inapp=100/minute", {"email": None, "inapp": "100/m"}),
        ("sms=1/second", {"sms": "1/s"}),
    ],
)
def test_the_setting_accepts(text, expected):
    parsed = rates.parse_rates(text)
    assert {c: (str(parsed[c]) if parsed[c] else None) for c in expected} == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("sms", "'sms' is not channel=rate"),
        ("pigeon=5/s", "unknown channel 'pigeon'"),
        ("sms=5/h", "'5/h' is not a rate"),
        ("sms=fast", "'fast' is not a rate"),
        ("sms=0/s", "at least 1"),
        ("sms=-1/s", "is not a rate"),
        ("sms=5/s,sms=6/s", "sms is given twice"),
    ],
)
def test_the_setting_refuses(text, reason):
    with pytest.raises(ValueError, match=reason):
        rates.parse_rates(text)


def test_the_check_flags_a_bad_value(settings):
    settings.JEJAK_NOTIFY_RATES = "sms=50/s,email=lots"
    [error] = checks.notify_rates_valid(None)
    assert error.id == "jejak.notifications.E003"
    assert "'lots' is not a rate such as 50/s or 600/m" in error.msg
    settings.JEJAK_NOTIFY_RATES = "sms=50/s,email=600/m"
    assert checks.notify_rates_valid(None) == []


def test_outbox_status_shows_backlog_and_rate(visitor, settings, five_sms_a_second):
    settings.JEJAK_NOTIFY_RATES = "sms=5/s,email=600/m"
    rows = queue(visitor, 3, channels=["sms"])
    Message.objects.filter(pk=rows[0].pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=4, seconds=10)
    )
    out = io.StringIO()
    call_command("outbox_status", stdout=out)
    lines = [line.split() for line in out.getvalue().splitlines()]
    assert lines[1][:3] == ["sms", "5/s", "3"] and lines[1][3].startswith("4m1")
    assert lines[2] == ["email", "600/m", "0", "-"]
    assert lines[3] == ["inapp", "unlimited", "0", "-"]
    assert lines[4] == ["rates", "counted", "per", "process", "(no", "REDIS_URL)"]


def test_redis_shares_the_window_between_processes_and_an_outage_falls_back(
    settings, tmp_path, caplog
):
    from jejak.core.tests.faults import RedisServer

    settings.JEJAK_NOTIFY_RATES = "sms=5/m"
    server = RedisServer(tmp_path)
    server.start()
    try:
        # Two processes' budgets: one Redis window.
        worker, runner = rates.Gateways(server.url), rates.Gateways(server.url)
        assert [worker.acquire("sms") for _ in range(3)] == [True] * 3
        assert runner.room("sms") == 2
        assert [runner.acquire("sms") for _ in range(3)] == [True, True, False]
        assert worker.acquire("sms") is False and worker.opens_in("sms") > 0
        assert worker.acquire("email") is True  # another gateway's window
        server.stop()
        # Redis down: each process counts in its own memory, and says so.
        with caplog.at_level(logging.WARNING, logger="jejak.notifications.rates"):
            assert worker.acquire("sms") is True
        assert "counted per process" in caplog.text
        assert worker.room("sms") == 4
    finally:
        server.stop()
