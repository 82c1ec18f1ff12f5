"""The visitor's own profile and dependants at /api/v1/me/...

Only the account holder reaches these endpoints (staff get 403 visitor_only), so they
return the full NIK; every other place shows `nik_masked`. Nothing here looks anyone up
by NIK: a NIK is only ever something the caller adds to their own account.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jejak.accounts.capabilities import Cap, require
from jejak.core.api_errors import ApiError
from jejak.people import approvals, corrections, service
from jejak.people.access import is_visitor
from jejak.people.errors import PeopleError, Reason
from jejak.people.models import Person

router = Router(tags=["people"])
# Officers' side: dependants off the family card, identity corrections (/api/v1/people).
officer_router = Router(tags=["people"])


class ErrorOut(Schema):
    code: str
    message: str


class PersonOut(Schema):
    public_id: str
    nik: str
    nik_masked: str
    full_name: str
    birth_date: dt.date
    sex: str
    relation: str
    # When the civil registry confirmed the NIK, name and birth date; null: not yet (the
    # person screens as `unverified` until then).
    identity_verified_at: dt.datetime | None


class ProfileIn(Schema):
    nik: str
    full_name: str
    birth_date: dt.date
    sex: str


class DependantIn(ProfileIn):
    relation: str


class DependantPatch(Schema):
    nik: str | None = None
    full_name: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None
    relation: str | None = None


class ClaimAttemptOut(Schema):
    person: str
    nik_masked: str
    at: dt.datetime


class ClaimAttemptsOut(Schema):
    count: int
    attempts: list[ClaimAttemptOut]


def _visitor(request: HttpRequest) -> Any:
    if not is_visitor(request.user):
        raise ApiError(403, Reason.VISITOR_ONLY.value, str(Reason.VISITOR_ONLY.label))
    return request.user


def _refused(exc: PeopleError) -> ApiError:
    return ApiError(exc.http_status, exc.code.value, exc.message)


def _out(person: Person) -> dict[str, Any]:
    return {
        "public_id": person.public_id,
        "nik": service.decrypt_nik(person),
        "nik_masked": person.nik_masked,
        "full_name": person.full_name,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "relation": person.relation,
        "identity_verified_at": person.identity_verified_at,
    }


@router.get("/profile", response={200: PersonOut, frozenset({403, 404}): ErrorOut})
def get_profile(request: HttpRequest) -> dict[str, Any]:
    """The caller's own profile, with the full NIK."""
    person = service.own_profile(account=_visitor(request))
    if person is None:
        raise _refused(PeopleError(Reason.PROFILE_MISSING))
    return _out(person)


_REFUSALS = frozenset({400, 403, 404, 409, 429, 503})


@router.put("/profile", response={200: PersonOut, _REFUSALS: ErrorOut})
def put_profile(request: HttpRequest, body: ProfileIn) -> dict[str, Any]:
    """Create or replace the caller's own profile. The NIK, name and birth date must match
    the civil registry (`identity_not_verified` otherwise, whatever differed); a verified
    NIK cannot be changed here (`identity_locked`: an officer corrects it)."""
    account = _visitor(request)
    try:
        person = service.set_own_profile(account=account, **body.model_dump())
    except PeopleError as exc:
        raise _refused(exc) from None
    return _out(person)


