"""The console's polling endpoint under /api/v1/console/: parse, authorise, read, respond."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from jejak.accounts.capabilities import Cap, require, signed_in_user
from jejak.checkins.door import answer_for_pass
from jejak.console import live
from jejak.core.api_errors import ApiError
from jejak.screening.errors import PassError
from jejak.screening.models import colour_label
from jejak.screening.passes import do_verify_status_pass
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


class DoorPassIn(Schema):
    # `pass` is a Python keyword; the JSON member keeps the natural name.
    scanned: str = Field(..., alias="pass", max_length=512)


class DoorPassOut(Schema):
    decision: str
    decision_colour: str
    decision_label: str
    reasons: list[str]
    with_adult: bool
    colour: str
    colour_label: str
    full_name: str
    nik_masked: str
    expires_at: str


@router.post(
    "/venues/{short_code}/pass",
    response={200: DoorPassOut, frozenset({400, 403, 404, 410}): ErrorOut},
    summary="Verify a visitor's status pass at this venue's door and decide entry (audited)",
)
def door_pass(request: HttpRequest, short_code: str, payload: DoorPassIn) -> dict[str, Any]:
    """The guard's scanner on the console: the pass checked as by
    `POST /api/v1/screening/status-pass/verify`, then the decision a check-in here would
    make now (`allowed`, `allowed_after_staff_check`, `denied`, with the reasons'
    sentences): the screen's colour is `decision_colour`, the status comes beneath.
    Needs VENUE_CONSOLE and VERIFY_STATUS_PASS and the venue among the caller's venues
    (else venue_not_found 404). Refusals of the pass carry its stable `code`:
    pass_malformed 400; pass_unknown_key, pass_bad_signature 403; pass_unknown 404;
    pass_expired 410."""
    venue = access_venue(request.user, short_code, Cap.VENUE_CONSOLE)
    require(request.user, Cap.VERIFY_STATUS_PASS)
    try:
        view = do_verify_status_pass(
            scanned=payload.scanned,
            actor=signed_in_user(request),
            ip=request.META.get("REMOTE_ADDR") or None,
        )
    except PassError as exc:
        raise ApiError(exc.http_status, exc.code.value, exc.message) from None
    answer = answer_for_pass(view, venue=venue)
    return {
        "decision": answer.decision,
        "decision_colour": answer.colour,
        "decision_label": answer.label,
        "reasons": answer.reason_labels(),
        "with_adult": answer.with_adult,
        "colour": view.colour,
        "colour_label": str(colour_label(view.colour)),
        "full_name": view.full_name,
        "nik_masked": view.nik_masked,
        "expires_at": view.expires_at.isoformat(),
    }
