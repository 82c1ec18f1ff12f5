"""The outbox: rendering, encrypted addresses, inline sending, retries with backoff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from jejak.core.phone import PhoneInvalid
from jejak.notifications import addresses, delivery, outbox
from jejak.notifications.models import Message, Status
from jejak.notifications.sms import read_messages
from jejak.notifications.tests.conftest import give_phone
from jejak.screening.tests.factories import make_person

PHONE = "+6281234567890"


def hello(**kwargs):
    kwargs.setdefault("template", "hello")
    kwargs.setdefault("context", {"name": "Budi & Siti"})
    kwargs.setdefault("channels", ["inapp"])
    return outbox.enqueue(**kwargs)


def test_enqueue_renders_each_language(visitor):
    [indonesian] = hello(to_user=visitor)
    [english] = hello(to_user=visitor, language="en")
    assert indonesian.body == "[id] Keluar, Budi & Siti"
    assert english.body == "[en] Sign out, Budi & Siti"
    # The subject is one line, and plain text is never HTML-escaped.
    assert (indonesian.subject, english.subject) == (
        "Status saya Budi & Siti",
        "My status Budi & Siti",
    )
    assert indonesian.language == "id" and english.language == "en"


def test_without_a_language_a_message_reads_in_the_recipients(visitor):
    # Sent later, with no request to say: the language the visitor last used.
    visitor.language = "en"
    visitor.save(update_fields=["language"])
    [message] = hello(to_user=visitor)
    assert (message.language, message.body) == ("en", "[en] Sign out, Budi & Siti")
    [chosen] = hello(to_user=visitor, language="id")
    assert chosen.language == "id"


def test_enqueue_writes_one_row_per_channel_with_the_address_encrypted(visitor):
    rows = hello(to_user=visitor, channels=["sms", "email", "inapp"], ref="tracing.case:12")
    assert [m.channel for m in rows] == ["sms", "email", "inapp"]
    sms, email, inapp = (Message.objects.get(pk=m.pk) for m in rows)
    assert sms.address_masked == sms.recipient_masked == "+62812****7890"
    assert PHONE.encode() not in bytes(sms.address_encrypted)
    assert addresses.open_address(sms) == PHONE
    assert email.address_masked == "b***@example.org"
    assert inapp.address_encrypted is None and inapp.address_masked == ""
    assert {m.status for m in rows} == {Status.PENDING}
    assert list(outbox.messages_for("tracing.case:12").order_by("id")) == [sms, email, inapp]
    assert sms.get_status_display() == "Menunggu dikirim"


def test_a_channel_without_an_address_is_skipped(make_visitor):
    no_phone = make_visitor()
    assert [m.channel for m in hello(to_user=no_phone, channels=["sms", "inapp"])] == ["inapp"]
    assert hello(to_phone=PHONE, channels=["inapp"]) == []


def test_a_persons_messages_reach_the_phone_of_the_account_holding_them(visitor):
    child = make_person(visitor, relation="child", full_name="Rafi", serial=7)
    sms, inapp = hello(to_person=child, channels=["sms", "inapp"])
    assert addresses.open_address(sms) == PHONE
    assert inapp.recipient_masked == child.nik_masked


def test_staff_contact_number_is_used_for_sms(make_user):
    officer = make_user("health_officer", phone="0812-1111-2222")
    [sms] = hello(to_user=officer, channels=["sms"])
    assert addresses.open_address(sms) == "+6281211112222"


def test_bad_input_is_refused(visitor):
    with pytest.raises(ValueError, match="unknown channels"):
        hello(to_user=visitor, channels=["pigeon"])
    with pytest.raises(ValueError, match="recipient"):
        hello(channels=["sms"])
    with pytest.raises(PhoneInvalid):
        hello(to_phone="12345", channels=["sms"])
    assert not Message.objects.exists()


def test_messages_are_sent_inline_after_commit(
    visitor, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = hello(to_user=visitor, channels=["sms", "email", "inapp"])
        # Nothing leaves before the caller's transaction commits.
        assert read_messages(settings.JEJAK_SMS_DIR) == [] and mail.outbox == []
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}
    assert all(m.sent_at is not None and m.attempts == 1 for m in Message.objects.all())
    [sms] = read_messages(settings.JEJAK_SMS_DIR)
    assert (sms.to, sms.text) == (PHONE, rows[0].body)
    [email] = mail.outbox
    assert email.to == ["budi@example.org"] and email.subject == rows[1].subject


def test_a_rolled_back_message_is_never_sent(visitor, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        hello(to_user=visitor, channels=["sms"])
    # The send waits for a commit; without one (callbacks not run) nothing leaves.
    assert len(callbacks) == 1
    assert read_messages(settings.JEJAK_SMS_DIR) == []


def failing(message):
    raise ConnectionError("gateway down")


def test_failures_are_retried_with_backoff_then_given_up(
    visitor, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.JEJAK_NOTIFY_MAX_ATTEMPTS = 4
    monkeypatch.setitem(delivery.SENDERS, "sms", failing)
    with django_capture_on_commit_callbacks(execute=True):
        [message] = hello(to_user=visitor, channels=["sms"])
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert message.last_error == "ConnectionError: gateway down"
    waits = []
    while message.status == Status.FAILED:
        due = message.next_attempt_at
        # A moment before it is due the message is left alone.
        assert delivery.send_due(now=due - dt.timedelta(seconds=1)) == {"sent": 0, "failed": 0}
        assert delivery.send_due(now=due) == {"sent": 0, "failed": 1}
        message.refresh_from_db()
        if message.status == Status.FAILED:
            waits.append(message.next_attempt_at - due)
    assert waits == [dt.timedelta(minutes=2), dt.timedelta(minutes=4)]
    assert (message.status, message.attempts) == (Status.GAVE_UP, 4)
    assert message.get_status_display() == "Gagal terkirim"
    # Given up is final for send_due; an operator's retry starts over.
    assert delivery.send_due(now=timezone.now() + dt.timedelta(days=1)) == {"sent": 0, "failed": 0}
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry([message.pk]) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)


def test_backoff_doubles_and_is_capped():
    minutes = [delivery.backoff(n).total_seconds() / 60 for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_send_due_picks_only_due_rows(visitor):
    due, later, given_up, sent, stuck = (hello(to_user=visitor)[0] for _ in range(5))
    now = timezone.now()
    Message.objects.filter(pk=later.pk).update(next_attempt_at=now + dt.timedelta(minutes=5))
    Message.objects.filter(pk=given_up.pk).update(status=Status.GAVE_UP)
    Message.objects.filter(pk=sent.pk).update(status=Status.SENT)
    # A sender died holding this one: it is due again once its lease is over.
    Message.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING, next_attempt_at=now - dt.timedelta(seconds=1)
    )
    assert delivery.send_due(now=now) == {"sent": 2, "failed": 0}
    statuses = dict(Message.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: Status.SENT,
        later.pk: Status.PENDING,
        given_up.pk: Status.GAVE_UP,
        sent.pk: Status.SENT,
        stuck.pk: Status.SENT,
    }


def test_a_message_being_sent_is_not_sent_twice(visitor):
    [message] = hello(to_user=visitor)
    assert delivery.send(message.pk) is True
    assert delivery.send(message.pk) is False
    message.refresh_from_db()
    assert message.attempts == 1


def test_sms_backend_failure_is_recorded(visitor, settings, django_capture_on_commit_callbacks):
    settings.JEJAK_SMS_BACKEND = "http"
    settings.JEJAK_SMS_HTTP_URL = "ftp://nowhere"
    with django_capture_on_commit_callbacks(execute=True):
        [message] = hello(to_user=give_phone(visitor, PHONE), channels=["sms"])
    message.refresh_from_db()
    assert message.status == Status.FAILED and "ImproperlyConfigured" in message.last_error


def test_an_error_quoting_the_address_is_stored_masked(visitor, monkeypatch):
    def refusing(message):
        raise RuntimeError(f"recipient {addresses.open_address(message)} refused")

    monkeypatch.setitem(delivery.SENDERS, "email", refusing)
    [message] = hello(to_user=visitor, channels=["email"])
    assert delivery.send(message.pk) is False
    message.refresh_from_db()
    assert message.last_error == "RuntimeError: recipient b***@example.org refused"


def test_finished_messages_are_purged_after_retention_and_due_ones_kept(visitor, settings):
    settings.JEJAK_MESSAGE_RETENTION_DAYS = 31
    person = make_person(visitor, relation="child", full_name="Rafi", serial=8)
    now = timezone.now()

    def message(status, days_old):
        made = Message.objects.create(
            to_person=person, channel="inapp", template="t", body="b", status=status
        )
        Message.objects.filter(pk=made.pk).update(created_at=now - dt.timedelta(days=days_old))
        return made.pk

    old_sent, old_gave_up = message(Status.SENT, 40), message(Status.GAVE_UP, 40)
    old_due, recent = message(Status.FAILED, 40), message(Status.SENT, 5)
    assert delivery.purge_finished(now=now) == {"messages": 2}
    left = set(Message.objects.values_list("pk", flat=True))
    assert left == {old_due, recent} and not {old_sent, old_gave_up} & left


def test_enqueue_many_writes_what_enqueue_writes(visitor, settings):
    # enqueue_many writes with COPY on PostgreSQL, enqueue with the ORM: the same rows,
    # field by field (the encrypted address opens, the language, ref and times kept).
    give_phone(visitor, PHONE)
    visitor.language = "en"
    visitor.save(update_fields=["language"])
    item = {
        "template": "hello",
        "context": {"name": "Budi & Siti"},
        "channels": ["sms", "email", "inapp"],
        "to_user": visitor,
        "ref": "tracing.case:12",
    }
    one = outbox.enqueue(**item)
    assert outbox.enqueue_many([item, item], batch_size=4) == 6
    stored = list(Message.objects.filter(to_user=visitor).order_by("pk"))
    assert len(stored) == 9
    fields = [f.attname for f in Message._meta.concrete_fields if not f.primary_key]
    changing = {"address_encrypted", "created_at", "next_attempt_at"}  # a fresh nonce, the clock

    def same(m: Message) -> dict[str, object]:
        return {name: getattr(m, name) for name in fields if name not in changing}

    for i, row in enumerate(stored[3:]):
        assert same(row) == same(Message.objects.get(pk=one[i % 3].pk))
        assert row.created_at >= one[0].created_at
        assert addresses.open_address(row) == addresses.open_address(stored[i % 3])
    assert [m.channel for m in stored[3:]] == ["sms", "email", "inapp"] * 2