@router.get("/dependants", response={200: list[PersonOut], 403: ErrorOut})
def list_dependants(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's dependants, with their full NIKs."""
    return [_out(p) for p in service.dependants_of(account=_visitor(request))]


@router.post("/dependants", response={201: PersonOut, _REFUSALS: ErrorOut})
def add_dependant(request: HttpRequest, body: DependantIn) -> Status[dict[str, Any]]:
    """Add a family member the caller checks in for: the registry must match them and put
    them on the caller's family card (`not_on_family_card` otherwise: ask an officer
    through /me/dependant-requests)."""
    account = _visitor(request)
    try:
        person = service.add_dependant(account=account, **body.model_dump())
    except PeopleError as exc:
        raise _refused(exc) from None
    return Status(201, _out(person))


@router.patch("/dependants/{public_id}", response={200: PersonOut, _REFUSALS: ErrorOut})
def update_dependant(request: HttpRequest, public_id: str, body: DependantPatch) -> dict[str, Any]:
    """Change some of a dependant's details."""
    account = _visitor(request)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    try:
        person = service.update_dependant(account=account, public_id=public_id, **changes)
    except PeopleError as exc:
        raise _refused(exc) from None
    return _out(person)


@router.delete("/dependants/{public_id}", response={204: None, frozenset({403, 404}): ErrorOut})
def remove_dependant(request: HttpRequest, public_id: str) -> Status[None]:
    """Remove a dependant; their NIK may then be added by another account."""
    account = _visitor(request)
    try:
        service.remove_dependant(account=account, public_id=public_id)
    except PeopleError as exc:
        raise _refused(exc) from None
    return Status(204, None)


@router.get("/claim-attempts", response={200: ClaimAttemptsOut, 403: ErrorOut})
def claim_attempts(request: HttpRequest) -> dict[str, Any]:
    """When other accounts tried to add one of the caller's NIKs (never who)."""
    attempts = service.claim_attempts_for(_visitor(request))
    return {
        "count": len(attempts),
        "attempts": [
            {"person": a.person.public_id, "nik_masked": a.person.nik_masked, "at": a.at}
            for a in attempts
        ],
    }


class DependantRequestIn(DependantIn):
    reason: str


class DependantRequestOut(Schema):
    public_id: str
    nik_masked: str
    full_name: str
    relation: str
    status: str
    reason: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str
    person: str | None


def request_out(request: Any) -> dict[str, Any]:
    return {
        "public_id": request.public_id,
        "nik_masked": request.nik_masked,
        "full_name": request.full_name,
        "relation": request.relation,
        "status": request.status,
        "reason": request.reason,
        "requested_at": request.requested_at,
        "decided_at": request.decided_at,
        "decision_reason": request.decision_reason,
        "person": request.person.public_id if request.person_id else None,
    }


@router.post("/dependant-requests", response={202: DependantRequestOut, _REFUSALS: ErrorOut})
def request_dependant(request: HttpRequest, body: DependantRequestIn) -> Status[dict[str, Any]]:
    """Ask a health officer to add a family member who is not on the caller's family card
    (an elderly parent on another KK, a ward), with a reason. The registry must match the
    person first; the officer's decision arrives in the app and by SMS."""
    account = _visitor(request)
    try:
        found = approvals.request_dependant(account=account, **body.model_dump())
    except PeopleError as exc:
        raise _refused(exc) from None
    return Status(202, request_out(found))


@router.get("/dependant-requests", response={200: list[DependantRequestOut], 403: ErrorOut})
def my_dependant_requests(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's requests and their decisions, newest first."""
    return [request_out(r) for r in approvals.requests_of(account=_visitor(request))]


class DecisionIn(Schema):
    reason: str


class PendingRequestOut(DependantRequestOut):
    region_code: str


class CorrectionIn(Schema):
    current_nik: str
    nik: str
    full_name: str
    birth_date: dt.date
    sex: str
    reason: str


class CorrectedOut(Schema):
    public_id: str
    nik_masked: str
    full_name: str
    identity_verified_at: dt.datetime | None


class RefusalOut(Schema):
    at: dt.datetime
    nik_masked: str
    outcome: str
    backend: str
    purpose: str


def _officer(request: HttpRequest, cap: Cap) -> Any:
    require(request.user, cap)  # 403 forbidden for every other role
    return request.user


def _officer_refused(exc: PeopleError) -> ApiError:
    return ApiError(exc.http_status, exc.code.value, exc.message)


@officer_router.get("/dependant-requests", response={200: list[PendingRequestOut], 403: ErrorOut})
def pending_requests(request: HttpRequest) -> list[dict[str, Any]]:
    """Pending requests of the officer's region (APPROVE_DEPENDANTS; audited read)."""
    return [
        {**request_out(r), "region_code": r.region_code}
        for r in approvals.pending_for(_officer(request, Cap.APPROVE_DEPENDANTS))
    ]


@officer_router.post(
    "/dependant-requests/{public_id}/approve",
    response={200: DependantRequestOut, frozenset({400, 403, 404, 409}): ErrorOut},
)
def approve_request(request: HttpRequest, public_id: str, body: DecisionIn) -> dict[str, Any]:
    """Add the requested dependant, with the officer's reason (audited; the visitor is
    told). Refusals: request_not_found (also outside the officer's region),
    request_decided, reason_required, nik_claimed, too_many_dependants."""
    try:
        approvals.approve(
            officer=_officer(request, Cap.APPROVE_DEPENDANTS),
            public_id=public_id,
            reason=body.reason,
        )
    except PeopleError as exc:
        raise _officer_refused(exc) from None
    return request_out(approvals.DependantRequest.objects.get(public_id=public_id))


@officer_router.post(
    "/dependant-requests/{public_id}/reject",
    response={200: DependantRequestOut, frozenset({400, 403, 404, 409}): ErrorOut},
)
def reject_request(request: HttpRequest, public_id: str, body: DecisionIn) -> dict[str, Any]:
    """Refuse the request with a reason the visitor is told (audited)."""
    try:
        found = approvals.reject(
            officer=_officer(request, Cap.APPROVE_DEPENDANTS),
            public_id=public_id,
            reason=body.reason,
        )
    except PeopleError as exc:
        raise _officer_refused(exc) from None
    return request_out(found)


@officer_router.post(
    "/identity-corrections",
    response={200: CorrectedOut, frozenset({400, 403, 404, 409, 503}): ErrorOut},
)
def correct_identity(request: HttpRequest, body: CorrectionIn) -> dict[str, Any]:
    """Correct the verified identity of the person holding `current_nik` (CORRECT_IDENTITY,
    the person's region). The new NIK, name and birth date must match the registry; the
    old and new masked NIK and the reason are audited and the owner is told."""
    try:
        person = corrections.correct_identity(
            officer=_officer(request, Cap.CORRECT_IDENTITY), **body.model_dump()
        )
    except PeopleError as exc:
        raise _officer_refused(exc) from None
    return {
        "public_id": person.public_id,
        "nik_masked": person.nik_masked,
        "full_name": person.full_name,
        "identity_verified_at": person.identity_verified_at,
    }


@officer_router.get(
    "/identity-refusals",
    response={200: list[RefusalOut], frozenset({400, 403, 404}): ErrorOut},
)
def identity_refusals(request: HttpRequest, nik: str) -> list[dict[str, Any]]:
    """The registry's exact refusals of a NIK (not found, name or birth date mismatch,
    deceased), for an officer of its region; audited."""
    try:
        found = corrections.refusals_for(officer=_officer(request, Cap.CORRECT_IDENTITY), nik=nik)
    except PeopleError as exc:
        raise _officer_refused(exc) from None
    return [
        {
            "at": r.at,
            "nik_masked": r.nik_masked,
            "outcome": r.outcome,
            "backend": r.backend,
            "purpose": r.purpose,
        }
        for r in found
    ]
