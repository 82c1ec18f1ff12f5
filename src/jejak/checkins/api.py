"""Check-in endpoints under /api/v1/checkins: parse, authorise, call one service, respond.

Refusals of a whole request carry a stable `code` with a 4xx status (the qr_* codes as in
/qr/verify; person_unknown 404; scan_too_old, scan_in_future 400; too_far 403;
too_many_requests 429; visitor_only 403; no_rule_set 503). A stored decision is a 201
even when every person is denied: each person's `decision` and `reasons` say why.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime, BaseModel, StringConstraints

from jejak.accounts.capabilities import Cap, has_capability
from jejak.checkins import checkout, occupancy, plans, record, scan
from jejak.checkins.batcher import batcher
from jejak.checkins.errors import CheckInError, DenialReason, Note, Refusal
from jejak.checkins.models import CheckIn
from jejak.core.api_errors import ApiError
from jejak.people.access import is_visitor
from jejak.people.errors import Reason as PeopleReason
from jejak.qrcodes.errors import QrError
from jejak.venues.access import access_venue

if TYPE_CHECKING:
    from jejak.accounts.models import User

router = Router(tags=["checkins"])


class ErrorOut(Schema):
    code: str
    message: str


class LocationIn(BaseModel):
    lat: float = Field(..., ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(..., ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float = Field(0, ge=0, le=100_000, allow_inf_nan=False)


# Plain pydantic models, not ninja Schemas: a Schema's validator for reading ORM objects
# cost a sixth of a check-in body's validation, and input is only ever JSON.
class CheckInIn(BaseModel):
    qr: str = Field(..., max_length=2000)
    nonce: uuid.UUID
    # "self" and/or dependants' public ids.
    people: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        ..., min_length=1, max_length=12
    )
    visitor_type: Literal["guest", "employee"] = "guest"
    scanned_at: AwareDatetime | None = None
    location: LocationIn | None = None

    def ask(self, account: User) -> plans.Ask:
        """The service's request for `account`."""
        where = self.location
        return plans.Ask(
            account=account,
            qr=self.qr,
            nonce=self.nonce,
            people=self.people,
            visitor_type=self.visitor_type,
            scanned_at=self.scanned_at,
            location=scan.Location(where.lat, where.lon, where.accuracy_m) if where else None,
        )


# Named for this app, like CheckInPersonOut below: the venues app has its VenueOut.
class CheckInVenueOut(Schema):
    short_code: str
    name: str


class CheckInEntryPointOut(Schema):
    name: str


class CrowdOut(Schema):
    inside: int
    capacity: int


# Not "PersonOut": the OpenAPI components are named by class, and the people and tracing
# apps have theirs, which this one's was published as.
class CheckInPersonOut(Schema):
    person: str  # "self" or a dependant's public id
    action: Literal["check_in", "check_out"]
    checkin: str
    decision: str
    reasons: list[str]
    messages: list[str]
    colour: str
    colour_reasons: list[str]
    checked_in_at: dt.datetime | None
    planned_checkout_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    checkout_method: str
    notes: list[str] = Field(
        ...,
        description="How the request was read before deciding (codes, not refusals): "
        "`not_on_staff_roster` when `visitor_type` was `employee` but the person is not on "
        "the venue's staff roster at the scan time, so they were decided as a guest. "
        "`messages` ends with their sentences.",
    )


class PolicyOut(Schema):
    level: int
    rule_id: int | None
    rule_version: int


class CheckInOut(Schema):
    venue: CheckInVenueOut
    entry_point: CheckInEntryPointOut
    crowd: CrowdOut
    scanned_at: dt.datetime
    received_at: dt.datetime
    planned_checkout_at: dt.datetime | None
    rule_set: str
    policy: PolicyOut
    people: list[CheckInPersonOut]


class CheckOutOut(Schema):
    checkin: str
    venue: CheckInVenueOut
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    checkout_method: str


class CheckInReadOut(Schema):
    checkin: str
    venue: CheckInVenueOut
    entry_point: CheckInEntryPointOut
    decision: str
    reasons: list[str]
    colour: str
    scanned_at: dt.datetime
    checked_in_at: dt.datetime | None
    planned_checkout_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    checkout_method: str


class PreviewOut(Schema):
    venue: CheckInVenueOut
    entry_point: CheckInEntryPointOut
    crowd: CrowdOut
    advice: str


