"""Staff rosters under /api/v1/rosters/: parse, authorise, call one service, respond.

Needs MANAGE_VENUE_STAFF and the venue among the caller's venues (else
venue_not_found 404). Entries show only the masked phone number or NIK.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from jejak.accounts.capabilities import Cap, signed_in_user
from jejak.core.api_errors import ApiError
from jejak.rosters import service
from jejak.rosters.errors import RosterError
from jejak.rosters.models import RosterEntry
from jejak.venues.access import access_venue
from jejak.venues.models import Venue

router = Router(tags=["rosters"])


class ErrorOut(Schema):
    code: str
    message: str


class EntryIn(Schema):
    phone: str = Field("", max_length=40, description="The visitor account's phone number")
    nik: str = Field("", max_length=32, description="Or a NIK (counts once verified)")
    role: str = Field(..., max_length=100)
    valid_from: dt.date | None = Field(None, description="Default: today (Asia/Jakarta)")
    valid_until: dt.date | None = None


class EntryOut(Schema):
    id: int
    identifier: str = Field(..., description='"phone" or "nik"')
    masked: str
    role: str
    valid_from: dt.date
    valid_until: dt.date | None
    ended_at: dt.datetime | None
    valid_now: bool


def _venue(request: HttpRequest, short_code: str) -> Venue:
    return access_venue(request.user, short_code, Cap.MANAGE_VENUE_STAFF)


def _out(entry: RosterEntry, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "identifier": entry.kind,
        "masked": entry.masked,
        "role": entry.role,
        "valid_from": entry.valid_from,
        "valid_until": entry.valid_until,
        "ended_at": entry.ended_at,
        "valid_now": entry.valid_at(now),
    }


def _refused(exc: RosterError) -> ApiError:
    return ApiError(exc.http_status, exc.code.value, exc.message)


@router.get(
    "/venues/{short_code}/entries",
    response={200: list[EntryOut], frozenset({403, 404}): ErrorOut},
    summary="A venue's staff roster",
)
def list_entries(request: HttpRequest, short_code: str) -> list[dict[str, Any]]:
    """Entries not yet ended first, then the ended ones (kept as history)."""
    venue = _venue(request, short_code)
    now = timezone.now()
    entries = service.read_entries(
        actor=signed_in_user(request),
        venue=venue,
        limit=1000,
        ip=request.META.get("REMOTE_ADDR") or None,
    )
    return [_out(e, now) for e in entries]


@router.post(
    "/venues/{short_code}/entries",
    response={201: EntryOut, frozenset({400, 403, 404, 409}): ErrorOut},
    summary="Put a person on a venue's staff roster",
)
def add_entry(request: HttpRequest, short_code: str, body: EntryIn) -> Status[dict[str, Any]]:
    """Exactly one of `phone` (the visitor account's number) or `nik`. Refusals:
    identifier_missing, phone_invalid, nik_invalid, role_invalid, period_invalid (400),
    already_on_roster (409). Audited."""
    venue = _venue(request, short_code)
    try:
        entry = service.add_entry(
            actor=signed_in_user(request),
            venue=venue,
            phone=body.phone,
            nik=body.nik,
            role=body.role,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            source="api",
        )
    except RosterError as exc:
        raise _refused(exc) from None
    return Status(201, _out(entry, timezone.now()))


@router.post(
    "/venues/{short_code}/entries/{entry_id}/end",
    response={200: EntryOut, frozenset({403, 404}): ErrorOut},
    summary="End a roster entry now",
)
def end_entry(request: HttpRequest, short_code: str, entry_id: int) -> dict[str, Any]:
    """From now on the person checks in here as a guest. Repeating it answers the same
    entry. entry_not_found 404 for an entry of another venue. Audited."""
    venue = _venue(request, short_code)
    try:
        entry = service.end_entry(actor=signed_in_user(request), venue=venue, entry_id=entry_id)
    except RosterError as exc:
        raise _refused(exc) from None
    return _out(entry, timezone.now())
