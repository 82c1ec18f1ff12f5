"""The console's polling endpoint under /api/v1/console/: parse, authorise, read, respond."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from jejak.accounts.capabilities import Cap
from jejak.console import live
from jejak.venues.access import access_venue

router = Router(tags=["console"])


class ErrorOut(Schema):
    code: str
    message: str


class TodayOut(Schema):
    decision: dict[str, int]
    colour: dict[str, int]


class AlertOut(Schema):
    id: int
    colour: str
    colour_label: str
    at: str
    time: str
    entry_point: str
    acknowledged: bool


class LiveOut(Schema):
    inside: int
    capacity: int
    percent: int
    today: TodayOut
    alerts: list[AlertOut]
    at: str


@router.get(
    "/venues/{short_code}/live",
    response={200: LiveOut, frozenset({403, 404}): ErrorOut},
    summary="A venue's live occupancy, today's check-ins and black-status alerts",
)
def live_state(request: HttpRequest, short_code: str) -> dict[str, Any]:
    """What the venue console polls every few seconds. Needs VENUE_CONSOLE and the venue
    among the caller's venues (else venue_not_found 404). Alerts carry the colour, time
    and entrance only: nothing names the person."""
    venue = access_venue(request.user, short_code, Cap.VENUE_CONSOLE)
    return live.live_state(venue)
