"""Building a queued export: the background task's body (tasks.build_export)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from jejak.core.crypto import encrypt
from jejak.rights import export
from jejak.rights.models import ExportFormat, ExportRequest, ExportStatus
from jejak.rights.pdf import render_pdf

logger = logging.getLogger(__name__)


def content_aad(request: ExportRequest) -> bytes:
    # Bound to its row: content copied onto another account's request does not decrypt.
    return b"rights.export:" + request.public_id.encode("ascii")


def as_json_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


def run_export(public_id: str) -> str:
    """Build one queued export (the task's body); returns its final status."""
    request = ExportRequest.objects.select_related("account").filter(public_id=public_id).first()
    if request is None or request.status not in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        return request.status if request is not None else "missing"
    ExportRequest.objects.filter(pk=request.pk).update(status=ExportStatus.RUNNING, progress=1)

    def progress(percent: int) -> None:
        # Outside any transaction: each update is seen by the owner's polling at once.
        ExportRequest.objects.filter(pk=request.pk).update(progress=min(percent, 99))

    try:
        document = export.build(request.account, progress=progress)
        body = (
            as_json_bytes(document) if request.format == ExportFormat.JSON else render_pdf(document)
        )
    except Exception:
        # Deliberately broad: the owner must see "failed" and may ask again.
        logger.exception("export %s failed", public_id)
        ExportRequest.objects.filter(pk=request.pk).update(
            status=ExportStatus.FAILED, finished_at=timezone.now()
        )
        return ExportStatus.FAILED
    now = timezone.now()
    request.content = encrypt(body, aad=content_aad(request))
    request.size = len(body)
    request.status = ExportStatus.READY
    request.progress = 100
    request.finished_at = now
    request.expires_at = now + dt.timedelta(hours=settings.JEJAK_EXPORT_LINK_HOURS)
    request.save(
        update_fields=["content", "size", "status", "progress", "finished_at", "expires_at"]
    )
    return ExportStatus.READY
