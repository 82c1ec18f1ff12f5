"""The authorization matrix: for every API operation and every page that shows personal
data, what each kind of caller gets. test_authorization_matrix.py runs it and fails when
an operation or a page has no row (or a row names something that no longer exists).

The callers, in every row:

- `anonymous`: no session, no token.
- `other_visitor`: a citizen of the same city with an account and a verified profile of
  her own (Dewi Kuning), who does not own the subject's data; a bearer token for the API.
- `other_venue_staff`: the manager of another venue of the same city (a manager holds
  every capability of venue staff, and more).
- `other_city_officer`: an officer of Kota Tangerang Selatan with the same role as the
  right caller; where the right caller is a citizen or a venue's staff, the role named
  by the row's `other_city` (a health officer for citizens' data).
- `right_role`: the owner of the data (Sari Hitam, a bearer token for the API) or the
  properly scoped officer of Kota Tangerang (or the national issuer, or the venue's own
  staff), named by the row's `right`.

An outcome is a status and, for the API's refusals, the stable reason code; a page's
anonymous caller is sent to a sign-in page, and a page that refuses a write inside a
form sends the caller back with a message (`bounced`). What the test asserts besides:

- No caller but the right one sees any of the world's secrets (authz_world.World.secrets:
  NIKs, phone numbers and names, findings, notes, messages ...), unless the outcome names
  them in `shows` (by design, with a note), nor a row's `hides` (a venue's code in a list
  scoped to the caller's jurisdiction).
- The right caller's answer contains the row's `reveals` (the data was there to leak)
  and none of its `withholds` (venue staff never learn who a visitor is); an officer's or
  staff member's answer never holds a NIK or phone number in full (authz_world.PLAINTEXT:
  only the owner sees those unmasked).
- A row's `effect` tells whether its write happened: only the right caller's may.

Identifiers in paths and bodies are the subject's (authz_world.World.values); rows
marked "through another venue" name the subject's object under a venue of the caller's
own (or of no one's), the insecure-direct-object-reference attempt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jejak.accounts import privacy
from jejak.accounts.models import ApiToken, PrivacyAcceptance, User
from jejak.audit.models import AuditEvent
from jejak.breaches.models import Breach
from jejak.checkins.models import BlackStatusAlert, CheckIn
from jejak.core.tests.authz_world import AUNT, MOTHER, SARI_BORN, SARI_NAME, SARI_SEX, SISTER, png
from jejak.followups.models import FollowUp
from jejak.inspections.models import Closure, Inspection
from jejak.notifications.models import Message
from jejak.partners.models import Connection
from jejak.people.models import DependantRequest, Person
from jejak.people.nik import nik_index
from jejak.rights.models import ExportRequest
from jejak.rosters.models import RosterEntry
from jejak.tracing.models import Case, Contact
from jejak.venues.models import EntryPoint, Venue

Values = Mapping[str, Any]

CALLERS = ("anonymous", "other_visitor", "other_venue_staff", "other_city_officer", "right_role")


@dataclass(frozen=True)
class Outcome:
    status: int
    code: str = ""  # the API's reason code of a refusal
    to: str = ""  # the URL name a page redirects to
    shows: tuple[str, ...] = ()  # secrets this caller may see (by design)
    note: str = ""
    refused: bool = False


def ok(status: int = 200, *, to: str = "", shows: tuple[str, ...] = (), note: str = "") -> Outcome:
    """Allowed: the caller's own data or their jurisdiction's (which may be none of the
    subject's: then no secret may appear)."""
    return Outcome(status, to=to, shows=shows, note=note)


def refused(status: int, code: str = "") -> Outcome:
    return Outcome(status, code=code, refused=True)


def bounced(status: int, *, to: str = "", shows: tuple[str, ...] = (), note: str = "") -> Outcome:
    """A page's refusal of a form: back to a page (or the form again) with the reason as
    a message; nothing written."""
    return Outcome(status, to=to, shows=shows, note=note, refused=True)


# The API's refusals (jejak/api.py renders them; codes are stable).
UNAUTHENTICATED = refused(401, "not_authenticated")
FORBIDDEN = refused(403, "forbidden")
VISITOR_ONLY = refused(403, "visitor_only")
VENUE_NOT_FOUND = refused(404, "venue_not_found")
# A partner's operations with anything but a partner's access token (partners/auth.py).
PARTNER_TOKEN_ONLY = refused(401, "invalid_token")
# Partners know people by pairwise identifiers and first names only.
PARTNERS_NEVER_SEE = ("sari_name", "sari_nik_masked", "sari_phone_masked", "brother_name")
# Pages: anonymous callers go to a sign-in page; others get a bare 403 or 404.
TO_LOGIN = Outcome(302, to="login", refused=True)
TO_VISITOR_LOGIN = Outcome(302, to="visitor_login", refused=True)
TO_ADMIN_LOGIN = Outcome(302, to="admin:login", refused=True)
PAGE_403 = refused(403)
PAGE_404 = refused(404)


@dataclass(frozen=True)
class Row:
    kind: str  # "api", "page" or "admin"
    method: str
    route: str  # the API path (OpenAPI, without /api/v1) or the URL name
    right: str  # the user key of the right caller (authz_world.World.users)
    outcomes: dict[str, Outcome]
    other_city: str = ""  # the other city's officer role; default: the right role's
    variant: str = ""
    params: dict[str, str] = field(default_factory=dict)  # path/URL kwarg -> values key
    query: dict[str, str] = field(default_factory=dict)  # name -> values key
    body: Callable[[Values], dict[str, Any]] | None = None
    multipart: bool = False
    reveals: tuple[str, ...] = ()  # secrets or markers the right caller's answer contains
    hides: tuple[str, ...] = ()  # markers no other caller may see (secrets never)
    withholds: tuple[str, ...] = ()  # secrets not even the right caller may see
    effect: Callable[[Values], bool] | None = None  # did the write happen?
    right_effect: bool = True  # whether the right caller's own call makes `effect` true
    note: str = ""

    @property
    def label(self) -> str:
        where = f"page:{self.route}" if self.kind == "page" else self.route
        return f"{self.method} {where}" + (f" [{self.variant}]" if self.variant else "")


def _row(
    kind: str,
    method: str,
    route: str,
    right: str,
    expect: tuple[Outcome, Outcome, Outcome, Outcome, Outcome],
    **kwargs: Any,
) -> Row:
    return Row(kind, method, route, right, dict(zip(CALLERS, expect, strict=True)), **kwargs)


def api(method: str, path: str, right: str, *expect: Outcome, **kwargs: Any) -> Row:
    """An API row; the five outcomes in CALLERS order."""
    assert len(expect) == 5
    return _row("api", method, path, right, expect, **kwargs)


def page(method: str, name: str, right: str, *expect: Outcome, **kwargs: Any) -> Row:
    assert len(expect) == 5
    return _row("page", method, name, right, expect, **kwargs)


# A visitor's page sends staff to their own start page.
STAFF_TO_START = bounced(302, to="dashboard", note="staff are sent to their own start page")

# Venue staff learn a visitor's colour at the door, never who the visitor is.
STAFF_NEVER_SEE = ("sari_name", "sari_nik_masked", "sari_phone_masked")

# --- Bodies and effects ------------------------------------------------------------------


def _identity(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}


def sari_profile(v: Values) -> dict[str, Any]:
    return _identity(
        {"nik": v["sari_nik"], "full_name": SARI_NAME, "birth_date": SARI_BORN, "sex": SARI_SEX}
    )


def _person_gone(key: str) -> Callable[[Values], bool]:
    return lambda v: not Person.objects.filter(public_id=v[key]).exists()


def _has_person(nik: str, *, not_of: str = "") -> Callable[[Values], bool]:
    def check(v: Values) -> bool:
        found = Person.objects.filter(nik_index=nik_index(v.get(nik, nik)))
        return found.exclude(account_id=v[not_of]).exists() if not_of else found.exists()

    return check


def _disconnected(v: Values) -> bool:
    return Connection.objects.filter(
        pk=v["sari_connection_id"], disconnected_at__isnull=False
    ).exists()


def _second_export(v: Values) -> bool:
    return ExportRequest.objects.filter(account_id=v["sari_id"]).count() > 1


def _decided(v: Values) -> bool:
    return bool(DependantRequest.objects.get(public_id=v["request_public_id"]).status != "pending")


def _case_status(status: str) -> Callable[[Values], bool]:
    return lambda v: Case.objects.get(pk=v["case_id"]).status == status


def _designated(v: Values) -> bool:
    return Contact.objects.filter(pk=v["contact_id"], designated_at__isnull=False).exists()


def _second_case(v: Values) -> bool:
    return Case.objects.filter(parent_case_id=v["case_id"]).exists()


def _stay_closed(v: Values) -> bool:
    return CheckIn.objects.filter(
        public_id=v["open_checkin_public_id"], checked_out_at__isnull=False
    ).exists()


def _read(v: Values) -> bool:
    return Message.objects.filter(pk=v["message_id"], read_at__isnull=False).exists()


def _token_revoked(key: str) -> Callable[[Values], bool]:
    return lambda v: ApiToken.objects.filter(pk=v[key], revoked_at__isnull=False).exists()


def _accepted_privacy_notice(v: Values) -> bool:
    # Her sign-up's acceptance (the demo's) was on the web.
    return PrivacyAcceptance.objects.filter(user_id=v["sari_id"], channel="api").exists()


def _entry_ended(v: Values) -> bool:
    return RosterEntry.objects.filter(pk=v["entry_id"], ended_at__isnull=False).exists()


def _venue_status(status: str) -> Callable[[Values], bool]:
    return lambda v: Venue.objects.filter(short_code=v["short_code"], status=status).exists()


def _new_entrance(v: Values) -> bool:
    return EntryPoint.objects.filter(venue__short_code=v["short_code"], name="Pintu Uji").exists()


def _followup_changed(v: Values) -> bool:
    return FollowUp.objects.filter(pk=v["followup_id"], done=True).exists()


def _inspection_status(key: str, status: str) -> Callable[[Values], bool]:
    return lambda v: Inspection.objects.filter(pk=v[key], status=status).exists()


def _reinspection(v: Values) -> bool:
    return Inspection.objects.filter(previous_id=v["inspection_id"]).exists()


def _new_inspection(v: Values) -> bool:
    return Inspection.objects.filter(venue__short_code=v["short_code"]).count() > 2


def _lifted(v: Values) -> bool:
    return Closure.objects.filter(
        inspection_id=v["inspection_id"], lifted_at__isnull=False
    ).exists()


def _alert_acknowledged(v: Values) -> bool:
    return BlackStatusAlert.objects.filter(
        pk=v["black_alert_id"], acknowledged_at__isnull=False
    ).exists()


def _staff_inactive(v: Values) -> bool:
    from jejak.accounts.models import User

    staff = User.objects.get(pk=v["staff_id"])
    return not staff.is_active or not staff.venues.filter(short_code=v["short_code"]).exists()


def _dependant_checked_in(v: Values) -> bool:
    return CheckIn.objects.filter(person__public_id=v["dependant_public_id"]).exists()


def _new_followup(v: Values) -> bool:
    return FollowUp.objects.filter(venue__short_code=v["short_code"]).count() > 1


def _new_roster_entry(v: Values) -> bool:
    return RosterEntry.objects.filter(venue__short_code=v["short_code"]).count() > 1


def _corrected(v: Values) -> bool:
    return Person.objects.filter(nik_index=nik_index(v["corrected_nik"])).exists()


def _account_closed(v: Values) -> bool:
    return not User.objects.filter(pk=v["sari_id"], is_active=True).exists()


def _breach(v: Values) -> Breach:
    return Breach.objects.get(public_id=v["breach_public_id"])


def _breach_selects_everyone(v: Values) -> bool:
    return _breach(v).select_all_accounts


def _breach_redrafted(v: Values) -> bool:
    # The world's draft was the system's; a caller's would be audited with its actor.
    return AuditEvent.objects.filter(
        action="breaches.notices_drafted", actor__isnull=False
    ).exists()


def _breach_status(status: str) -> Callable[[Values], bool]:
    return lambda v: _breach(v).status == status


def _breach_reported(v: Values) -> bool:
    return _breach(v).reported_to_authority_at is not None


def _manual_checkin(v: Values) -> bool:
    return CheckIn.objects.filter(person_id=v["sari_person_id"]).count() > v["sari_checkins"]


def _health_csv(v: Values) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = (
        "nik,record_type,date,end_date,datetime,dose_number,product,product_code,method,"
        "result,lab,reason"
    )
    line = f"{MOTHER['nik']},vaccination,{v['today']},,,1,CoronaVac,,,,,"
    return {"file": SimpleUploadedFile("dosis.csv", f"{header}\n{line}\n".encode(), "text/csv")}


def _roster_csv(v: Values) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = f"phone,role,valid_from,valid_until\n{v['ahmad_phone']},Kasir,{v['today']},\n"
    return {"file": SimpleUploadedFile("karyawan.csv", text.encode(), "text/csv")}


def _checklist(result: str) -> dict[str, Any]:
    from jejak.inspections.models import ChecklistItem

    return {item.value: {"result": result, "note": ""} for item in ChecklistItem}


def status_pass(v: Values) -> dict[str, Any]:
    """A pass Sari's phone shows now (a pass lives five minutes: issued when it is sent)."""
    from jejak.screening.passes import issue_pass

    return {"pass": issue_pass(person=Person.objects.get(pk=v["sari_person_id"])).token}


def _tomorrow(v: Values) -> str:
    return (dt.date.fromisoformat(v["today"]) + dt.timedelta(days=1)).isoformat()


def _photos(v: Values) -> dict[str, Any]:
    return {"photos": [png()]}


# --- The API ------------------------------------------------------------------------------

# Public operations (auth=None): they show no personal data; the test checks that the
# OpenAPI document really asks no authentication for them and that an anonymous answer
# carries no secret.
PUBLIC_API: dict[str, str] = {
    "POST /auth/otp": "sends a sign-in code; the answer is the same for any number",
    "POST /auth/verify": "exchanges a code for a token (the caller's own account)",
    "GET /privacy-notice": "the privacy notice's version, controller and DPO contact",
    "POST /qr/verify": "names a venue entrance from a scanned poster code",
    "GET /checkins/preview": "venue, entrance and crowd of a scanned code",
    "GET /exposure-sites": "published venues and windows, no person",
    "GET /venues/{short_code}/around": "a venue's crowd, recent exposure windows and its "
    "kecamatan's zone; counts and times, no person",
}

API_ROWS: list[Row] = [
    # accounts: tokens and sign-out act on the caller's own account only.
    api("POST", "/auth/logout", "sari",
        UNAUTHENTICATED, ok(204), ok(204), ok(204), ok(204),
        other_city="health_officer", effect=_token_revoked("sari_token_id"),
        note="everyone signs themselves out; only Sari's call revokes Sari's token"),
    api("GET", "/me/tokens", "sari",
        UNAUTHENTICATED, ok(), ok(), ok(), ok(), other_city="health_officer"),
    api("DELETE", "/me/tokens/{token_id}", "sari",
        UNAUTHENTICATED, refused(404, "token_not_found"), refused(404, "token_not_found"),
        refused(404, "token_not_found"), ok(204),
        other_city="health_officer", effect=_token_revoked("token_id")),
    # The privacy notice: a visitor accepts it for her own account; staff are not asked.
    api("POST", "/privacy-notice/accept", "sari",
        UNAUTHENTICATED, ok(), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", body=lambda v: {"version": privacy.current_version()},
        effect=_accepted_privacy_notice,
        note="another visitor's call records her own acceptance, never Sari's"),
    # erasure: a visitor closes her own account; nobody closes another's.
    api("GET", "/me/closure", "sari",
        UNAUTHENTICATED, ok(), VISITOR_ONLY, VISITOR_ONLY, ok(), other_city="health_officer"),
    api("POST", "/me/closure", "sari",
        UNAUTHENTICATED, ok(202), VISITOR_ONLY, VISITOR_ONLY, ok(202),
        other_city="health_officer", body=lambda v: {"confirm": True},
        effect=_account_closed, note="another visitor's call closes her own account"),
    # people: the visitor's own profile and dependants (staff: visitor_only).
    api("GET", "/me/profile", "sari",
        UNAUTHENTICATED, ok(), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", reveals=("sari_nik", "sari_name")),
    api("PUT", "/me/profile", "sari",
        UNAUTHENTICATED, refused(409, "identity_locked"), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", body=sari_profile, reveals=("sari_nik",),
        variant="Sari's identity",
        effect=_has_person("sari_nik", not_of="sari_id"), right_effect=False,
        note="another visitor cannot take Sari's NIK for her own profile"),
    api("GET", "/me/dependants", "sari",
        UNAUTHENTICATED, ok(), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", reveals=("brother_nik", "brother_name")),
    api("POST", "/me/dependants", "sari",
        UNAUTHENTICATED, refused(409, "not_on_family_card"), VISITOR_ONLY, VISITOR_ONLY,
        ok(201), other_city="health_officer",
        body=lambda v: _identity({**SISTER, "relation": "other"}),
        effect=_has_person(SISTER["nik"]), reveals=("sister_nik",),
        note="a person on Sari's family card is hers to add, nobody else's"),
    api("POST", "/me/dependants", "sari",
        UNAUTHENTICATED, refused(409, "not_on_family_card"), VISITOR_ONLY, VISITOR_ONLY,
        refused(409, "nik_already_added"), other_city="health_officer",
        variant="Sari's dependant's identity",
        body=lambda v: {**_identity(v["brother"]), "relation": "other"},
        effect=_has_person("brother_nik", not_of="sari_id"),
        note="reading a dependant's status by adding them to another account"),
    api("POST", "/me/dependants", "sari",
        UNAUTHENTICATED, refused(409, "not_on_family_card"), VISITOR_ONLY, VISITOR_ONLY,
        refused(409, "nik_already_added"), other_city="health_officer",
        variant="Sari's own identity",
        body=lambda v: {**sari_profile(v), "relation": "other"},
        effect=_has_person("sari_nik", not_of="sari_id"),
        note="reading Sari's status by adding her as a dependant"),
    api("PATCH", "/me/dependants/{public_id}", "sari",
        UNAUTHENTICATED, refused(404, "dependant_not_found"), VISITOR_ONLY, VISITOR_ONLY,
        ok(), other_city="health_officer", params={"public_id": "dependant_public_id"},
        body=lambda v: {"relation": "other"}, reveals=("brother_nik",)),
    api("DELETE", "/me/dependants/{public_id}", "sari",
        UNAUTHENTICATED, refused(404, "dependant_not_found"), VISITOR_ONLY, VISITOR_ONLY,
        ok(204), other_city="health_officer", params={"public_id": "dependant_public_id"},
        effect=_person_gone("dependant_public_id")),
    api("GET", "/me/claim-attempts", "sari",
        UNAUTHENTICATED, ok(), VISITOR_ONLY, VISITOR_ONLY, ok(), other_city="health_officer"),
    api("POST", "/me/dependant-requests", "sari",
        UNAUTHENTICATED, ok(202, note="her own request, for an officer to decide"),
        VISITOR_ONLY, VISITOR_ONLY, ok(202), other_city="health_officer",
        body=lambda v: {**_identity(AUNT), "relation": "other", "reason": "Bibi saya"}),
    api("POST", "/me/dependant-requests", "sari",
        UNAUTHENTICATED, refused(409, "nik_claimed"), VISITOR_ONLY, VISITOR_ONLY,
        refused(409, "nik_already_added"), other_city="health_officer",
        variant="Sari's own identity",
        body=lambda v: {**sari_profile(v), "relation": "other", "reason": "Saudara saya"},
        note="nik_claimed tells that the NIK has an account here (by design: the attempt is "
        "recorded and Sari sees it under /me/claim-attempts); no status, no name"),
    api("GET", "/me/dependant-requests", "sari",
        UNAUTHENTICATED, ok(), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", reveals=("mother_name",)),
    # people: the officers' side (APPROVE_DEPENDANTS, CORRECT_IDENTITY; the region).
    api("GET", "/people/dependant-requests", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok(), reveals=("mother_name",)),
    api("POST", "/people/dependant-requests/{public_id}/approve", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "request_not_found"), ok(),
        params={"public_id": "request_public_id"}, body=lambda v: {"reason": "KK ibu"},
        effect=_decided, reveals=("mother_name",)),
    api("POST", "/people/dependant-requests/{public_id}/reject", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "request_not_found"), ok(),
        params={"public_id": "request_public_id"}, body=lambda v: {"reason": "Tidak cocok"},
        effect=_decided),
    api("POST", "/people/identity-corrections", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "person_not_found"), ok(),
        body=lambda v: {
            **sari_profile(v), "current_nik": v["sari_nik"], "nik": v["corrected_nik"],
            "reason": "Salah ketik NIK",
        },
        effect=_corrected),
    api("GET", "/people/identity-refusals", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "person_not_found"), ok(),
        query={"nik": "sari_nik"}, reveals=("sari_nik_masked",)),
    # health: imports write records by NIK and answer counts only.
    api("POST", "/health/import", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN,
        ok(note="by design: national data carries NIKs of every region (docs/health-import.md)"),
        ok(), body=_health_csv, multipart=True),
    # screening
    api("GET", "/me/status", "sari",
        UNAUTHENTICATED, ok(), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", reveals=("sari_name", "brother_name")),
    api("POST", "/status/lookup", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(403, "outside_jurisdiction"), ok(),
        body=lambda v: {"nik": v["sari_nik"], "purpose": "Penyelidikan kontak erat"},
        reveals=("sari_nik_masked",)),
    api("POST", "/status-pass/verify", "venue_staff",
        UNAUTHENTICATED, FORBIDDEN,
        ok(shows=("sari_name", "sari_nik_masked"),
           note="by design: the owner shows her pass to a guard at any door"),
        ok(shows=("sari_name", "sari_nik_masked"), note="by design, as for any guard"),
        ok(), other_city="enforcement_officer",
        body=status_pass, reveals=("sari_name", "sari_nik_masked")),
    # venues (VIEW_VENUES, the jurisdiction; this API's own code unknown_venue)
    api("GET", "/rollout", "city_admin",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok()),
    api("GET", "/venues", "city_admin",
        UNAUTHENTICATED, FORBIDDEN, ok(), ok(), ok(), reveals=("venue_code",),
        hides=("venue_code",), note="each caller lists the venues of their own jurisdiction"),
    api("GET", "/venues/{short_code}", "city_admin",
        UNAUTHENTICATED, FORBIDDEN, refused(404, "unknown_venue"),
        refused(404, "unknown_venue"), ok(), reveals=("venue_code",)),
    api("POST", "/venues/{short_code}/transitions", "city_admin",
        UNAUTHENTICATED, FORBIDDEN, refused(404, "unknown_venue"),
        refused(404, "unknown_venue"), ok(),
        body=lambda v: {"action": "suspend", "reason": "Uji kewenangan"},
        effect=_venue_status("suspended")),
    # checkins
    api("POST", "/checkins", "sari",
        UNAUTHENTICATED, ok(201, note="her own check-in"), VISITOR_ONLY, VISITOR_ONLY,
        ok(201), other_city="health_officer",
        body=lambda v: {"qr": v["qr"], "nonce": v["nonce"], "people": ["self"]}),
    api("POST", "/checkins", "sari",
        UNAUTHENTICATED, refused(404, "person_unknown"), VISITOR_ONLY, VISITOR_ONLY,
        ok(201), other_city="health_officer", variant="Sari's dependant",
        body=lambda v: {"qr": v["qr"], "nonce": v["nonce"], "people": [v["dependant_public_id"]]},
        effect=_dependant_checked_in,
        note="checking in (and learning the colour of) another account's dependant"),
    api("GET", "/checkins/{public_id}", "sari",
        UNAUTHENTICATED, refused(404, "checkin_not_found"), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", params={"public_id": "checkin_public_id"},
        reveals=("venue_code",)),
    api("POST", "/checkins/{public_id}/checkout", "sari",
        UNAUTHENTICATED, refused(404, "checkin_not_found"), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", params={"public_id": "open_checkin_public_id"},
        effect=_stay_closed),
    api("POST", "/checkins/requests/{nonce}/checkout", "sari",
        UNAUTHENTICATED, refused(404, "checkin_not_found"), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", params={"nonce": "open_nonce"}, effect=_stay_closed),
    api("POST", "/checkins/venues/{short_code}/checkout-all", "venue_staff",
        UNAUTHENTICATED, FORBIDDEN, VENUE_NOT_FOUND, VENUE_NOT_FOUND, ok(),
        other_city="city_admin", effect=_stay_closed),
    # tracing (TRACE_CASES and the case's region; tracing/access.py)
    api("GET", "/tracing/cases", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok(), reveals=("sari_name",)),
    api("POST", "/tracing/cases", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(403, "not_in_jurisdiction"), ok(201),
        body=lambda v: {"nik": v["ahmad_nik"], "specimen_date": v["today"]},
        reveals=("ahmad_name",)),
    api("POST", "/tracing/cases", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(403, "not_in_jurisdiction"),
        refused(409, "already_a_case"), variant="Sari, an open case",
        body=lambda v: {"nik": v["sari_nik"], "specimen_date": v["today"]},
        note="another city's officer cannot learn that Sari is a case"),
    api("GET", "/tracing/cases/{case_id}", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "case_not_found"), ok(),
        reveals=("sari_name", "sari_nik_masked")),
    api("POST", "/tracing/cases/{case_id}/window", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "case_not_found"), ok(),
        body=lambda v: {"start": v["window_start"], "end": v["window_end"], "reason": "Uji"},
        reveals=("sari_name",)),
    api("POST", "/tracing/cases/{case_id}/search", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "case_not_found"), ok(),
        reveals=("ahmad_name",)),
    api("GET", "/tracing/cases/{case_id}/contacts", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "case_not_found"), ok(),
        reveals=("ahmad_name", "ahmad_nik_masked")),
    api("POST", "/tracing/cases/{case_id}/designate", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "case_not_found"), ok(),
        effect=_designated),
    api("GET", "/tracing/cases/{case_id}/notifications", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "case_not_found"), ok()),
    api("GET", "/tracing/cases/{case_id}/export", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "case_not_found"), ok(),
        reveals=("ahmad_name",)),
    api("POST", "/tracing/cases/{case_id}/close", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "case_not_found"), ok(),
        effect=_case_status("closed"), reveals=("sari_name",)),
    api("POST", "/tracing/contacts/{contact_id}/case", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "contact_not_found"), ok(201),
        body=lambda v: {"specimen_date": v["today"]}, effect=_second_case,
        reveals=("ahmad_name",)),
    api("GET", "/tracing/clusters", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok(), reveals=("venue_code",)),
    api("POST", "/tracing/clusters/{alert_id}/acknowledge", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "cluster_not_found"), ok()),
    # mass tracing runs: counts only, for any tracing officer (no region's data in them)
    api("GET", "/tracing/runs", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok(), note="counts only"),
    api("GET", "/tracing/runs/{run_id}", "health_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok(), note="counts only"),
    # dashboards: aggregates of the caller's own scope
    api("GET", "/dashboards/map", "city_admin",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok(), reveals=("venue_code",)),
    api("GET", "/dashboards/{name}", "city_admin",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok(), params={"name": "=checkins-venue"}),
    # followups (VIEW_FOLLOWUPS / RECORD_FOLLOWUPS; an agency officer's sectors)
    api("GET", "/followups/venues", "agency_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok()),
    api("GET", "/followups", "agency_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok(), reveals=("followup_notes",)),
    api("POST", "/followups", "agency_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, VENUE_NOT_FOUND, ok(201),
        body=lambda v: {"venue": v["short_code"], "kind": "visit", "notes": "Uji"},
        effect=_new_followup),
    api("PATCH", "/followups/{followup_id}", "agency_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "followup_not_found"), ok(),
        body=lambda v: {"done": True, "outcome": "Poster dipasang"}, effect=_followup_changed,
        reveals=("followup_notes",)),
    # inspections (VIEW_INSPECTIONS / RECORD_INSPECTIONS; venue managers: findings)
    api("GET", "/inspections", "enforcement_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, ok(), ok(), reveals=("findings",)),
    api("POST", "/inspections", "enforcement_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, VENUE_NOT_FOUND, ok(201),
        body=lambda v: {"venue": v["short_code"], "planned_for": _tomorrow(v)},
        effect=_new_inspection),
    api("GET", "/inspections/{inspection_id}", "enforcement_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "inspection_not_found"), ok(),
        reveals=("findings",)),
    api("POST", "/inspections/{inspection_id}/record", "enforcement_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "inspection_not_found"), ok(),
        params={"inspection_id": "planned_inspection_id"},
        body=lambda v: {"checklist": _checklist("pass"), "findings": "Baik"},
        effect=_inspection_status("planned_inspection_id", "done")),
    api("POST", "/inspections/{inspection_id}/photos", "enforcement_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "inspection_not_found"), ok(201),
        body=_photos, multipart=True, reveals=("findings",)),
    api("POST", "/inspections/{inspection_id}/reinspection", "enforcement_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "inspection_not_found"), ok(201),
        body=lambda v: {"planned_for": _tomorrow(v)}, effect=_reinspection),
    api("POST", "/inspections/{inspection_id}/closure/lift", "enforcement_officer",
        UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, refused(404, "inspection_not_found"), ok(),
        body=lambda v: {"reason": "Sudah patuh"}, effect=_lifted),
    api("GET", "/inspections/venues/{short_code}/findings", "venue_manager",
        UNAUTHENTICATED, FORBIDDEN, VENUE_NOT_FOUND, FORBIDDEN, ok(),
        other_city="city_admin", reveals=("findings",)),
    # console (VENUE_CONSOLE and the caller's own venues)
    api("GET", "/console/venues/{short_code}/live", "venue_staff",
        UNAUTHENTICATED, FORBIDDEN, VENUE_NOT_FOUND, FORBIDDEN, ok(), other_city="city_admin",
        withholds=STAFF_NEVER_SEE, note="alerts carry the colour, time and entrance only"),
    api("POST", "/console/venues/{short_code}/pass", "venue_staff",
        UNAUTHENTICATED, FORBIDDEN, VENUE_NOT_FOUND, FORBIDDEN, ok(), other_city="city_admin",
        body=status_pass, reveals=("sari_name", "sari_nik_masked"),
        note="the guard's scanner: the pass's holder and the decision at this door"),
    # rosters (MANAGE_VENUE_STAFF and the caller's own venues)
    api("GET", "/rosters/venues/{short_code}/entries", "venue_manager",
        UNAUTHENTICATED, FORBIDDEN, VENUE_NOT_FOUND, FORBIDDEN, ok(),
        other_city="city_admin", reveals=("sari_phone_masked",)),
    api("POST", "/rosters/venues/{short_code}/entries", "venue_manager",
        UNAUTHENTICATED, FORBIDDEN, VENUE_NOT_FOUND, FORBIDDEN, ok(201),
        other_city="city_admin", body=lambda v: {"phone": v["ahmad_phone"], "role": "Kasir"},
        effect=_new_roster_entry),
    api("POST", "/rosters/venues/{short_code}/entries/{entry_id}/end", "venue_manager",
        UNAUTHENTICATED, FORBIDDEN, VENUE_NOT_FOUND, FORBIDDEN, ok(),
        other_city="city_admin", effect=_entry_ended, reveals=("sari_phone_masked",)),
    api("POST", "/rosters/venues/{short_code}/entries/{entry_id}/end", "venue_manager",
        UNAUTHENTICATED, FORBIDDEN, refused(404, "entry_not_found"), FORBIDDEN,
        VENUE_NOT_FOUND, other_city="city_admin", variant="through another venue",
        params={"short_code": "other_short_code"}, effect=_entry_ended,
        note="another venue's manager names Sari's entry under his own venue"),
    # notifications: the caller's own inbox (staff read their alerts here too)
    api("GET", "/me/notifications", "sari",
        UNAUTHENTICATED, ok(), ok(), ok(), ok(), other_city="health_officer",
        reveals=("message_body",)),
    api("GET", "/me/notifications", "venue_staff",
        UNAUTHENTICATED, ok(), ok(), ok(), ok(), other_city="city_admin",
        variant="the venue's black-status alert", reveals=("venue_name",),
        hides=("venue_name",), withholds=STAFF_NEVER_SEE,
        note="staff learn the colour, where and when, never who"),
    api("GET", "/me/notifications", "health_officer",
        UNAUTHENTICATED, ok(), ok(), ok(), ok(), variant="the home region's black-status alert",
        reveals=("sari_nik_masked", "venue_name"), hides=("venue_name",),
        note="the health officers of the person's home region, with the masked NIK"),
    api("POST", "/me/notifications/{message_id}/read", "sari",
        UNAUTHENTICATED, refused(404, "notification_not_found"),
        refused(404, "notification_not_found"), refused(404, "notification_not_found"), ok(),
        other_city="health_officer", effect=_read, reveals=("message_body",)),
    # rights: the citizen's copy of her data and who read it, her own account's only
    api("GET", "/me/export", "sari",
        UNAUTHENTICATED, ok(note="her own account's copy"), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", reveals=("sari_nik", "sari_name", "brother_name")),
    api("GET", "/me/exports/{export_id}", "sari",
        UNAUTHENTICATED, refused(404, "export_not_found"), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", params={"export_id": "sari_export_id"}),
    api("GET", "/me/exports/{export_id}/download", "sari",
        UNAUTHENTICATED, refused(404, "export_not_found"), VISITOR_ONLY, VISITOR_ONLY, ok(),
        other_city="health_officer", params={"export_id": "sari_export_id"},
        reveals=("sari_nik", "sari_name", "brother_name")),
    api("GET", "/me/reads", "sari",
        UNAUTHENTICATED, ok(note="reads of her own people's data"), VISITOR_ONLY, VISITOR_ONLY,
        ok(), other_city="health_officer"),
    # partner apps (partners/api.py): only a partner's OAuth access token opens them; a
    # visitor's own token or a session is no partner's (docs/partners.md)
    *[
        api(method, path, "sari_partner",
            UNAUTHENTICATED, PARTNER_TOKEN_ONLY, UNAUTHENTICATED, UNAUTHENTICATED, ok(status),
            other_city="health_officer", withholds=PARTNERS_NEVER_SEE, **kwargs)
        for method, path, status, kwargs in (
            ("GET", "/partner/me", 200, {}),
            ("GET", "/partner/checkins/preview", 200, {"query": {"qr": "qr"}}),
            ("POST", "/partner/checkins", 201,
             {"body": lambda v: {"qr": v["qr"], "nonce": v["nonce"], "people": ["self"]}}),
            ("POST", "/partner/checkouts", 200,
             {"body": lambda v: {"people": ["self"]}, "effect": _stay_closed}),
            ("GET", "/partner/status", 200, {}),
            ("GET", "/partner/history", 200, {"reveals": ("venue_code",)}),
        )
    ],
]  # fmt: skip

# --- Pages --------------------------------------------------------------------------------

# URL names of pages that show no personal data, each with the reason. Everything else
# (but Django admin, below) needs a row.
PAGES_WITHOUT_PERSONAL_DATA: dict[str, str] = {
    "healthz": "public: the service's health",
    "metrics": "Prometheus' counters and gauges, no person (a bearer token or networks)",
    "login": "public: the staff sign-in form",
    "logout": "ends the caller's own session",
    "second_factor_verify": "the caller's own second factor (a code form)",
    "second_factor_enrol": "the caller's own second factor (their own TOTP secret)",
    "dashboard": "redirects each role to its landing page",
    "visitor_login": "public: the visitors' sign-in form",
    "privacy_notice": "public: the privacy notice",
    "privacy_accept": "the caller's own acceptance of the privacy notice (a form)",
    "set_language": "public: the language switch",
    "qr_keys": "public: the signing keys' public halves",
    "qr_dynamic": "a venue's live entrance code (venue data; SHOW_DYNAMIC_CODE)",
    "qr_dynamic_json": "a venue's live entrance code (venue data; SHOW_DYNAMIC_CODE)",
    "venue_posters": "a venue's posters (venue data; DOWNLOAD_POSTERS)",
    "entrance_poster": "an entrance's poster (venue data; DOWNLOAD_POSTERS)",
    "visit_sw": "public: the service worker",
    "visit_manifest": "public: the web app manifest",
    "visit_offline": "public: the offline page, cached for every account on the phone",
    "visit_scan": "public: the scanner",
    "exposure_sites": "public: published exposure sites, no person",
    "rollout": "aggregates of the caller's jurisdiction",
    "venue_list": "venue names and statuses (no coordinator details)",
    "venue_bulk": "bulk workflow steps on listed venues (no personal data shown)",
    "venue_import": "an upload form and its row report",
    "venue_create": "a form for a new venue",
    "ppkm_levels": "regions' PPKM levels and rules",
    "dash_rollout": "aggregates (no personal data)",
    "dash_usage": "aggregates (no personal data)",
    "dash_map": "venue positions and counts",
    "dash_export": "aggregates as CSV/XLSX",
    "report_page": "the weekly city report (aggregates)",
    "console_index": "the caller's own venues",
    "my_venue_findings": "the caller's own venues with counts",
    "oauth2_provider:authorize": "the consent page: the partner, its scopes and the "
    "caller's own first names (partners/tests/test_flow.py)",
    "oauth2_provider:token": "OAuth's token endpoint (a partner's code or refresh token)",
    "oauth2_provider:revoke-token": "OAuth's revocation (a partner's own tokens)",
    "oauth2_provider:introspect": "OAuth's introspection (a partner's own tokens, a pairwise sub)",
    "oauth2_provider:oauth-server-metadata": "public: the OAuth server metadata",
}

PAGE_ROWS: list[Row] = [
    page("GET", "visitor_home", "sari",
         TO_VISITOR_LOGIN, ok(), STAFF_TO_START, STAFF_TO_START, ok(),
         other_city="health_officer", reveals=("sari_phone_masked",)),
    page("GET", "visitor_profile", "sari",
         TO_VISITOR_LOGIN, ok(), PAGE_403, PAGE_403, ok(),
         other_city="health_officer", reveals=("sari_nik",)),
    # erasure: closing one's own account (anyone else's call closes only her own).
    page("GET", "close_account", "sari",
         TO_VISITOR_LOGIN, ok(), PAGE_403, PAGE_403, ok(), other_city="health_officer"),
    page("GET", "visitor_dependants", "sari",
         TO_VISITOR_LOGIN, ok(), PAGE_403, PAGE_403, ok(),
         other_city="health_officer", reveals=("brother_nik", "mother_name")),
    page("GET", "visitor_dependant_edit", "sari",
         TO_VISITOR_LOGIN, PAGE_404, PAGE_403, PAGE_403, ok(),
         other_city="health_officer", params={"public_id": "dependant_public_id"},
         reveals=("brother_nik",)),
    page("POST", "visitor_dependant_remove", "sari",
         TO_VISITOR_LOGIN, PAGE_404, PAGE_403, PAGE_403, ok(302, to="visitor_dependants"),
         other_city="health_officer", params={"public_id": "dependant_public_id"},
         effect=_person_gone("dependant_public_id")),
    page("GET", "identity_desk", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, ok(), ok(), reveals=("mother_name",)),
    page("POST", "identity_approve", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403,
         bounced(302, to="identity_desk", note="back to the desk: request_not_found"),
         ok(302, to="identity_desk"),
         params={"public_id": "request_public_id"}, body=lambda v: {"reason": "KK ibu"},
         effect=_decided),
    page("POST", "identity_reject", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403,
         bounced(302, to="identity_desk", note="back to the desk: request_not_found"),
         ok(302, to="identity_desk"),
         params={"public_id": "request_public_id"}, body=lambda v: {"reason": "Tidak cocok"},
         effect=_decided),
    page("POST", "identity_correction", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403,
         bounced(200, shows=("sari_nik", "sari_name"),
                 note="the form again, with what the officer typed: person_not_found"),
         ok(302, to="identity_correction"),
         body=lambda v: {
             **sari_profile(v), "current_nik": v["sari_nik"], "nik": v["corrected_nik"],
             "reason": "Salah ketik NIK",
         },
         effect=_corrected),
    page("GET", "rights_data", "sari",
         TO_VISITOR_LOGIN, ok(), PAGE_403, PAGE_403, ok(), other_city="health_officer"),
    page("POST", "rights_request", "sari",
         TO_VISITOR_LOGIN, ok(302, to="rights_data", note="a copy of her own data"),
         PAGE_403, PAGE_403, ok(302, to="rights_data"), other_city="health_officer",
         body=lambda v: {"format": "json"}, effect=_second_export),
    page("GET", "rights_download_page", "sari",
         TO_VISITOR_LOGIN, PAGE_404, PAGE_403, PAGE_403, ok(), other_city="health_officer",
         params={"public_id": "sari_export_id"}, reveals=("sari_nik", "sari_name")),
    page("GET", "rights_reads", "sari",
         TO_VISITOR_LOGIN, ok(), PAGE_403, PAGE_403, ok(), other_city="health_officer"),
    page("GET", "partner_connections", "sari",
         TO_VISITOR_LOGIN, ok(note="her own connected partners (none)"), PAGE_403, PAGE_403,
         ok(), other_city="health_officer", reveals=("partner_name",), hides=("partner_name",)),
    page("POST", "partner_disconnect", "sari",
         TO_VISITOR_LOGIN, bounced(302, to="partner_connections"), PAGE_403, PAGE_403,
         ok(302, to="partner_connections"), other_city="health_officer",
         params={"connection_id": "sari_connection_id"}, effect=_disconnected),
    page("GET", "visitor_status", "sari",
         TO_VISITOR_LOGIN, ok(), PAGE_403, PAGE_403, ok(),
         other_city="health_officer", reveals=("sari_name", "brother_name")),
    page("GET", "visitor_status_pass", "sari",
         TO_VISITOR_LOGIN, ok(), PAGE_403, PAGE_403, ok(), other_city="health_officer"),
    page("GET", "visitor_status_pass", "sari",
         TO_VISITOR_LOGIN, PAGE_404, PAGE_403, PAGE_403, ok(), other_city="health_officer",
         variant="Sari's dependant", query={"person": "dependant_public_id"},
         note="a pass (the colour) of another account's dependant"),
    page("POST", "verify_pass", "venue_staff",
         TO_LOGIN, PAGE_403,
         ok(shows=("sari_name", "sari_nik_masked"),
            note="by design: the owner shows her pass to a guard at any door"),
         ok(shows=("sari_name", "sari_nik_masked"), note="by design, as for any guard"),
         ok(), other_city="enforcement_officer", body=status_pass,
         reveals=("sari_name", "sari_nik_masked")),
    # tracing
    page("GET", "tracing_cases", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, ok(), ok(), reveals=("sari_name",)),
    page("GET", "tracing_case", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(), params={"pk": "case_id"},
         reveals=("sari_name", "ahmad_name")),
    page("POST", "tracing_search", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="tracing_case"),
         params={"pk": "case_id"}),
    page("POST", "tracing_window", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="tracing_case"),
         params={"pk": "case_id"},
         body=lambda v: {"start": v["window_start_local"], "end": v["window_end_local"],
                         "reason": "Uji"}),
    page("POST", "tracing_designate", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="tracing_case"),
         params={"pk": "case_id"}, body=lambda v: {"all": "1"}, effect=_designated),
    page("POST", "tracing_close", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="tracing_case"),
         params={"pk": "case_id"}, effect=_case_status("closed")),
    page("GET", "tracing_export", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(),
         params={"pk": "case_id", "fmt": "=csv"}, reveals=("ahmad_name",)),
    page("POST", "tracing_second_generation", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="tracing_case"),
         params={"pk": "case_id"},
         body=lambda v: {"contact": v["contact_id"], "specimen_date": v["today"]},
         effect=_second_case),
    page("GET", "tracing_runs", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, ok(), ok(), note="counts only"),
    page("GET", "tracing_run", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, ok(), ok(), params={"pk": "run_id"},
         note="counts only"),
    page("GET", "tracing_clusters", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, ok(), ok(), reveals=("venue_name",)),
    page("GET", "tracing_cluster", "health_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(), params={"pk": "alert_id"},
         reveals=("venue_name",), note="cases by number only"),
    # the visitor's web app
    page("GET", "qr_landing", "sari",
         ok(), ok(), ok(), ok(), ok(), other_city="health_officer", params={"token": "qr"},
         reveals=("sari_name",),
         note="public; a signed-in visitor also sees her own people to check in"),
    page("POST", "visit_checkin", "sari",
         TO_VISITOR_LOGIN, bounced(302, to="qr_landing", note="back to the poster: person_unknown"),
         PAGE_403, PAGE_403, ok(302, to="visit_result"), other_city="health_officer",
         variant="Sari's dependant",
         body=lambda v: {"qr": v["qr"], "nonce": v["nonce"], "people": v["dependant_public_id"]},
         effect=_dependant_checked_in),
    page("GET", "visit_result", "sari",
         TO_VISITOR_LOGIN, PAGE_404, PAGE_403, PAGE_403, ok(), other_city="health_officer",
         params={"nonce": "nonce_done"}, reveals=("sari_name",)),
    page("POST", "visit_checkout", "sari",
         TO_VISITOR_LOGIN, bounced(302, to="visit_history", note="back: checkin_not_found"),
         PAGE_403, PAGE_403, ok(302, to="visit_result"), other_city="health_officer",
         params={"public_id": "open_checkin_public_id"}, effect=_stay_closed),
    page("POST", "visit_checkout_group", "sari",
         TO_VISITOR_LOGIN, bounced(302, to="visit_history", note="back: checkin_not_found"),
         PAGE_403, PAGE_403, ok(302, to="visit_result"), other_city="health_officer",
         params={"nonce": "open_nonce"}, effect=_stay_closed),
    page("GET", "visit_history", "sari",
         TO_VISITOR_LOGIN, ok(), PAGE_403, PAGE_403, ok(), other_city="health_officer",
         reveals=("sari_name", "venue_name")),
    # notifications
    page("GET", "notifications", "sari",
         TO_VISITOR_LOGIN, ok(), ok(), ok(), ok(), other_city="health_officer",
         reveals=("message_subject",)),
    page("GET", "notification", "sari",
         TO_VISITOR_LOGIN, PAGE_404, PAGE_404, PAGE_404, ok(), other_city="health_officer",
         params={"message_id": "message_id"}, effect=_read, reveals=("message_body",)),
    # the venue console and rosters
    page("GET", "console_venue", "venue_staff",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(), other_city="city_admin",
         params={"short_code": "short_code"}, reveals=("venue_name",),
         withholds=STAFF_NEVER_SEE),
    page("POST", "console_manual_checkin", "venue_staff",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(), other_city="city_admin",
         params={"short_code": "short_code"},
         body=lambda v: {
             "entry_point": v["entry_point_id"], "nik": v["sari_nik"], "full_name": SARI_NAME,
             "birth_date": SARI_BORN.isoformat(), "visitor_type": "guest",
             "nonce": v["nonce"],
         },
         effect=_manual_checkin, withholds=("sari_name", "sari_nik_masked"),
         note="the answer is the decision and the colour, nothing else"),
    page("POST", "console_door_pass", "venue_staff",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(), other_city="city_admin",
         params={"short_code": "short_code"}, body=status_pass,
         reveals=("sari_name", "sari_nik_masked"),
         note="the guard's scanner without JavaScript"),
    page("POST", "console_acknowledge_alert", "venue_staff",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(302, to="console_venue"),
         other_city="city_admin", params={"short_code": "short_code", "pk": "black_alert_id"},
         effect=_alert_acknowledged),
    page("POST", "console_acknowledge_alert", "venue_staff",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, PAGE_404, other_city="city_admin",
         variant="through another venue",
         params={"short_code": "other_short_code", "pk": "black_alert_id"},
         effect=_alert_acknowledged),
    page("GET", "console_checkout_everyone", "venue_staff",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_404, ok(), other_city="city_admin",
         variant="confirmation", params={"short_code": "short_code"},
         withholds=STAFF_NEVER_SEE),
    page("POST", "console_checkout_everyone", "venue_staff",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_404, ok(302, to="console_venue"),
         other_city="city_admin", params={"short_code": "short_code"}, effect=_stay_closed),
    page("GET", "console_manage", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(), other_city="city_admin",
         params={"short_code": "short_code"}, reveals=("staff_phone",)),
    page("POST", "console_staff_active", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(302, to="console_manage"),
         other_city="city_admin", params={"short_code": "short_code", "pk": "staff_id"},
         body=lambda v: {"active": "0"}, effect=_staff_inactive),
    page("POST", "console_staff_active", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, PAGE_404, other_city="city_admin",
         variant="through another venue",
         params={"short_code": "other_short_code", "pk": "staff_id"},
         body=lambda v: {"active": "0"}, effect=_staff_inactive),
    page("GET", "roster", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(), other_city="city_admin",
         params={"short_code": "short_code"}, reveals=("sari_phone_masked",)),
    page("POST", "roster_import", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(302, to="roster"),
         other_city="city_admin", params={"short_code": "short_code"}, body=_roster_csv,
         effect=_new_roster_entry),
    page("POST", "roster_end", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(302, to="roster"),
         other_city="city_admin", params={"short_code": "short_code", "pk": "entry_id"},
         effect=_entry_ended),
    page("POST", "roster_end", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, PAGE_404, other_city="city_admin",
         variant="through another venue",
         params={"short_code": "other_short_code", "pk": "entry_id"}, effect=_entry_ended),
    # venues: the coordinator's contact details
    page("GET", "venue_detail", "city_admin",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_404, ok(), params={"short_code": "short_code"},
         reveals=("coordinator_phone", "coordinator_email")),
    page("GET", "venue_edit", "city_admin",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(), params={"short_code": "short_code"},
         reveals=("coordinator_phone", "coordinator_email")),
    page("POST", "entry_point_add", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="venue_detail"),
         other_city="city_admin", params={"short_code": "short_code"},
         body=lambda v: {"name": "Pintu Uji"},
         effect=_new_entrance, note="the codes are issued: only the issuer adds entrances"),
    page("POST", "venue_step", "city_admin",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_404, ok(302, to="venue_detail"),
         params={"short_code": "short_code"},
         body=lambda v: {"action": "suspend", "reason": "Uji kewenangan"},
         effect=_venue_status("suspended")),
    page("GET", "transition_photo", "city_admin",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_404, ok(),
         params={"short_code": "short_code", "pk": "transition_id"}),
    page("GET", "transition_photo", "city_admin",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_404, PAGE_404, variant="through another venue",
         params={"short_code": "other_short_code", "pk": "transition_id"}),
    page("GET", "review_queue", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(), other_city="city_admin",
         reveals=("review_coordinator_email",)),
    # follow-ups: the coordinator's details and the officer's notes
    page("GET", "followup_home", "agency_officer",
         TO_LOGIN, PAGE_403, PAGE_403, ok(), ok(), reveals=("followup_notes",)),
    page("GET", "venue_followups", "agency_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(), params={"short_code": "short_code"},
         reveals=("followup_notes", "coordinator_phone")),
    page("POST", "followup_update", "agency_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="venue_followups"),
         params={"pk": "followup_id"},
         body=lambda v: {"done": "on", "outcome": "Poster dipasang"}, effect=_followup_changed),
    # inspections: findings and photos
    page("GET", "inspection_list", "enforcement_officer",
         TO_LOGIN, PAGE_403, PAGE_403, ok(), ok(), reveals=("venue_name",)),
    page("GET", "inspection_detail", "enforcement_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(), params={"pk": "inspection_id"},
         reveals=("findings",)),
    page("POST", "inspection_reinspect", "enforcement_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="inspection_detail"),
         params={"pk": "inspection_id"}, body=lambda v: {"planned_for": _tomorrow(v)},
         effect=_reinspection),
    page("POST", "inspection_cancel", "enforcement_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="inspection_detail"),
         params={"pk": "planned_inspection_id"},
         effect=_inspection_status("planned_inspection_id", "cancelled")),
    page("POST", "closure_lift", "enforcement_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(302, to="inspection_detail"),
         params={"pk": "inspection_id"}, body=lambda v: {"reason": "Sudah patuh"},
         effect=_lifted),
    page("GET", "inspection_photo", "enforcement_officer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_404, ok(),
         params={"pk": "inspection_id", "photo_pk": "photo_id"}),
    page("GET", "venue_findings", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(), other_city="city_admin",
         params={"short_code": "short_code"}, reveals=("findings",)),
    page("GET", "venue_finding_photo", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, ok(), other_city="city_admin",
         params={"short_code": "short_code", "photo_pk": "photo_id"}),
    page("GET", "venue_finding_photo", "venue_manager",
         TO_LOGIN, PAGE_403, PAGE_404, PAGE_403, PAGE_404, other_city="city_admin",
         variant="through another venue",
         params={"short_code": "other_short_code", "photo_pk": "photo_id"}),
    # erasure requests: the issuer's list with deadlines (blind indexes never shown)
    page("GET", "erasure_list", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(), other_city="city_admin"),
    # personal-data breaches: the issuer's; counts only, never the people affected
    page("GET", "breach_list", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(), other_city="city_admin",
         reveals=("breach_title",)),
    page("GET", "breach_create", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(), other_city="city_admin"),
    page("GET", "breach_detail", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(), other_city="city_admin",
         params={"public_id": "breach_public_id"}, reveals=("breach_title", "venue_code"),
         withholds=("sari_name", "sari_nik_masked", "ahmad_name", "ahmad_phone_masked")),
    page("GET", "breach_edit", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(), other_city="city_admin",
         params={"public_id": "breach_public_id"}, reveals=("breach_title",)),
    page("POST", "breach_select", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(302, to="breach_detail"),
         other_city="city_admin", params={"public_id": "breach_public_id"},
         body=lambda v: {"all_accounts": "on"}, effect=_breach_selects_everyone),
    page("POST", "breach_draft", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(302, to="breach_detail"),
         other_city="city_admin", params={"public_id": "breach_public_id"},
         effect=_breach_redrafted),
    page("POST", "breach_send", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(302, to="breach_detail"),
         other_city="city_admin", params={"public_id": "breach_public_id"},
         effect=_breach_status("notifying")),
    page("POST", "breach_reported", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(302, to="breach_detail"),
         other_city="city_admin", params={"public_id": "breach_public_id"},
         effect=_breach_reported),
    page("POST", "breach_close", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(302, to="breach_detail"),
         other_city="city_admin", params={"public_id": "breach_public_id"},
         effect=_breach_status("closed")),
    page("GET", "breach_report", "issuer",
         TO_LOGIN, PAGE_403, PAGE_403, PAGE_403, ok(), other_city="city_admin",
         params={"public_id": "breach_public_id"}),
]  # fmt: skip

