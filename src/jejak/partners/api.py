"""The partner API under /api/v1/partner/: what a partner app may do for a citizen who
connected it, each operation behind its scope, in the partners' own schema.

People are named by pairwise identifiers (pairwise.py) and shown by first name; no NIK,
phone number or Jejak id ever leaves here. A check-in goes through the same decision as
one from Jejak's own app (`checkins.api.decide`: the batcher, the same refusal codes and
sentences, idempotent by nonce). Every read and write of personal data is audited with
the citizen's people as subjects, so it shows in their "who read my data".

Errors: the API's usual `{code, message}`: 401 `invalid_token`, 403 `insufficient_scope`
(with `required_scope`), `partner_suspended`, `partner_not_approved`,
`privacy_notice_changed`, 429 `rate_limited` (with Retry-After), and the check-in's own
refusals (person_unknown 404, the qr_* codes, scan_too_old ...).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Annotated, Any, Literal, TypeVar

from django.http import HttpRequest, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import AwareDatetime, BaseModel, StringConstraints

from jejak.audit import service as audit
from jejak.audit.models import PARTNER_ROLE, Purpose
from jejak.checkins import checkout, occupancy, plans, scan
from jejak.checkins.api import LocationIn, decide, response_body
from jejak.checkins.errors import DECISION_COLOUR, CheckInError, Refusal
from jejak.checkins.models import ACTIVE_Q, CheckIn
from jejak.core.api_errors import ApiError, ErrorOut
from jejak.partners import pairwise, scopes
from jejak.partners.auth import (
    INSUFFICIENT_SCOPE,
    PartnerCall,
    PartnerToken,
    Someone,
    partner_call,
)
from jejak.partners.models import PartnerCheckIn
from jejak.partners.recording import Submitted
from jejak.people.models import Relation
from jejak.qrcodes import service as qrcodes
from jejak.qrcodes.errors import QrError
from jejak.screening.models import colour_label
from jejak.screening.service import statuses

router = Router(tags=["partner"], auth=PartnerToken())

HISTORY_DAYS = 14
HISTORY_LIMIT = 200

View = TypeVar("View", bound=Callable[..., Any])


def requires(scope: str | None) -> Callable[[View], View]:
    """The operation needs `scope` among those the citizen granted (None: any)."""

    def wrap(view: View) -> View:
        @wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            call = partner_call(request)
            if scope is not None and scope not in call.scopes:
                raise ApiError(
                    403,
                    INSUFFICIENT_SCOPE,
                    _("Izin dari pengguna tidak mencakup tindakan ini."),
                    extra={"required_scope": scope},
                    headers={
                        "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'
                    },
                )
            return view(request, *args, **kwargs)

        return run  # type: ignore[return-value]

    return wrap


# --- People, as a partner knows them ----------------------------------------------------


class Known:
    """The account's people with their pairwise identifiers for the calling partner."""

    def __init__(self, call: PartnerCall, people: Sequence[Someone]) -> None:
        self.call = call
        self.people = sorted(people, key=lambda p: (p.relation != Relation.SELF, p.pk))
        self.ids = {p.pk: pairwise.pairwise(pairwise.PERSON, call.partner_id, p.pk) for p in people}

    @classmethod
    def load(cls, call: PartnerCall) -> Known:
        """The people the token's look-up read (auth.py): no statement of its own."""
        return cls(call, call.people)

    def resolve(self, wanted: Sequence[str]) -> list[Someone]:
        """The people named by pairwise identifiers (or "self"); person_unknown when any
        is not one of the account's own."""
        by_id = {self.ids[p.pk]: p for p in self.people}
        own = next((p for p in self.people if p.relation == Relation.SELF), None)
        chosen: list[Someone] = []
        for key in wanted:
            person = own if key == "self" else by_id.get(key)
            if person is None:
                raise _refused(CheckInError(Refusal.PERSON_UNKNOWN))
            if person not in chosen:
                chosen.append(person)
        return chosen

    def by_checkin_key(self) -> dict[str, Someone]:
        """The check-in answer's person keys ("self" or a public id) -> person."""
        found = {p.public_id: p for p in self.people}
        own = next((p for p in self.people if p.relation == Relation.SELF), None)
        if own is not None:
            found["self"] = own
        return found

    def describe(self, person: Someone) -> dict[str, Any]:
        return {
            "person": self.ids[person.pk],
            "first_name": first_name(person.full_name),
            "relation": "self" if person.relation == Relation.SELF else "dependant",
        }

    def audit(self, action: str, people: Sequence[Someone], **detail: Any) -> None:
        """The audit row of this call's read or write of these people's data (with its
        subjects in one statement on PostgreSQL: every partner call writes one)."""
        audit.record_read_at_once(
            actor=None,
            action=action,
            purpose=Purpose.PARTNER_APP,
            subjects=[p.nik_index for p in people],
            reader=(PARTNER_ROLE, self.call.partner_name),
            partner=self.call.partner_id,
            account=self.call.account.pk,
            **detail,
        )


