"""The signed-in user's in-app messages: GET /api/v1/me/notifications and
POST /api/v1/me/notifications/{id}/read. Only the caller's own messages are reachable;
another user's id answers 404, as if it did not exist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from jejak.core.api_errors import ApiError, ErrorOut
from jejak.notifications import outbox, reads, rendering
from jejak.notifications.models import Message

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    subject: str
    body: str
    ref: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationsOut(Schema):
    unread: int
    notifications: list[NotificationOut]


class ListFilter(Schema):
    limit: int = 50
    before: int | None = None  # an id: the next page continues below it
    unread_only: bool = False


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "subject": message.subject,
        "body": message.body,
        "ref": message.ref,
        "created_at": message.created_at,
        "read_at": message.read_at,
    }


@router.get("/me/notifications", response=NotificationsOut)
def list_notifications(request: HttpRequest, filters: Query[ListFilter]) -> dict[str, Any]:
    """The caller's in-app messages, newest first."""
    rows = outbox.inbox(request.user)
    if filters.before is not None and filters.before <= outbox.MAX_ID:
        rows = rows.filter(pk__lt=filters.before)
    if filters.unread_only:
        rows = rows.filter(read_at__isnull=True)
    limit = max(1, min(filters.limit, 100))
    # A message queued in bulk is rendered when first read (rendering.py).
    shown = rendering.fill(rows[:limit])
    # An officer's alert about someone else is an audited read (notifications/reads.py).
    reads.audit_shown(request.user, shown, action="notifications.inbox_read", ip=_ip(request))
    return {
        "unread": outbox.unread_count(request.user),
        "notifications": [_out(m) for m in shown],
    }


@router.post("/me/notifications/{message_id}/read", response={200: NotificationOut, 404: ErrorOut})
def read_notification(request: HttpRequest, message_id: int) -> dict[str, Any]:
    """Mark one of the caller's messages read (idempotent)."""
    message = outbox.mark_read(request.user, message_id)
    if message is None:
        raise ApiError(404, "notification_not_found", _("Notifikasi tidak ditemukan."))
    reads.audit_shown(request.user, [message], action="notifications.message_read", ip=_ip(request))
    return _out(message)
