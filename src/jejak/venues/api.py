from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Schema

from jejak.accounts.capabilities import Cap, require, signed_in_user
from jejak.core.api_errors import ApiError, ErrorOut
from jejak.regions.models import Region
from jejak.venues.access import VenueNotFound, access_venue
from jejak.venues.models import Venue
from jejak.venues.rollout import compute_rollout
from jejak.venues.workflow import WorkflowError, do_transition

router = Router(tags=["venues"])

# The largest offset asked of the database: past the last venue a page is empty however
# far, and offset + limit must fit in a bigint.
MAX_OFFSET = 2**62


class Stage(Schema):
    requested: int
    pending: int
    rejected: int
    issued: int
    installed: int
    suspended: int
    revoked: int


class SectorRow(Stage):
    slug: str
    name: str


class RegionRow(Stage):
    code: str
    name: str


class RegionRef(Schema):
    code: str
    name: str


class RolloutOut(Schema):
    region: RegionRef | None
    sectors: list[SectorRow]
    regions: list[RegionRow]
    total: Stage


@router.get("/rollout", response={200: RolloutOut, frozenset({403, 404}): ErrorOut})
def rollout(request: HttpRequest, region: str | None = None) -> dict[str, Any]:
    """QR codes per sector and per sub-region at each registration stage."""
    require(request.user, Cap.VIEW_ROLLOUT)
    area = None
    if region:
        area = Region.objects.filter(code=region).first()
        if area is None:
            message = _("Tidak ada wilayah dengan kode %(code)s.") % {"code": region}
            raise ApiError(404, "unknown_region", message)
    data = compute_rollout(
        user=signed_in_user(request), region=area, language=get_language() or "id"
    )
    return data.as_json()


class EntryPointOut(Schema):
    name: str
    position: int


class VenueOut(Schema):
    short_code: str
    name: str
    sector: str
    region: str
    status: str
    capacity: int
    default_stay_minutes: int
    entry_points: list[EntryPointOut]

    @staticmethod
    def resolve_sector(obj: Venue) -> str:
        return obj.sector.slug

    @staticmethod
    def resolve_region(obj: Venue) -> str:
        return obj.region.code

    @staticmethod
    def resolve_entry_points(obj: Venue) -> list[Any]:
        return list(obj.entry_points.all())


@router.get("/venues", response={200: list[VenueOut], 403: ErrorOut})
def list_venues(
    request: HttpRequest,
    status: str | None = None,
    sector: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Any:
    """Venues within the caller's jurisdiction (at most 1000 a page)."""
    require(request.user, Cap.VIEW_VENUES)
    venues = Venue.objects.visible_to(request.user).select_related("sector", "region")
    if status:
        venues = venues.filter(status=status)
    if sector:
        venues = venues.filter(sector__slug=sector)
    limit = max(1, min(limit, 1000))
    offset = min(max(offset, 0), MAX_OFFSET)
    return venues.prefetch_related("entry_points")[offset : offset + limit]


def _venue(request: HttpRequest, short_code: str) -> Venue:
    try:
        return access_venue(request.user, short_code)
    except VenueNotFound:
        # This API's reason code since its first release; partners match on it.
        raise ApiError(404, "unknown_venue", _("Tempat tidak ditemukan.")) from None


@router.get("/venues/{short_code}", response={200: VenueOut, frozenset({403, 404}): ErrorOut})
def get_venue(request: HttpRequest, short_code: str) -> Venue:
    require(request.user, Cap.VIEW_VENUES)
    return _venue(request, short_code)


class TransitionIn(Schema):
    action: str
    reason: str = ""
    effective_date: dt.date | None = None


class TransitionOut(Schema):
    short_code: str
    status: str


@router.post(
    "/venues/{short_code}/transitions",
    response={200: TransitionOut, frozenset({400, 403, 404, 409}): ErrorOut},
)
def transition(request: HttpRequest, short_code: str, body: TransitionIn) -> dict[str, str]:
    """Move a venue one step along the registration workflow."""
    require(request.user, Cap.VIEW_VENUES)
    venue = _venue(request, short_code)
    try:
        do_transition(
            venue=venue,
            action=body.action,
            actor=signed_in_user(request),
            reason=body.reason,
            effective_date=body.effective_date,
        )
    except WorkflowError as exc:
        status = (
            403 if exc.code == "forbidden" else 409 if exc.code == "illegal_transition" else 400
        )
        raise ApiError(status, exc.code, exc.message) from exc
    return {"short_code": venue.short_code, "status": venue.status}
