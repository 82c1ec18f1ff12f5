"""Black-status refusals reach the venue's staff and the home region's health officers
through the outbox; staff learn the colour, where and when, never who."""

from __future__ import annotations

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.checkins import alerts
from jejak.checkins.models import BlackStatusAlert
from jejak.core.phone import mask_phone, phone_index, seal_phone
from jejak.notifications import outbox
from jejak.notifications.models import Message, Status
from jejak.notifications.sms import read_messages
from jejak.people.models import Person


def test_alert_messages_go_to_staff_and_officers_without_naming_the_person(
    make_visitor,
    check_in,
    hotel,
    make_user,
    city,
    other_city,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.JEJAK_SMS_BACKEND = "file"
    settings.JEJAK_SMS_DIR = tmp_path
    staff = make_user(Role.VENUE_STAFF, venues=[hotel], phone="0812-1111-2222")
    manager = make_user(Role.VENUE_MANAGER, venues=[hotel])
    officer = make_user(Role.HEALTH_OFFICER, region=city)
    index = phone_index("+6281233334444")
    officer.phone_index, officer.phone_encrypted = index, seal_phone("+6281233334444", index=index)
    officer.phone_masked = mask_phone("+6281233334444")
    officer.save()
    elsewhere = make_user(Role.HEALTH_OFFICER, region=other_city)
    visitor = make_visitor("hitam", full_name="Budi Santoso")
    person = Person.objects.get(account=visitor)
    check_in(visitor)
    with django_capture_on_commit_callbacks(execute=True):
        alerts.notify_unnotified_alerts(older_than=0)
    alert = BlackStatusAlert.objects.get()
    ref = alerts.black_alert_ref(alert)
    sent = {(m.to_user_id, m.channel): m for m in outbox.messages_for(ref)}
    assert set(sent) == {
        (staff.pk, "inapp"),
        (staff.pk, "sms"),
        (manager.pk, "inapp"),
        (officer.pk, "inapp"),
        (officer.pk, "sms"),
    }
    assert {m.status for m in sent.values()} == {Status.SENT}
    assert not Message.objects.filter(to_user=elsewhere).exists()

    for user in (staff, manager):
        for channel in ("inapp", "sms"):
            message = sent.get((user.pk, channel))
            if message is None:
                continue
            text = message.subject + message.body
            assert "Hotel Cisadane" in text and "Pintu Utara" in text and "hitam" in text
            assert "area tunggu" in text
            assert person.nik_masked not in text and person.nik_masked[-4:] not in text
            assert "Budi" not in text
    officer_text = sent[(officer.pk, "inapp")].body
    assert person.nik_masked in officer_text and "Budi" not in officer_text

    texts = {m.to: m.text for m in read_messages(tmp_path)}
    assert set(texts) == {"+6281211112222", "+6281233334444"}
    assert person.nik_masked not in texts["+6281211112222"]
    # The audit trail is kept, last after the refusal.
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["checkins.black_status_refused", "checkins.black_status_alert_sent"]


def test_a_retried_task_does_not_alert_twice(make_visitor, check_in, hotel, make_user):
    make_user(Role.VENUE_STAFF, venues=[hotel])
    check_in(make_visitor("hitam"))
    alert = BlackStatusAlert.objects.get()
    assert alerts.notify_black_status.call(alert_ids=[alert.pk]) == 1
    before = Message.objects.count()
    assert before == 1
    assert alerts.notify_black_status.call(alert_ids=[alert.pk]) == 0
    assert Message.objects.count() == before
