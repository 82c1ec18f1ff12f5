"""Screening endpoints under /api/v1/: the owner's statuses, an officer's purpose-bound
look-up, and a guard's check of a status pass."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from jejak.accounts.capabilities import Cap, has_capability, require, signed_in_user
from jejak.accounts.jurisdiction import region_code_visible_to
from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.core.api_errors import ApiError
from jejak.people.access import is_visitor
from jejak.people.errors import Reason as PeopleReason
from jejak.people.masking import mask_nik
from jejak.people.models import Relation
from jejak.people.nik import nik_index
from jejak.screening import service
from jejak.screening.errors import ErrorCode, PassError, ScreeningError
from jejak.screening.passes import do_verify_status_pass

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser

router = Router(tags=["screening"])


class ErrorOut(Schema):
    code: str
    message: str


class PersonStatusOut(Schema):
    person: str  # "self" or the dependant's public_id
    name: str
    nik_masked: str
    colour: str
    reasons: list[str]
    rule_set: str


class StatusOut(Schema):
    colour: str
    reasons: list[str]
    rule_set: str


class LookupIn(Schema):
    nik: str
    # Identifiers are not credentials: a look-up says why it is made, and the audit keeps it.
    purpose: str = Field(..., min_length=10, max_length=500)


class LookupOut(StatusOut):
    nik_masked: str


class PassIn(Schema):
    # `pass` is a Python keyword; the JSON member keeps the natural name.
    scanned: str = Field(..., alias="pass")


class PassOut(Schema):
    genuine: bool
    current: bool
    colour: str
    reasons: list[str]
    rule_set: str
    full_name: str
    nik_masked: str
    issued_at: dt.datetime
    expires_at: dt.datetime


def _refused(exc: ScreeningError) -> ApiError:
    status = 503 if exc.code == ErrorCode.NO_RULE_SET else 400
    return ApiError(status, exc.code.value, exc.message)


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@router.get(
    "/me/status",
    response={200: list[PersonStatusOut], frozenset({403, 503}): ErrorOut},
    summary="Screening status of the signed-in visitor and their dependants",
)
def my_status(request: HttpRequest) -> list[dict[str, Any]]:
    """The colour, reasons and rule set of the account holder ("self") and each dependant
    (by public_id). Refusals: `visitor_only` 403 (staff accounts), `no_rule_set` 503."""
    if not is_visitor(request.user):
        raise ApiError(403, PeopleReason.VISITOR_ONLY.value, str(PeopleReason.VISITOR_ONLY.label))
    people = service.people_of(account=request.user)
    try:
        found = service.statuses_for_people(people)
    except ScreeningError as exc:
        raise _refused(exc) from None
    return [
        {
            "person": "self" if person.relation == Relation.SELF else person.public_id,
            "name": person.full_name,
            "nik_masked": person.nik_masked,
            **result.as_json(),
        }
        for person, result in zip(people, found, strict=True)
    ]


def _may_look_up(user: RequestUser, nik: str) -> bool:
    # A regional officer may look up NIKs issued in their region (the NIK's first six
    # digits are its district's Kemendagri code). NIK region is where the card was
    # issued, not where the person lives; case-bound access comes with tracing.
    if not has_capability(user, Cap.READ_HEALTH_STATUS) or len(nik) < 6:
        return False
    return region_code_visible_to(user, f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}")


@router.post(
    "/status/lookup",
    response={200: LookupOut, frozenset({400, 403, 503}): ErrorOut},
    summary="Look up a NIK's screening status (health officers; audited)",
)
def lookup(request: HttpRequest, payload: LookupIn) -> dict[str, Any]:
    """A NIK's status for a stated purpose, registered or not. Needs READ_HEALTH_STATUS and
    the NIK within the officer's region; every call is audited with the purpose.
    Refusals: `forbidden` 403, `outside_jurisdiction` 403, `nik_invalid` 400,
    `no_rule_set` 503."""
    require(request.user, Cap.READ_HEALTH_STATUS)
    nik = payload.nik.strip()
    # The officer's own words are `stated_purpose`; `purpose` is the audit's category.
    detail: dict[str, Any] = {
        "nik_masked": mask_nik(nik),
        "stated_purpose": payload.purpose.strip(),
    }

    def audited(**outcome: Any) -> None:
        # Refused or not, the row names the NIK's holder: probing shows to them too.
        audit.record_read(
            actor=request.user,
            action="screening.status_lookup",
            purpose=Purpose.STATUS_CHECK,
            subjects=[nik_index(nik)] if len(nik) == 16 and nik.isdigit() else [],
            ip=_client_ip(request),
            **detail,
            **outcome,
        )

    if not _may_look_up(request.user, nik):
        code = ErrorCode.OUTSIDE_JURISDICTION
        audited(error=code.value)
        raise ApiError(403, code.value, str(code.label))
    try:
        found = service.status_for_nik(nik)
    except ScreeningError as exc:
        audited(error=exc.code.value)
        raise _refused(exc) from None
    audited(colour=found.colour, rule_set=found.rule_set)
    return {**found.as_json(), "nik_masked": detail["nik_masked"]}


@router.post(
    "/status-pass/verify",
    response={200: PassOut, frozenset({400, 403, 404, 410}): ErrorOut},
    summary="Verify a scanned personal status pass (guards; audited)",
)
def verify_pass(request: HttpRequest, payload: PassIn) -> dict[str, Any]:
    """Whether a scanned status QR is genuine and current, and whose status it shows.

    Needs VERIFY_STATUS_PASS. Refusals carry a stable `code`: pass_malformed 400;
    pass_unknown_key, pass_bad_signature 403; pass_unknown 404; pass_expired 410 (a
    screenshot of an old pass). Branch on `code`, not on the status.
    """
    require(request.user, Cap.VERIFY_STATUS_PASS)
    try:
        view = do_verify_status_pass(
            scanned=payload.scanned, actor=signed_in_user(request), ip=_client_ip(request)
        )
    except PassError as exc:
        raise ApiError(exc.http_status, exc.code.value, exc.message) from None
    return {
        "genuine": view.genuine,
        "current": view.current,
        "colour": view.colour,
        "reasons": view.reasons,
        "rule_set": view.rule_set,
        "full_name": view.full_name,
        "nik_masked": view.nik_masked,
        "issued_at": view.issued_at,
        "expires_at": view.expires_at,
    }