def first_name(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else ""


def _refused(exc: CheckInError | QrError) -> ApiError:
    return ApiError(exc.http_status, exc.code.value, exc.message)


# --- Schemas ----------------------------------------------------------------------------


class PartnerPersonOut(Schema):
    person: str = Field(..., description="This partner's pairwise identifier of the person")
    first_name: str
    relation: Literal["self", "dependant"]


class PartnerMeOut(Schema):
    sub: str = Field(..., description="This partner's pairwise identifier of the account")
    scopes: list[str]
    people: list[PartnerPersonOut]


class PartnerVenueOut(Schema):
    short_code: str
    name: str


class PartnerEntranceOut(Schema):
    name: str


class PartnerCrowdOut(Schema):
    inside: int
    capacity: int


class PartnerPreviewOut(Schema):
    venue: PartnerVenueOut
    entry_point: PartnerEntranceOut
    crowd: PartnerCrowdOut


class PartnerCheckInIn(BaseModel):
    qr: str = Field(..., max_length=2000)
    nonce: uuid.UUID = Field(
        ..., description="The partner's idempotency key: a retry with it answers the same"
    )
    people: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        ..., min_length=1, max_length=12, description='Pairwise identifiers, or "self"'
    )
    visitor_type: Literal["guest", "employee"] = "guest"
    scanned_at: AwareDatetime | None = None
    location: LocationIn | None = None


class PartnerEntryOut(Schema):
    person: str
    first_name: str
    action: Literal["check_in", "check_out"]
    decision: str
    door_colour: str = Field(..., description="What the door shows: hijau, kuning or merah")
    reasons: list[str]
    messages: list[str]
    notes: list[str]
    checked_in_at: dt.datetime | None
    planned_checkout_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    checkout_method: str


class PartnerCheckInOut(Schema):
    venue: PartnerVenueOut
    entry_point: PartnerEntranceOut
    crowd: PartnerCrowdOut
    scanned_at: dt.datetime
    received_at: dt.datetime
    planned_checkout_at: dt.datetime | None
    people: list[PartnerEntryOut]


class PartnerCheckOutIn(BaseModel):
    people: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        ..., min_length=1, max_length=12, description='Pairwise identifiers, or "self"'
    )


class PartnerStayOut(Schema):
    person: str
    first_name: str
    venue: PartnerVenueOut
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    checkout_method: str


class PartnerCheckOutOut(Schema):
    checked_out: list[PartnerStayOut]


class PartnerStatusPersonOut(Schema):
    person: str
    first_name: str
    relation: Literal["self", "dependant"]
    colour: str
    colour_label: str
    reasons: list[str] | None = Field(
        None, description="The colour's reasons: only with the status:reasons scope"
    )


class PartnerStatusOut(Schema):
    evaluated_at: dt.datetime
    people: list[PartnerStatusPersonOut]


class PartnerVisitOut(Schema):
    visit: str = Field(..., description="This partner's pairwise identifier of the visit")
    person: str
    first_name: str
    venue: PartnerVenueOut
    entry_point: PartnerEntranceOut
    decision: str
    door_colour: str
    scanned_at: dt.datetime
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    checkout_method: str
    through_this_partner: bool


class PartnerHistoryOut(Schema):
    since: dt.datetime
    visits: list[PartnerVisitOut]


# --- Operations -------------------------------------------------------------------------

COMMON = frozenset({401, 403, 429})


@router.get("/me", response={200: PartnerMeOut, COMMON: ErrorOut}, summary="Who the token acts for")
@requires(None)
def me(request: HttpRequest) -> dict[str, Any]:
    """The account (its pairwise `sub`), the scopes granted and its people by first name
    and pairwise identifier: what to name them by in a check-in. Audited."""
    call = partner_call(request)
    known = Known.load(call)
    known.audit("partners.people_read", known.people)
    return {
        "sub": pairwise.pairwise(pairwise.ACCOUNT, call.partner_id, call.account.pk),
        "scopes": scopes.valid(sorted(call.scopes)),
        "people": [known.describe(p) for p in known.people],
    }


