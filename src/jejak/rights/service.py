"""Exports of a citizen's data: asked for, built (at once for a small JSON, else by a
background task with its progress), downloaded until the link expires, then purged.
Every request and every download is audited as the owner's own action."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jejak.audit import service as audit
from jejak.core import retention
from jejak.core.crypto import decrypt
from jejak.rights import export
from jejak.rights.build import content_aad
from jejak.rights.errors import ExportError, Reason
from jejak.rights.models import ExportFormat, ExportRequest, ExportStatus
from jejak.rights.tasks import build_export

if TYPE_CHECKING:
    from jejak.accounts.models import User

logger = logging.getLogger(__name__)

EXPORT_SETTING = "JEJAK_EXPORT_LINK_HOURS"
# An expired export's row (not its content) stays this long, so that its old link
# answers "expired" rather than "not found" and the owner sees what they asked for.
KEEP_EXPIRED_ROWS = dt.timedelta(days=30)
# A build that has not finished in this long is taken for lost (a worker died).
LOST_AFTER = dt.timedelta(hours=6)

CONTENT_TYPES = {ExportFormat.JSON: "application/json", ExportFormat.PDF: "application/pdf"}


def inline(account: User) -> bool:
    """A JSON export small enough to answer within the request."""
    return export.count_rows(account) <= settings.JEJAK_EXPORT_INLINE_ROWS


def export_now(*, account: User, ip: str | None = None) -> dict[str, Any]:
    """The JSON document, built within the request (a small history), audited as asked
    for and handed over."""
    document = export.build(account)
    audit.record(actor=account, action="rights.export_requested", ip=ip, format="json", inline=True)
    audit.record(
        actor=account, action="rights.export_downloaded", ip=ip, format="json", inline=True
    )
    return document


def request_export(*, account: User, fmt: str, ip: str | None = None) -> ExportRequest:
    """Queue an export built by the background task (tasks.build_export)."""
    with transaction.atomic():
        request = ExportRequest.objects.create(
            account=account, format=ExportFormat(fmt), rows=export.count_rows(account)
        )
        audit.record(
            actor=account,
            action="rights.export_requested",
            obj=request,
            ip=ip,
            format=request.format,
            rows=request.rows,
        )
        public_id = request.public_id
        transaction.on_commit(lambda: build_export.enqueue(public_id=public_id))
    return request


def pending_export(*, account: User, fmt: str) -> ExportRequest | None:
    """A request of this format still being built: asking again reuses it."""
    return (
        ExportRequest.objects.filter(
            account=account,
            format=fmt,
            status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING],
            created_at__gte=timezone.now() - LOST_AFTER,
        )
        .order_by("-created_at")
        .first()
    )


def exports_of(account: User) -> list[ExportRequest]:
    """The account's exports, newest first (without their content)."""
    return list(ExportRequest.objects.filter(account=account).defer("content")[:20])


def get_export(*, account: User, public_id: str) -> ExportRequest:
    """One of the account's exports; another account's is not found, as if it did not exist."""
    found = ExportRequest.objects.filter(account=account, public_id=public_id).defer("content")
    request = found.first()
    if request is None:
        raise ExportError(Reason.NOT_FOUND)
    return request


def expired(request: ExportRequest, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return request.status == ExportStatus.EXPIRED or (
        request.expires_at is not None and request.expires_at <= now
    )


@dataclass(frozen=True)
class Download:
    body: bytes
    content_type: str
    filename: str


def download(*, account: User, public_id: str, ip: str | None = None) -> Download:
    """The built export, decrypted, audited as downloaded."""
    request = ExportRequest.objects.filter(account=account, public_id=public_id).first()
    if request is None:
        raise ExportError(Reason.NOT_FOUND)
    if expired(request):
        raise ExportError(Reason.EXPIRED)
    if request.status != ExportStatus.READY or request.content is None:
        raise ExportError(Reason.NOT_READY)
    body = decrypt(request.content, aad=content_aad(request))
    ExportRequest.objects.filter(pk=request.pk).update(downloaded_at=timezone.now())
    audit.record(
        actor=account, action="rights.export_downloaded", obj=request, ip=ip, format=request.format
    )
    stamp = timezone.localtime(request.finished_at or request.created_at).strftime("%Y%m%d-%H%M")
    return Download(
        body=body,
        content_type=CONTENT_TYPES[ExportFormat(request.format)],
        filename=f"jejak-data-saya-{stamp}.{request.format}",
    )


def purge_expired_exports(*, now: dt.datetime, dry_run: bool) -> dict[str, int]:
    """Drop the content of exports whose link expired (and of builds lost on the way);
    delete the rows KEEP_EXPIRED_ROWS later."""
    stale = ExportRequest.objects.exclude(status=ExportStatus.EXPIRED).filter(
        expires_at__lte=now
    ) | ExportRequest.objects.filter(
        status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.FAILED],
        created_at__lt=now - LOST_AFTER,
    )
    old = ExportRequest.objects.filter(created_at__lt=now - KEEP_EXPIRED_ROWS).filter(
        status=ExportStatus.EXPIRED
    )
    if dry_run:
        return {"exports_expired": stale.count(), "exports_deleted": old.count()}
    expired_count = stale.update(status=ExportStatus.EXPIRED, content=None, progress=0)
    deleted = retention.count_or_delete(old, dry_run=False, name="exports_deleted")
    counts = {"exports_expired": expired_count, "exports_deleted": deleted}
    hours = settings.JEJAK_EXPORT_LINK_HOURS
    retention.record_purge(
        "rights.exports_purged", before=now - dt.timedelta(hours=hours), days=0, counts=counts
    )
    return counts
