"""The citizen's data-subject rights under /api/v1/me/: a copy of their data
(`GET /me/export`, the background exports' status and download) and who read it
(`GET /me/reads`). Visitors only, each their own account's; docs/rights.md."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema, Status

from jejak.accounts.capabilities import signed_in_user
from jejak.accounts.models import User
from jejak.core.api_errors import ApiError, ErrorOut
from jejak.people.access import is_visitor
from jejak.people.errors import Reason as PeopleReason
from jejak.people.models import Person
from jejak.rights import reads, service
from jejak.rights.errors import ExportError
from jejak.rights.models import ExportFormat, ExportRequest, ExportStatus

router = Router(tags=["rights"])


class ExportOut(Schema):
    id: str
    format: str
    status: str  # queued, running, ready, failed, expired
    progress: int  # percent
    created_at: dt.datetime
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None
    download_url: str | None  # while ready and not expired


class ReadOut(Schema):
    person: str  # the person's public id
    person_name: str
    at: dt.datetime
    role: str
    organisation: str
    purpose: str
    purpose_code: str


class ReadsOut(Schema):
    total: int
    next_offset: int | None
    reads: list[ReadOut]


class ReadsFilter(Schema):
    person: str = ""  # a person's public id; blank: everyone of the account
    limit: int = 50
    offset: int = 0


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _visitor(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not is_visitor(user):
        reason = PeopleReason.VISITOR_ONLY
        raise ApiError(403, reason.value, str(reason.label))
    return user


def _refused(exc: ExportError) -> ApiError:
    return ApiError(exc.http_status, exc.code.value, exc.message)


def export_out(found: ExportRequest) -> dict[str, Any]:
    ready = found.status == ExportStatus.READY and not service.expired(found)
    return {
        "id": found.public_id,
        "format": found.format,
        "status": ExportStatus.EXPIRED if service.expired(found) else found.status,
        "progress": found.progress,
        "created_at": found.created_at,
        "finished_at": found.finished_at,
        "expires_at": found.expires_at,
        "download_url": reverse("api:rights_download", args=[found.public_id]) if ready else None,
    }


@router.get(
    "/me/export",
    response={200: dict[str, Any], 202: ExportOut, 403: ErrorOut},
    summary="A copy of everything Jejak holds about the caller's account",
)
def my_export(
    request: HttpRequest, format: Literal["json", "pdf"] = "json"
) -> dict[str, Any] | Status[dict[str, Any]]:
    """The account's data as the JSON document of docs/rights.md (`schema`
    `jejak.export/1`), answered at once for a small history. A PDF, or a history of more
    rows than `JEJAK_EXPORT_INLINE_ROWS`, is built in the background: the answer is 202
    with the export's status (poll `GET /me/exports/{id}`; asking again while it is being
    built returns the same export). Refusals: `visitor_only` 403."""
    user = _visitor(request)
    if format == ExportFormat.JSON and service.inline(user):
        return service.export_now(account=user, ip=_ip(request))
    found = service.pending_export(account=user, fmt=format) or service.request_export(
        account=user, fmt=format, ip=_ip(request)
    )
    found.refresh_from_db()
    return Status(202, export_out(found))


@router.get(
    "/me/exports/{export_id}",
    url_name="rights_status",
    response={200: ExportOut, frozenset({403, 404}): ErrorOut},
    summary="The status and progress of one of the caller's exports",
)
def export_status(request: HttpRequest, export_id: str) -> dict[str, Any]:
    """Refusals: `visitor_only` 403, `export_not_found` 404 (another account's too)."""
    user = _visitor(request)
    try:
        return export_out(service.get_export(account=user, public_id=export_id))
    except ExportError as exc:
        raise _refused(exc) from None


@router.get(
    "/me/exports/{export_id}/download",
    url_name="rights_download",
    response={frozenset({403, 404, 409, 410}): ErrorOut},
    openapi_extra={
        "responses": {
            200: {
                "description": "The export, as an attachment",
                "content": {
                    media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in service.CONTENT_TYPES.values()
                },
            }
        }
    },
    summary="Download one of the caller's exports until its link expires",
)
def export_download(request: HttpRequest, export_id: str) -> HttpResponse:
    """Refusals: `visitor_only` 403, `export_not_found` 404, `export_not_ready` 409 (still
    being built, or failed), `export_expired` 410 (past `expires_at`)."""
    user = _visitor(request)
    try:
        found = service.download(account=user, public_id=export_id, ip=_ip(request))
    except ExportError as exc:
        raise _refused(exc) from None
    response = HttpResponse(found.body, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/me/reads",
    response={200: ReadsOut, 403: ErrorOut},
    summary="Who read the personal data of the caller's people, newest first",
)
def my_reads(request: HttpRequest, filters: Query[ReadsFilter]) -> dict[str, Any]:
    """Each audited read of the data of the account holder or a dependant by staff: when,
    the reader's role and organisation at the time, and the purpose (never the officer's
    name). `person` narrows to one person (another account's: an empty list). Refusals:
    `visitor_only` 403."""
    user = _visitor(request)
    people = list(Person.objects.filter(account=user))
    chosen = [p for p in people if p.public_id == filters.person] if filters.person else people
    rows = reads.reads_for(user, chosen)
    limit = max(1, min(filters.limit, 200))
    offset = max(0, filters.offset)
    total = rows.count()
    by_index = {p.nik_index: p for p in people}
    page = [
        reads.describe(row, by_index.get(row.nik_index)) for row in rows[offset : offset + limit]
    ]
    after = offset + len(page)
    return {"total": total, "next_offset": after if after < total else None, "reads": page}