@router.get(
    "/checkins/preview",
    response={200: PartnerPreviewOut, COMMON | {400, 404, 410}: ErrorOut},
    summary="The venue, entrance and crowd of a scanned code (scope checkin)",
)
@requires(scopes.CHECKIN)
def preview(request: HttpRequest, qr: str) -> dict[str, Any]:
    """What to show before the citizen confirms. No personal data. Refused codes answer
    as /qr/verify (qr_* codes)."""
    try:
        found = qrcodes.verify(qr[:2000])
    except QrError as exc:
        raise _refused(exc) from None
    venue = found.venue
    return {
        "venue": {"short_code": venue.short_code, "name": venue.name},
        "entry_point": {"name": found.entry_point.name},
        "crowd": occupancy.crowd(venue=venue),
    }


def _nonce(partner_id: int, nonce: uuid.UUID) -> uuid.UUID:
    """The nonce a partner's check-in is recorded under: the partner's own, in a space of
    its own, so no partner can replay another's (or the app's) stored answer."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"jejak:partner:{partner_id}:{nonce}")


@router.post(
    "/checkins",
    response={201: PartnerCheckInOut, COMMON | {400, 404, 409, 410, 503}: ErrorOut},
    summary="Check the citizen and/or dependants in (or, inside already, out) (scope checkin)",
)
@requires(scopes.CHECKIN)
def check_in(request: HttpRequest, body: PartnerCheckInIn) -> JsonResponse:
    """Decided exactly as a check-in from Jejak's app (the same rules, refusal codes and
    sentences in the caller's language) and recorded as submitted by this partner.
    Idempotent by `nonce`: a retry answers the first result. A person already inside
    this venue is checked out instead (a rescan)."""
    call = partner_call(request)
    known = Known.load(call)
    chosen = known.resolve(body.people)
    own_keys = {p.pk: ("self" if p.relation == Relation.SELF else p.public_id) for p in chosen}
    where = body.location
    nonce = _nonce(call.partner_id, body.nonce)
    ask = plans.Ask(
        account=call.account,
        qr=body.qr,
        nonce=nonce,
        people=[own_keys[p.pk] for p in chosen],
        visitor_type=body.visitor_type,
        scanned_at=body.scanned_at,
        location=scan.Location(where.lat, where.lon, where.accuracy_m) if where else None,
        # Recorded as this partner's, and audited, in the check-in's own transaction.
        origin=Submitted(call.partner_id, call.partner_name, tuple(p.nik_index for p in chosen)),
    )
    try:
        result = decide(ask)
        if not isinstance(result, plans.CheckInResult):
            raise result
    except (CheckInError, QrError) as exc:
        raise _refused(exc) from None
    data = response_body(result, translation.get_language())
    by_key = known.by_checkin_key()
    people = []
    for entry in data["people"]:
        person = by_key[entry["person"]]
        people.append(
            {
                "person": known.ids[person.pk],
                "first_name": first_name(person.full_name),
                "action": entry["action"],
                "decision": entry["decision"],
                "door_colour": DECISION_COLOUR.get(entry["decision"], ""),
                "reasons": entry["reasons"],
                "messages": entry["messages"],
                "notes": entry["notes"],
                "checked_in_at": entry["checked_in_at"],
                "planned_checkout_at": entry["planned_checkout_at"],
                "checked_out_at": entry["checked_out_at"],
                "checkout_method": entry["checkout_method"],
            }
        )
    answer = {
        "venue": data["venue"],
        "entry_point": data["entry_point"],
        "crowd": data["crowd"],
        "scanned_at": data["scanned_at"],
        "received_at": data["received_at"],
        "planned_checkout_at": data["planned_checkout_at"],
        "people": people,
    }
    # Built in the documented shape (PartnerCheckInOut, pinned by the tests); validating
    # it again would cost more than encoding it, as for the app's own check-in.
    return JsonResponse(answer, status=201)


@router.post(
    "/checkouts",
    response={200: PartnerCheckOutOut, COMMON | {404}: ErrorOut},
    summary="Check people out of wherever they are inside now (scope checkin)",
)
@requires(scopes.CHECKIN)
def check_out(request: HttpRequest, body: PartnerCheckOutIn) -> dict[str, Any]:
    """Close the open stays of these people (the check-out button). Those not inside
    anywhere are left out of the answer; checkin_not_found 404 when none was inside."""
    call = partner_call(request)
    known = Known.load(call)
    chosen = known.resolve(body.people)
    stays = list(
        CheckIn.objects.filter(ACTIVE_Q, person_id__in=[p.pk for p in chosen]).values_list(
            "public_id", "person_id"
        )
    )
    if not stays:
        raise _refused(CheckInError(Refusal.CHECKIN_NOT_FOUND))
    by_pk = {p.pk: p for p in chosen}
    closed = []
    for public_id, person_id in stays:
        row = checkout.check_out(account=call.account, checkin_public_id=public_id)
        person = by_pk[person_id]
        closed.append(
            {
                "person": known.ids[person.pk],
                "first_name": first_name(person.full_name),
                "venue": {"short_code": row.venue.short_code, "name": row.venue.name},
                "checked_in_at": row.checked_in_at,
                "checked_out_at": row.checked_out_at,
                "checkout_method": row.checkout_method,
            }
        )
    known.audit("partners.checkout", [by_pk[person_id] for _p, person_id in stays])
    return {"checked_out": closed}


@router.get(
    "/status",
    response={200: PartnerStatusOut, COMMON: ErrorOut},
    summary="Each of the citizen's people's colour now (scope status:read)",
)
@requires(scopes.STATUS_READ)
def status(request: HttpRequest) -> dict[str, Any]:
    """The screening colour of the account's people, never its health details; with the
    further scope status:reasons, the colour's reason codes too. Audited."""
    call = partner_call(request)
    known = Known.load(call)
    now = timezone.now()
    found = (
        statuses(
            people=[(p.nik_index, p.birth_date) for p in known.people],
            at=now,
            unverified={p.nik_index for p in known.people if p.identity_verified_at is None},
        )
        if known.people
        else []
    )
    reasons = scopes.STATUS_REASONS in call.scopes
    known.audit("partners.status_read", known.people)
    return {
        "evaluated_at": now,
        "people": [
            {
                **known.describe(p),
                "colour": s.colour,
                "colour_label": colour_label(s.colour),
                "reasons": list(s.reasons) if reasons else None,
            }
            for p, s in zip(known.people, found, strict=True)
        ],
    }