# --- Django admin -------------------------------------------------------------------------

# Every model registered with the admin is either listed here (no personal data) or has
# a changelist row below. All admin views go through admin.site.admin_view (an active
# staff account, then the model's permission: only the issuer and superusers hold them),
# so the changelists stand for the add, change, delete and history views as well.
ADMIN_WITHOUT_PERSONAL_DATA: dict[str, str] = {
    "regions.region": "the administrative tree",
    "sectors.sector": "reference data",
    "sectors.agency": "sector agencies",
    "screening.ruleset": "screening rule sets",
    "qrcodes.signingkey": "signing keys' public halves and state",
    "qrcodes.qrcode": "venue codes",
    "ppkm.levelassignment": "regions' PPKM levels",
    "ppkm.sectorrule": "sector rules",
    "tracing.venuetypeweight": "scoring weights",
    "tracing.tracingprofile": "tracing rules per pathogen",
    "inspections.closure": "venue closures",
    "zones.thresholdset": "risk-zone thresholds",
    "zones.population": "kecamatan populations",
    "zones.zonesnapshot": "kecamatan case counts per week, no person",
    "auth.group": "permission groups",
    "django_tasks_database.dbtaskresult": "background tasks (arguments are row ids)",
    "partners.partner": "partner apps: names, organisations, contacts, daily counts",
}

