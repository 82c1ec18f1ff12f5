"""The outbox in Django admin: read-only, masked addresses, audited reads, retry action."""

from __future__ import annotations

from django.test import Client

from jejak.audit.models import AuditEvent
from jejak.notifications import outbox
from jejak.notifications.models import Message, Status


def test_admin_lists_masked_addresses_and_audits_opening_a_message(
    issuer, visitor, django_capture_on_commit_callbacks
):
    [sms] = outbox.enqueue(
        template="hello", context={"name": "Budi"}, channels=["sms"], to_user=visitor, ref="x:1"
    )
    Message.objects.filter(pk=sms.pk).update(status=Status.GAVE_UP, attempts=6)
    client = Client()
    client.force_login(issuer)
    listing = client.get("/admin/notifications/message/").content.decode()
    assert "+62812****7890" in listing and "+6281234567890" not in listing
    page = client.get(f"/admin/notifications/message/{sms.pk}/change/")
    assert page.status_code == 200 and "+6281234567890" not in page.content.decode()
    assert AuditEvent.objects.filter(action="notifications.admin_view", object_id=str(sms.pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/notifications/message/",
            {"action": "retry_now", "_selected_action": [sms.pk]},
        )
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (Status.SENT, 1)
