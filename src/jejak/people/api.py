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

from jejak.api import ApiError
from jejak.people import services
from jejak.people.access import is_visitor
from jejak.people.errors import PeopleError, Reason
from jejak.people.models import Person

router = Router(tags=["people"])


class PersonOut(Schema):
    public_id: str
    nik: str
    nik_masked: str
    full_name: str
    birth_date: dt.date
    sex: str
    relation: str


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
        "nik": services.decrypt_nik(person),
        "nik_masked": person.nik_masked,
        "full_name": person.full_name,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "relation": person.relation,
    }


@router.get("/profile", response=PersonOut)
def get_profile(request: HttpRequest) -> dict[str, Any]:
    """The caller's own profile, with the full NIK."""
    person = services.own_profile(account=_visitor(request))
    if person is None:
        raise _refused(PeopleError(Reason.PROFILE_MISSING))
    return _out(person)


@router.put("/profile", response=PersonOut)
def put_profile(request: HttpRequest, body: ProfileIn) -> dict[str, Any]:
    """Create or replace the caller's own profile."""
    account = _visitor(request)
    try:
        person = services.set_own_profile(account=account, **body.model_dump())
    except PeopleError as exc:
        raise _refused(exc) from None
    return _out(person)


@router.get("/dependants", response=list[PersonOut])
def list_dependants(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's dependants, with their full NIKs."""
    return [_out(p) for p in services.dependants_of(account=_visitor(request))]


@router.post("/dependants", response={201: PersonOut})
def add_dependant(request: HttpRequest, body: DependantIn) -> Status[dict[str, Any]]:
    """Add a family member the caller checks in for."""
    account = _visitor(request)
    try:
        person = services.add_dependant(account=account, **body.model_dump())
    except PeopleError as exc:
        raise _refused(exc) from None
    return Status(201, _out(person))


@router.patch("/dependants/{public_id}", response=PersonOut)
def update_dependant(request: HttpRequest, public_id: str, body: DependantPatch) -> dict[str, Any]:
    """Change some of a dependant's details."""
    account = _visitor(request)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    try:
        person = services.update_dependant(account=account, public_id=public_id, **changes)
    except PeopleError as exc:
        raise _refused(exc) from None
    return _out(person)


@router.delete("/dependants/{public_id}", response={204: None})
def remove_dependant(request: HttpRequest, public_id: str) -> Status[None]:
    """Remove a dependant; their NIK may then be added by another account."""
    account = _visitor(request)
    try:
        services.remove_dependant(account=account, public_id=public_id)
    except PeopleError as exc:
        raise _refused(exc) from None
    return Status(204, None)


@router.get("/claim-attempts", response=ClaimAttemptsOut)
def claim_attempts(request: HttpRequest) -> dict[str, Any]:
    """When other accounts tried to add one of the caller's NIKs (never who)."""
    attempts = services.claim_attempts_for(_visitor(request))
    return {
        "count": len(attempts),
        "attempts": [
            {"person": a.person.public_id, "nik_masked": a.person.nik_masked, "at": a.at}
            for a in attempts
        ],
    }