@router.get(
    "/history",
    response={200: PartnerHistoryOut, COMMON: ErrorOut},
    summary="The citizen's people's check-ins of the last 14 days (scope history:read)",
)
@requires(scopes.HISTORY_READ)
def history(
    request: HttpRequest, days: Annotated[int, Query(ge=1, le=HISTORY_DAYS)] = HISTORY_DAYS
) -> dict[str, Any]:
    """Newest first, at most 200: every decision (refusals included), where and when,
    and whether this partner submitted it. Audited."""
    call = partner_call(request)
    known = Known.load(call)
    since = timezone.now() - dt.timedelta(days=days)
    by_pk = {p.pk: p for p in known.people}
    rows = list(
        CheckIn.objects.filter(person_id__in=list(by_pk), scanned_at__gte=since)
        .select_related("venue", "entry_point", "request")
        .only(
            *("id", "person_id", "decision", "scanned_at", "checked_in_at", "checked_out_at"),
            *("checkout_method", "venue__short_code", "venue__name", "entry_point__name"),
            *("request__nonce",),
        )
        .order_by("-scanned_at", "-id")[:HISTORY_LIMIT]
    )
    mine = set(
        PartnerCheckIn.objects.filter(
            account_id=call.account.pk,
            partner_id=call.partner_id,
            nonce__in={row.request.nonce for row in rows},
        ).values_list("nonce", flat=True)
    ) if rows else set()  # fmt: skip
    known.audit("partners.history_read", [by_pk[pk] for pk in {r.person_id for r in rows}])
    return {
        "since": since,
        "visits": [
            {
                "visit": pairwise.pairwise(pairwise.VISIT, call.partner_id, row.pk),
                "person": known.ids[row.person_id],
                "first_name": first_name(by_pk[row.person_id].full_name),
                "venue": {"short_code": row.venue.short_code, "name": row.venue.name},
                "entry_point": {"name": row.entry_point.name},
                "decision": row.decision,
                "door_colour": DECISION_COLOUR.get(row.decision, ""),
                "scanned_at": row.scanned_at,
                "checked_in_at": row.checked_in_at,
                "checked_out_at": row.checked_out_at,
                "checkout_method": row.checkout_method,
                "through_this_partner": row.request.nonce in mine,
            }
            for row in rows
        ],
    }