ADMIN_ANONYMOUS = (TO_ADMIN_LOGIN, TO_ADMIN_LOGIN, TO_ADMIN_LOGIN, TO_ADMIN_LOGIN, ok())


def admin_row(model: str, reveals: tuple[str, ...] = (), **kwargs: Any) -> Row:
    app, name = model.split(".")
    return _row(
        "admin",
        "GET",
        f"admin:{app}_{name}_changelist",
        "issuer",
        ADMIN_ANONYMOUS,
        other_city="health_officer",
        reveals=reveals,
        **kwargs,
    )


ADMIN_ROWS: list[Row] = [
    admin_row("accounts.user", reveals=("sari_username",)),
    admin_row("accounts.apitoken"),
    admin_row("people.person", reveals=("sari_name", "sari_nik_masked")),
    admin_row("notifications.message"),
    admin_row("health.vaccinationdose"),
    admin_row("health.labresult"),
    admin_row("health.designation"),
    admin_row("health.travelquarantine"),
    admin_row("health.vaccinationexemption"),
    admin_row("venues.venue", reveals=("venue_name",)),
    admin_row("inspections.inspection"),
    admin_row("followups.followup"),
    admin_row("axes.accessattempt"),
    admin_row("axes.accessfailurelog"),
    admin_row("axes.accesslog"),
    admin_row("otp_static.staticdevice"),
    admin_row("otp_totp.totpdevice"),
    _row("admin", "GET", "admin:people_person_change", "issuer", ADMIN_ANONYMOUS,
         other_city="health_officer", params={"object_id": "sari_person_id"},
         reveals=("sari_name",)),
]  # fmt: skip

ROWS: list[Row] = [*API_ROWS, *PAGE_ROWS, *ADMIN_ROWS]
