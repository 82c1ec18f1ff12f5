"""Tracing endpoints under /api/v1/tracing (health officers), and the public
/api/v1/exposure-sites. Parse, authorise, call one service, respond.

Refusals carry a stable `code`: case_not_found, contact_not_found, cluster_not_found,
run_not_found, person_unknown 404; not_in_jurisdiction, home_region_only 403;
case_closed, not_searched, already_a_case 409; window_invalid, window_too_long,
reason_required, date_in_future, no_contacts_chosen 400. A case outside the caller's
jurisdiction is a 404; one seen through the caller's venues only is shown in part
(tracing/access.py).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime

from jejak.accounts.capabilities import Cap, require, signed_in_user
from jejak.core.api_errors import ApiError
from jejak.tracing import access, cases, designation, exports, mass, reads
from jejak.tracing.access import (
    access_case,
    access_cluster,
    access_contact,
    client_ip,
    clusters_visible_to,
)
from jejak.tracing.clusters import acknowledge_cluster  # by name: `clusters` is an endpoint
from jejak.tracing.errors import Reason, TracingError
from jejak.tracing.models import Case, ClusterAlert, Contact, TracingProfile, TracingRun
from jejak.tracing.public import published_sites
from jejak.tracing.search import search_contacts  # by name: `search` is an endpoint

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser

router = Router(tags=["tracing"])
public_router = Router(tags=["tracing"])

ERRORS = frozenset({400, 403, 404, 409})
StatusFilter = Literal["", "open", "contacts_identified", "notified", "closed"]


class ErrorOut(Schema):
    code: str
    message: str


def _refused(exc: TracingError) -> ApiError:
    return ApiError(exc.http_status, exc.code.value, exc.message)


# Not "PersonOut": the OpenAPI components are named by class, and the people app has one.
class CasePersonOut(Schema):
    public_id: str
    full_name: str
    nik_masked: str


class ProfileOut(Schema):
    slug: str
    version: int
    name: str
    pathogen: str


class CaseOut(Schema):
    id: int
    status: str
    source: str
    person: CasePersonOut
    specimen_date: dt.date
    symptom_onset: dt.date | None
    isolation_started_at: dt.datetime
    window_start: dt.datetime
    window_end: dt.datetime
    opened_at: dt.datetime
    parent_case: int | None
    home_region_code: str
    searched_at: dt.datetime | None
    notified_at: dt.datetime | None
    closed_at: dt.datetime | None
    # The tracing profile the case is traced with, and the one its last search used.
    profile: ProfileOut | None
    searched_with: ProfileOut | None


class VisitOut(Schema):
    venue: str
    short_code: str
    start: dt.datetime
    end: dt.datetime


class WindowChangeOut(Schema):
    changed_at: dt.datetime
    changed_by: str
    old_start: dt.datetime
    old_end: dt.datetime
    new_start: dt.datetime
    new_end: dt.datetime
    reason: str


class CaseDetailOut(CaseOut):
    # True when you see the case only through venues of your region: the visits,
    # contacts and counts are those of your region's venues, and the window history is
    # not shown.
    partial: bool
    visits: list[VisitOut]
    window_changes: list[WindowChangeOut]
    contacts: int
    close_contacts: int


def _case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "status": case.status,
        "source": case.source,
        "person": {
            "public_id": case.person.public_id,
            "full_name": case.person.full_name,
            "nik_masked": case.person.nik_masked,
        },
        "specimen_date": case.specimen_date,
        "symptom_onset": case.symptom_onset,
        "isolation_started_at": case.isolation_started_at,
        "window_start": case.window_start,
        "window_end": case.window_end,
        "opened_at": case.opened_at,
        "parent_case": case.parent_case_id,
        "home_region_code": case.home_region_code,
        "searched_at": case.searched_at,
        "notified_at": case.notified_at,
        "closed_at": case.closed_at,
        "profile": _profile_out(case.profile),
        "searched_with": _profile_out(case.searched_with),
    }


def _profile_out(row: TracingProfile | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"slug": row.slug, "version": row.version, "name": row.name, "pathogen": row.pathogen}


def _case_detail(case: Case, user: RequestUser) -> dict[str, Any]:
    contacts = access.contacts_visible_to(user, case.contacts.all())
    visits = access.case_visits_visible_to(user, case.visits.select_related("venue"))
    changes = access.window_changes_visible_to(
        user, case.window_changes.select_related("changed_by")
    )
    return {
        **_case_out(case),
        "partial": not access.sees_whole_case(user, case),
        "visits": [
            {
                "venue": v.venue.name,
                "short_code": v.venue.short_code,
                "start": v.start,
                "end": v.end,
            }
            for v in visits
        ],
        "window_changes": [
            {
                "changed_at": w.changed_at,
                "changed_by": w.changed_by.username if w.changed_by else "",
                "old_start": w.old_start,
                "old_end": w.old_end,
                "new_start": w.new_start,
                "new_end": w.new_end,
                "reason": w.reason,
            }
            for w in changes
        ],
        "contacts": contacts.count(),
        "close_contacts": contacts.filter(is_close=True).count(),
    }


class ContactVisitOut(Schema):
    venue: str
    short_code: str
    sector: str
    start: dt.datetime
    end: dt.datetime
    minutes: float
    # Exact to the second, with the venue type's minimum that the threshold compares it
    # to (absent from searches stored before they were recorded).
    seconds: int | None = None
    duration: str | None = None
    min_contact_minutes: int | None = None
    weight: str
    # The case's infectiousness that day (the profile's weight for `day`, relative to
    # onset or specimen); absent from searches before profiles (every day weighed 1).
    infectiousness: str | None = None
    day: int | None = None
    employee: bool


class ContactOut(Schema):
    id: int
    rank: int
    person: CasePersonOut
    phone_masked: str
    score: float
    minutes: int
    seconds: int
    is_close: bool
    is_employee: bool
    last_exposure_at: dt.datetime
    designated_at: dt.datetime | None
    notified_at: dt.datetime | None
    informed_at: dt.datetime | None
    visits: list[ContactVisitOut]


def _contact_out(c: Contact) -> dict[str, Any]:
    return {
        "id": c.pk,
        "rank": c.rank,
        "person": {
            "public_id": c.person.public_id,
            "full_name": c.person.full_name,
            "nik_masked": c.person.nik_masked,
        },
        "phone_masked": c.person.account.phone_masked,
        "score": float(c.score),
        "minutes": c.minutes,
        "seconds": c.seconds,
        "is_close": c.is_close,
        "is_employee": c.is_employee,
        "last_exposure_at": c.last_exposure_at,
        "designated_at": c.designated_at,
        "notified_at": c.notified_at,
        "informed_at": c.informed_at,
        "visits": c.visits,
    }


class CaseIn(Schema):
    nik: str = Field(..., min_length=16, max_length=16)
    specimen_date: dt.date
    symptom_onset: dt.date | None = None
    isolation_started_at: AwareDatetime | None = None
    # A tracing profile's slug (its latest version); the deployment's default if absent.
    profile: str | None = Field(None, max_length=40)


class SecondGenerationIn(Schema):
    specimen_date: dt.date
    symptom_onset: dt.date | None = None


class WindowIn(Schema):
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(..., max_length=300)


class DesignateIn(Schema):
    # Omitted or null: every close contact.
    contacts: list[int] | None = Field(None, max_length=5000)


class DesignatedOut(Schema):
    designated: int
    informed: int
    sites_published: int


class MessageOut(Schema):
    channel: str
    recipient: str
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class ClusterOut(Schema):
    id: int
    venue: str
    short_code: str
    cases: list[int]
    period_start: dt.datetime
    period_end: dt.datetime
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None


def _cluster_out(alert: ClusterAlert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "venue": alert.venue.name,
        "short_code": alert.venue.short_code,
        "cases": sorted(c.pk for c in alert.cases.all()),
        "period_start": alert.period_start,
        "period_end": alert.period_end,
        "raised_at": alert.raised_at,
        "acknowledged_at": alert.acknowledged_at,
    }


class ExposureSiteOut(Schema):
    venue: str
    short_code: str
    sector: str
    district: str
    city: str
    window_start: dt.datetime
    window_end: dt.datetime


def _case(request: HttpRequest, case_id: int, cap: Cap = Cap.TRACE_CASES) -> Case:
    try:
        return access_case(request.user, case_id, cap=cap, ip=client_ip(request))
    except TracingError as exc:
        raise _refused(exc) from None


@router.get(
    "/cases",
    response={200: list[CaseOut], 403: ErrorOut},
    summary="Cases in your jurisdiction",
)
def list_cases(request: HttpRequest, status: StatusFilter = "") -> list[dict[str, Any]]:
    """Newest first, at most 500. Every call is audited."""
    cases = reads.list_cases(actor=signed_in_user(request), status=status, ip=client_ip(request))
    return [_case_out(c) for c in cases]


@router.post("/cases", response={201: CaseDetailOut, ERRORS: ErrorOut}, summary="Open a case")
def create_case(request: HttpRequest, payload: CaseIn) -> Status[dict[str, Any]]:
    """Open a case by the person's NIK, with the default window (2 days before onset, or
    before the specimen date, until isolation starts; isolation defaults to now)."""
    try:
        case = cases.open_case_by_nik(
            nik=payload.nik,
            actor=signed_in_user(request),
            specimen_date=payload.specimen_date,
            symptom_onset=payload.symptom_onset,
            isolation_started_at=payload.isolation_started_at,
            profile=cases.chosen_profile(payload.profile),
            ip=client_ip(request),
        )
    except TracingError as exc:
        raise _refused(exc) from None
    return Status(201, _case_detail(case, request.user))


@router.get("/cases/{case_id}", response={200: CaseDetailOut, ERRORS: ErrorOut})
def case_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """One case with its visits and window history (audited)."""
    case = _case(request, case_id)
    reads.read_case(case=case, actor=signed_in_user(request), ip=client_ip(request))
    return _case_detail(case, request.user)


@router.post("/cases/{case_id}/window", response={200: CaseDetailOut, ERRORS: ErrorOut})
def change_window(request: HttpRequest, case_id: int, payload: WindowIn) -> dict[str, Any]:
    """Move the infectious window; the reason is kept with the old and new bounds."""
    case = _case(request, case_id)
    try:
        cases.change_window(
            case=case, actor=signed_in_user(request), start=payload.start, end=payload.end,
            reason=payload.reason,
        )  # fmt: skip
    except TracingError as exc:
        raise _refused(exc) from None
    return _case_detail(case, request.user)


@router.post("/cases/{case_id}/search", response={200: list[ContactOut], ERRORS: ErrorOut})
def search(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    """Run the contact search now and return the ranked contacts (audited)."""
    user = signed_in_user(request)
    case = _case(request, case_id)
    try:
        search_contacts(case=case, actor=user)
    except TracingError as exc:
        raise _refused(exc) from None
    contacts = reads.read_contacts(case=case, actor=user, ip=client_ip(request))
    return [_contact_out(c) for c in contacts]


@router.get("/cases/{case_id}/contacts", response={200: list[ContactOut], ERRORS: ErrorOut})
def contacts(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    """The ranked contacts of the last search, each with its shared visits (audited)."""
    case = _case(request, case_id)
    found = reads.read_contacts(case=case, actor=signed_in_user(request), ip=client_ip(request))
    return [_contact_out(c) for c in found]


@router.post("/cases/{case_id}/designate", response={200: DesignatedOut, ERRORS: ErrorOut})
def designate(request: HttpRequest, case_id: int, payload: DesignateIn) -> dict[str, Any]:
    """Confirm contacts as close contacts (all close ones when `contacts` is omitted),
    notify them, publish the exposure sites and inform the visitors below the threshold."""
    case = _case(request, case_id, Cap.DESIGNATE_CONTACTS)
    try:
        done = designation.designate_contacts(
            case=case,
            actor=signed_in_user(request),
            contact_ids=payload.contacts,
            ip=client_ip(request),
        )
    except TracingError as exc:
        raise _refused(exc) from None
    return {
        "designated": done.designated,
        "informed": done.informed,
        "sites_published": done.sites_published,
    }


@router.get("/cases/{case_id}/notifications", response={200: list[MessageOut], ERRORS: ErrorOut})
def notifications(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    """The delivery status of every message sent for the case (for a case you see
    through your region's venues, the messages to the contacts you see)."""
    case = _case(request, case_id)
    shown = reads.read_messages(case=case, actor=signed_in_user(request), ip=client_ip(request))
    return [
        {
            "channel": m.channel,
            "recipient": m.recipient_masked,
            "status": m.status,
            "attempts": m.attempts,
            "last_error": m.last_error,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
        }
        for m in shown
    ]


@router.get(
    "/cases/{case_id}/export",
    response={ERRORS: ErrorOut},
    openapi_extra={
        "responses": {
            200: {
                "description": "The contact list, as an attachment",
                "content": {
                    media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in (
                        "text/csv",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    )
                },
            }
        }
    },
)
def export(
    request: HttpRequest, case_id: int, format: Literal["csv", "xlsx"] = "csv"
) -> HttpResponse:
    """The case's contact list as CSV or XLSX (formula-safe; audited with its row count):
    for a case you see through your region's venues, the contacts made there."""
    case = _case(request, case_id, Cap.EXPORT_CONTACTS)
    content, kind, name = exports.export_contacts(
        case=case, actor=signed_in_user(request), fmt=format, ip=client_ip(request)
    )
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post("/cases/{case_id}/close", response={200: CaseOut, ERRORS: ErrorOut})
def close(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = _case(request, case_id)
    try:
        return _case_out(cases.close_case(case=case, actor=signed_in_user(request)))
    except TracingError as exc:
        raise _refused(exc) from None


@router.post(
    "/contacts/{contact_id}/case",
    response={201: CaseDetailOut, ERRORS: ErrorOut},
    summary="Open a second-generation case from a contact",
)
def case_from_contact(
    request: HttpRequest, contact_id: int, payload: SecondGenerationIn
) -> Status[dict[str, Any]]:
    try:
        contact = access_contact(request.user, contact_id, ip=client_ip(request))
        case = cases.open_case_from_contact(
            contact=contact,
            actor=signed_in_user(request),
            specimen_date=payload.specimen_date,
            symptom_onset=payload.symptom_onset,
        )
    except TracingError as exc:
        raise _refused(exc) from None
    return Status(201, _case_detail(case, request.user))


@router.get(
    "/clusters",
    response={200: list[ClusterOut], 403: ErrorOut},
    summary="Cluster alerts in your region",
)
def clusters(request: HttpRequest) -> list[dict[str, Any]]:
    require(request.user, Cap.TRACE_CASES)
    alerts = clusters_visible_to(request.user).select_related("venue").prefetch_related("cases")
    return [_cluster_out(a) for a in alerts[:200]]


@router.post("/clusters/{alert_id}/acknowledge", response={200: ClusterOut, ERRORS: ErrorOut})
def acknowledge(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    try:
        alert = access_cluster(request.user, alert_id)
    except TracingError as exc:
        raise _refused(exc) from None
    acknowledge_cluster(alert=alert, actor=signed_in_user(request))
    return _cluster_out(alert)


class RunErrorOut(Schema):
    case: int | None
    step: str
    code: str


class RunOut(Schema):
    """A mass tracing run: counts only, no person."""

    id: int
    source: str
    status: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    total: int
    processed: int
    percent: int
    seconds_left: int | None
    opened: int
    searched: int
    designated_contacts: int
    queued_for_officers: int
    cases_for_officers: int
    notified_people: int
    informed_people: int
    failed: int
    errors: list[RunErrorOut]


def _run_out(run: TracingRun) -> dict[str, Any]:
    progress = mass.estimate(run)
    return {
        **{name: getattr(run, name) for name in RunOut.model_fields if hasattr(run, name)},
        "percent": progress.percent,
        "seconds_left": progress.seconds_left,
    }


@router.get(
    "/runs",
    response={200: list[RunOut], 403: ErrorOut},
    summary="Mass tracing runs (counts only)",
)
def runs(request: HttpRequest) -> list[dict[str, Any]]:
    """The newest 100 runs of the health import's mass tracing, with their progress."""
    require(request.user, Cap.TRACE_CASES)
    return [_run_out(r) for r in TracingRun.objects.all()[:100]]


@router.get(
    "/runs/{run_id}",
    response={200: RunOut, 403: ErrorOut, 404: ErrorOut},
    url_name="tracing_run_status",
)
def run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """One mass tracing run: its counters, progress and time left (no person)."""
    require(request.user, Cap.TRACE_CASES)
    found = TracingRun.objects.filter(pk=run_id).first() if 0 < run_id < 2**63 else None
    if found is None:
        raise _refused(TracingError(Reason.RUN_NOT_FOUND))
    return _run_out(found)


@public_router.get(
    "/exposure-sites",
    auth=None,
    response=list[ExposureSiteOut],
    summary="Published exposure sites (public; no personal data)",
)
def exposure_sites(request: HttpRequest, response: HttpResponse) -> list[dict[str, Any]]:
    """Venues and time windows where a case was, published by a health officer, for the
    last 14 days. Cacheable for five minutes."""
    response["Cache-Control"] = "public, max-age=300"
    return published_sites(now=timezone.now())
