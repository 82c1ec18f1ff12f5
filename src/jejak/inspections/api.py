"""Inspection endpoints under /api/v1/inspections. Refusals carry a stable `code`:
forbidden 403; venue_not_found, inspection_not_found 404; already_recorded,
not_recorded, closure_not_active 409; photo_too_large 413; the others 400."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import AwareDatetime

from jejak.accounts.capabilities import Cap, require, signed_in_user
from jejak.core.api_errors import ApiError, ErrorOut
from jejak.inspections import service
from jejak.inspections.errors import InspectionError
from jejak.inspections.models import (
    ChecklistItem,
    ChecklistResult,
    Closure,
    Inspection,
    InspectionStatus,
    Sanction,
)
from jejak.venues.access import access_venue

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser

router = Router(tags=["inspections"])


def _api_error(exc: InspectionError) -> ApiError:
    return ApiError(exc.http_status, exc.code.value, exc.message)


class CheckOut(Schema):
    item: str
    result: str
    note: str


class ClosureOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    lifted_at: dt.datetime | None


class InspectionOut(Schema):
    id: int
    venue: str
    status: str
    planned_for: dt.date
    previous: int | None
    visited_at: dt.datetime | None
    findings: str
    occupancy_inside: int | None
    occupancy_capacity: int | None
    sanction: str
    closure: ClosureOut | None
    checks: list[CheckOut]
    photos: int

    @staticmethod
    def resolve_venue(obj: Inspection) -> str:
        return obj.venue.short_code

    @staticmethod
    def resolve_previous(obj: Inspection) -> int | None:
        return obj.previous_id

    @staticmethod
    def resolve_closure(obj: Inspection) -> Closure | None:
        return Closure.objects.filter(inspection=obj).first()

    @staticmethod
    def resolve_checks(obj: Inspection) -> list[Any]:
        return list(obj.checks.all())

    @staticmethod
    def resolve_photos(obj: Inspection) -> int:
        return obj.photos.count()


class PlanIn(Schema):
    venue: str = Field(..., max_length=32)
    planned_for: dt.date


class AnswerIn(Schema):
    result: ChecklistResult
    note: str = Field("", max_length=500)


class ClosureIn(Schema):
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class RecordIn(Schema):
    checklist: dict[ChecklistItem, AnswerIn]
    findings: str = Field("", max_length=10_000)
    sanction: Sanction = Sanction.NONE
    closure: ClosureIn | None = None


class ReinspectionIn(Schema):
    planned_for: dt.date


class LiftIn(Schema):
    reason: str = Field("", max_length=500)


def _full(pk: int, user: RequestUser) -> Inspection:
    return service.access_inspection(user, pk)


@router.get("", response={200: list[InspectionOut], 403: ErrorOut})
def list_inspections(
    request: HttpRequest, status: InspectionStatus | None = None, venue: str | None = None
) -> Any:
    """Inspections of the caller's region (plans included), newest plan first."""
    require(request.user, Cap.VIEW_INSPECTIONS)
    found = service.inspections_visible_to(request.user).select_related("venue")
    if status:
        found = found.filter(status=status)
    if venue:
        found = found.filter(venue__short_code=venue.upper())
    return list(found.prefetch_related("checks").order_by("-planned_for", "-pk")[:500])


@router.post("", response={201: InspectionOut, frozenset({400, 403, 404}): ErrorOut})
def plan_inspection(request: HttpRequest, body: PlanIn) -> Any:
    require(request.user, Cap.RECORD_INSPECTIONS)
    try:
        venue = access_venue(request.user, body.venue)
        planned = service.do_plan_inspection(
            actor=signed_in_user(request), venue=venue, planned_for=body.planned_for
        )
    except InspectionError as exc:
        raise _api_error(exc) from None
    return Status(201, planned)


@router.get("/{int:inspection_id}", response={200: InspectionOut, frozenset({403, 404}): ErrorOut})
def get_inspection(request: HttpRequest, inspection_id: int) -> Any:
    try:
        return _full(inspection_id, request.user)
    except InspectionError as exc:
        raise _api_error(exc) from None


@router.post(
    "/{int:inspection_id}/record",
    response={200: InspectionOut, frozenset({400, 403, 404, 409}): ErrorOut},
)
def record_inspection(request: HttpRequest, inspection_id: int, body: RecordIn) -> Any:
    """Record the visit: every checklist item, findings, sanction (with `closure` for a
    temporary closure). The venue's live occupancy is taken now. Photos: /photos."""
    require(request.user, Cap.RECORD_INSPECTIONS)
    try:
        inspection = _full(inspection_id, request.user)
        service.do_record_inspection(
            actor=signed_in_user(request),
            inspection=inspection,
            checklist={
                str(item): service.Answer(str(a.result), a.note)
                for item, a in body.checklist.items()
            },
            findings=body.findings,
            sanction=body.sanction,
            closure_starts_at=body.closure.starts_at if body.closure else None,
            closure_ends_at=body.closure.ends_at if body.closure else None,
        )
        return _full(inspection_id, request.user)
    except InspectionError as exc:
        raise _api_error(exc) from None


@router.post(
    "/{int:inspection_id}/photos",
    response={201: InspectionOut, frozenset({400, 403, 404, 409, 413}): ErrorOut},
)
def add_photos(request: HttpRequest, inspection_id: int, photos: File[list[UploadedFile]]) -> Any:
    """Multipart upload (field `photos`, repeated): JPEG, PNG or WebP, 8 MB each."""
    require(request.user, Cap.RECORD_INSPECTIONS)
    try:
        inspection = _full(inspection_id, request.user)
        service.do_add_photos(actor=signed_in_user(request), inspection=inspection, photos=photos)
    except InspectionError as exc:
        raise _api_error(exc) from None
    return Status(201, inspection)


@router.post(
    "/{int:inspection_id}/reinspection",
    response={201: InspectionOut, frozenset({400, 403, 404, 409}): ErrorOut},
)
def schedule_reinspection(request: HttpRequest, inspection_id: int, body: ReinspectionIn) -> Any:
    require(request.user, Cap.RECORD_INSPECTIONS)
    try:
        inspection = _full(inspection_id, request.user)
        again = service.do_schedule_reinspection(
            actor=signed_in_user(request), inspection=inspection, planned_for=body.planned_for
        )
    except InspectionError as exc:
        raise _api_error(exc) from None
    return Status(201, again)


@router.post(
    "/{int:inspection_id}/closure/lift",
    response={200: InspectionOut, frozenset({403, 404, 409}): ErrorOut},
)
def lift_closure(request: HttpRequest, inspection_id: int, body: LiftIn) -> Any:
    require(request.user, Cap.RECORD_INSPECTIONS)
    try:
        inspection = _full(inspection_id, request.user)
        closure = Closure.objects.filter(inspection=inspection).first()
        if closure is None:
            raise ApiError(
                404, "closure_not_found", _("Pemeriksaan ini tidak memerintahkan penutupan.")
            )
        service.do_lift_closure(actor=signed_in_user(request), closure=closure, reason=body.reason)
    except InspectionError as exc:
        raise _api_error(exc) from None
    return inspection


@router.get(
    "/venues/{short_code}/findings",
    response={200: list[InspectionOut], frozenset({403, 404}): ErrorOut},
)
def venue_findings(request: HttpRequest, short_code: str) -> Any:
    """A venue manager's view: the recorded inspections of their venue (no plans)."""
    require(request.user, Cap.VIEW_VENUE_FINDINGS)
    venue = access_venue(request.user, short_code)
    return list(service.venue_findings(user=request.user, venue=venue).select_related("venue"))
