"""Follow-up endpoints under /api/v1/followups: lagging venues and the follow-ups of the
caller's sectors. Refusals: forbidden 403; venue_not_found, followup_not_found 404;
invalid_kind, deadline_in_past, outcome_required 400."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from jejak.accounts.capabilities import Cap, require, signed_in_user
from jejak.core.api_errors import ApiError, ErrorOut
from jejak.followups import service
from jejak.followups.errors import FollowUpError
from jejak.followups.models import FollowUp, FollowUpKind
from jejak.venues.access import access_venue

router = Router(tags=["followups"])


def _api_error(exc: FollowUpError) -> ApiError:
    return ApiError(exc.http_status, exc.code.value, exc.message)


class LaggingOut(Schema):
    short_code: str
    name: str
    sector: str
    status: str
    lag: str
    checkins: int
    open_followups: int


@router.get("/venues", response={200: list[LaggingOut], frozenset({400, 403}): ErrorOut})
def lagging(
    request: HttpRequest,
    days: int = service.LOW_USAGE_DAYS,
    lag: str | None = None,
    sector: str | None = None,
) -> list[dict[str, Any]]:
    """Venues of the caller's sectors that have not requested, not installed, or barely
    use their codes (fewer than LOW_USAGE_MIN_CHECKINS check-ins over `days` days)."""
    require(request.user, Cap.VIEW_FOLLOWUPS)
    if not 1 <= days <= 90:
        raise ApiError(400, "invalid_days", _("Jumlah hari harus antara 1 dan 90."))
    rows = service.lagging_venues(user=request.user, days=days, lag=lag, sector_slug=sector)
    return [
        {
            "short_code": r.venue.short_code,
            "name": r.venue.name,
            "sector": r.venue.sector.slug,
            "status": r.venue.status,
            "lag": r.lag,
            "checkins": r.checkins,
            "open_followups": r.open_followups,
        }
        for r in rows
    ]


class FollowUpOut(Schema):
    id: int
    venue: str
    kind: str
    notes: str
    deadline: dt.date | None
    outcome: str
    done: bool
    overdue: bool
    officer: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_venue(obj: FollowUp) -> str:
        return obj.venue.short_code

    @staticmethod
    def resolve_overdue(obj: FollowUp) -> bool:
        return obj.is_overdue()

    @staticmethod
    def resolve_officer(obj: FollowUp) -> str | None:
        return obj.officer.username if obj.officer else None


class FollowUpIn(Schema):
    venue: str = Field(..., max_length=32)
    kind: FollowUpKind
    notes: str = Field("", max_length=5000)
    deadline: dt.date | None = None
    outcome: str = Field("", max_length=5000)
    done: bool = False


class FollowUpPatch(Schema):
    notes: str | None = Field(None, max_length=5000)
    outcome: str | None = Field(None, max_length=5000)
    done: bool | None = None
    deadline: dt.date | None = None


@router.get("", response={200: list[FollowUpOut], 403: ErrorOut})
def list_followups(
    request: HttpRequest, overdue: bool = False, venue: str | None = None, done: bool | None = None
) -> Any:
    """The follow-ups of the caller's venues, newest first (`overdue=true`: only those past
    their deadline and not done, oldest deadline first)."""
    require(request.user, Cap.VIEW_FOLLOWUPS)
    if overdue:
        return list(service.overdue_followups(user=request.user)[:1000])
    found = service.followups_visible_to(request.user).select_related("venue", "officer")
    if venue:
        found = found.filter(venue__short_code=venue.upper())
    if done is not None:
        found = found.filter(done=done)
    return list(found.order_by("-created_at", "-pk")[:1000])


@router.post("", response={201: FollowUpOut, frozenset({400, 403, 404}): ErrorOut})
def create_followup(request: HttpRequest, body: FollowUpIn) -> Any:
    require(request.user, Cap.RECORD_FOLLOWUPS)
    try:
        venue = access_venue(request.user, body.venue)
        followup = service.do_record_followup(
            actor=signed_in_user(request),
            venue=venue,
            kind=body.kind,
            notes=body.notes,
            deadline=body.deadline,
            outcome=body.outcome,
            done=body.done,
        )
    except FollowUpError as exc:
        raise _api_error(exc) from None
    return Status(201, followup)


@router.patch(
    "/{int:followup_id}", response={200: FollowUpOut, frozenset({400, 403, 404}): ErrorOut}
)
def update_followup(request: HttpRequest, followup_id: int, body: FollowUpPatch) -> Any:
    """Change notes, outcome, deadline (send null to clear it) or done."""
    require(request.user, Cap.RECORD_FOLLOWUPS)
    changes: dict[str, Any] = body.dict(exclude_unset=True)
    try:
        followup = service.access_followup(request.user, followup_id)
        return service.do_update_followup(
            actor=signed_in_user(request), followup=followup, **changes
        )
    except FollowUpError as exc:
        raise _api_error(exc) from None