class CheckedOutAllOut(Schema):
    checked_out: int


def _visitor(request: HttpRequest) -> User:
    user = request.user
    if not is_visitor(user):
        raise ApiError(403, PeopleReason.VISITOR_ONLY.value, str(PeopleReason.VISITOR_ONLY.label))
    return user


def _refused(exc: CheckInError | QrError) -> ApiError:
    return ApiError(exc.http_status, exc.code.value, exc.message)


@cache
def _sentence(reason: str, language: str) -> str:
    # Once per reason and language per process: activating a language for each response
    # cost more than building the answer.
    with translation.override(language):
        label = DenialReason(reason).label if reason in DenialReason.values else Note(reason).label
        return str(label)


_SENTENCED = frozenset(DenialReason.values) | frozenset(Note.values)


def _messages(codes: list[str], language: str) -> list[str]:
    # Sentences are chosen at response time, in the caller's language; stored results
    # keep only the codes.
    return [_sentence(r, language) for r in codes if r in _SENTENCED]


@router.post(
    "",
    response={201: CheckInOut, frozenset({400, 403, 404, 410, 429, 503}): ErrorOut},
    summary="Check in (or, when already inside this venue, check out) self and dependants",
)
def check_in(request: HttpRequest, body: CheckInIn) -> Status[dict[str, Any]]:
    """Scan a venue's code for "self" and/or dependants. Idempotent by `nonce`: a retry
    returns the first result. Send `scanned_at` for a scan made offline (at most 24 h
    old). `location` is compared with the venue's and never stored. A database outage
    answers 503 `service_unavailable` with Retry-After: send the same body again."""
    try:
        result = decide(body.ask(_visitor(request)))
        if not isinstance(result, plans.CheckInResult):
            raise result
    except (CheckInError, QrError) as exc:
        raise _refused(exc) from None
    # The service built exactly the documented shape (CheckInOut, pinned by the tests);
    # validating it again through the schema cost more than the JSON encoding.
    answer = response_body(result, translation.get_language())
    return JsonResponse(answer, status=201)  # type: ignore[return-value]


def decide(ask: plans.Ask) -> plans.Outcome:
    """The outcome of one check-in, decided by this process's batcher with whatever else
    is waiting (checkins/batcher.py), or here when batching is off. A request already
    inside a transaction (a test's, ATOMIC_REQUESTS) is decided here too: the batcher's
    own connection could not see what that transaction wrote. Partner apps' check-ins
    (partners/api.py) come through here too: the same decision, the same codes."""
    if settings.JEJAK_CHECKIN_BATCHING and not transaction.get_connection().in_atomic_block:
        return batcher().decide(ask)
    return record.record_many(asks=[ask])[0]


def response_body(result: plans.CheckInResult, language: str) -> dict[str, Any]:
    """The 201 body of a check-in (CheckInOut) in `language`."""
    data = dict(result.data)
    people = data["people"]
    answered = []
    for p in people:
        notes = p.get("notes", [])  # results stored before notes existed have none
        answered.append(
            {**p, "notes": notes, "messages": _messages(p["reasons"] + notes, language)}
        )
    data["people"] = answered
    return data


@router.get(
    "/preview",
    auth=None,
    response={200: PreviewOut, frozenset({400, 403, 404, 410}): ErrorOut},
    summary="What the phone shows before the visitor confirms: venue, entrance, crowd",
)
def preview(request: HttpRequest, qr: str) -> dict[str, Any]:
    """Public: the venue, the entrance, "Total Keramaian" (inside / capacity) and health
    advice for a scanned code. No personal data. Refused codes answer as /qr/verify."""
    try:
        found = record.qrcodes.verify(qr[:2000])
    except QrError as exc:
        raise _refused(exc) from None
    venue = found.venue
    return {
        "venue": {"short_code": venue.short_code, "name": venue.name},
        "entry_point": {"name": found.entry_point.name},
        "crowd": occupancy.crowd(venue=venue),
        "advice": _(
            "Tetap pakai masker, jaga jarak dan cuci tangan. Tunjukkan hasil check-in "
            "kepada petugas di pintu masuk."
        ),
    }


@router.get(
    "/{public_id}",
    response={200: CheckInReadOut, frozenset({403, 404}): ErrorOut},
    summary="One of the caller's check-ins as it stands now (still inside, checked out)",
)
def read_check_in(request: HttpRequest, public_id: str) -> dict[str, Any]:
    """A check-in of the caller's own people by its id: the phone refreshes a stay with it
    (an automatic or venue-wide check-out since). Another account's answers
    checkin_not_found 404, as an unknown id does. One statement."""
    account = _visitor(request)
    rows = (
        CheckIn.objects.filter(public_id=public_id[:16], account_id=account.pk)
        .select_related("venue", "entry_point")
        .only(
            *("public_id", "decision", "reasons", "colour", "scanned_at", "checked_in_at"),
            *("planned_checkout_at", "checked_out_at", "checkout_method"),
            *("venue__short_code", "venue__name", "entry_point__name"),
        )
        # Unordered (`first()` would order): one row at most, and on PostgreSQL's
        # partitions by day an order is planned as a merge of every day's index.
        .order_by()[:1]
    )
    found = next(iter(rows), None)
    if found is None:
        raise _refused(CheckInError(Refusal.CHECKIN_NOT_FOUND))
    return {
        "checkin": found.public_id,
        "venue": {"short_code": found.venue.short_code, "name": found.venue.name},
        "entry_point": {"name": found.entry_point.name},
        "decision": found.decision,
        "reasons": found.reasons,
        "colour": found.colour,
        "scanned_at": found.scanned_at,
        "checked_in_at": found.checked_in_at,
        "planned_checkout_at": found.planned_checkout_at,
        "checked_out_at": found.checked_out_at,
        "checkout_method": found.checkout_method,
    }


@router.post(
    "/{public_id}/checkout",
    response={200: CheckOutOut, frozenset({403, 404, 409}): ErrorOut},
    summary="Check out (the button)",
)
def check_out(request: HttpRequest, public_id: str) -> dict[str, Any]:
    """Check out one of the caller's check-ins. Repeating it returns the same check-out.
    Refusals: checkin_not_found 404, not_checked_in 409 (a denied entry), visitor_only 403."""
    account = _visitor(request)
    try:
        checkin = checkout.check_out(account=account, checkin_public_id=public_id[:32])
    except CheckInError as exc:
        raise _refused(exc) from None
    return {
        "checkin": checkin.public_id,
        "venue": {"short_code": checkin.venue.short_code, "name": checkin.venue.name},
        "checked_in_at": checkin.checked_in_at,
        "checked_out_at": checkin.checked_out_at,
        "checkout_method": checkin.checkout_method,
    }


class GroupCheckOutOut(Schema):
    checked_out: list[CheckOutOut]


@router.post(
    "/requests/{nonce}/checkout",
    response={200: GroupCheckOutOut, frozenset({403, 404}): ErrorOut},
    summary="Check out everyone of one check-in request (a family, at once)",
)
def check_out_group(request: HttpRequest, nonce: uuid.UUID) -> dict[str, Any]:
    """Check out every admitted person of the caller's check-in request `nonce` together.
    Those already out are returned as they are. Refusals: checkin_not_found 404 (no such
    request of this account, or nobody in it was admitted), visitor_only 403."""
    account = _visitor(request)
    try:
        rows = checkout.check_out_group(account=account, nonce=str(nonce))
    except CheckInError as exc:
        raise _refused(exc) from None
    return {
        "checked_out": [
            {
                "checkin": row.public_id,
                "venue": {"short_code": row.venue.short_code, "name": row.venue.name},
                "checked_in_at": row.checked_in_at,
                "checked_out_at": row.checked_out_at,
                "checkout_method": row.checkout_method,
            }
            for row in rows
        ]
    }


@router.post(
    "/venues/{short_code}/checkout-all",
    response={200: CheckedOutAllOut, frozenset({403, 404}): ErrorOut},
    summary="Check everyone out of a venue (venue staff and managers, city admins)",
)
def check_out_all(request: HttpRequest, short_code: str) -> dict[str, Any]:
    """Close every stay at the venue, e.g. at closing time; returns how many. Needs
    VIEW_VENUES, the venue within the caller's jurisdiction (else venue_not_found 404)
    and a venue role or city admin (else forbidden 403). Audited."""
    user = request.user
    venue = access_venue(user, short_code, Cap.VIEW_VENUES)
    if not has_capability(user, Cap.CHECK_OUT_EVERYONE):
        raise ApiError(403, "forbidden", _("Peran Anda tidak mengizinkan ini."))
    return {"checked_out": checkout.check_out_everyone(venue=venue, actor=user)}
