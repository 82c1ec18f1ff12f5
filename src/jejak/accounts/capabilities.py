"""Named capabilities: the one place that says which role may do what.

Views and API endpoints ask `has_capability(user, Cap.X)`; *which* objects they may do it
to is the jurisdiction, applied in querysets (accounts/jurisdiction.py).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from jejak.accounts.roles import Role

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser, User

ViewFunc = Callable[..., Any]


class Cap(StrEnum):
    VIEW_VENUES = "view_venues"
    EDIT_VENUES = "edit_venues"
    # Start the registration of one's own venue (a manager): it joins their venues, and
    # the city and the issuer take it from there.
    REGISTER_OWN_VENUE = "register_own_venue"
    IMPORT_VENUES = "import_venues"
    SUBMIT_REQUESTS = "submit_requests"
    REVIEW_REQUESTS = "review_requests"
    ISSUE_CODES = "issue_codes"
    CONFIRM_INSTALLATION = "confirm_installation"
    SUSPEND_CODES = "suspend_codes"
    REVOKE_CODES = "revoke_codes"
    DOWNLOAD_POSTERS = "download_posters"
    SHOW_DYNAMIC_CODE = "show_dynamic_code"
    VIEW_ROLLOUT = "view_rollout"
    MANAGE_KEYS = "manage_keys"
    IMPORT_HEALTH_RECORDS = "import_health_records"
    # Read a named person's screening status or health records (always audited).
    READ_HEALTH_STATUS = "read_health_status"
    # Check a visitor's status QR at the door.
    VERIFY_STATUS_PASS = "verify_status_pass"  # noqa: S105 (a capability name)
    MANAGE_RULE_SETS = "manage_rule_sets"
    # Close every open stay at a venue (closing time).
    CHECK_OUT_EVERYONE = "check_out_everyone"
    # Open and read contact-tracing cases in the jurisdiction (every read audited).
    TRACE_CASES = "trace_cases"
    # Confirm a case's contacts as close contacts and notify them.
    DESIGNATE_CONTACTS = "designate_contacts"
    # Download a case's contact list (CSV/XLSX, audited with its row count).
    EXPORT_CONTACTS = "export_contacts"
    # Rollout and usage dashboards, the map and their exports (aggregates, no personal data).
    VIEW_DASHBOARDS = "view_dashboards"
    # The venue console (/tempat/): live occupancy, today's check-ins, black-status alerts.
    VENUE_CONSOLE = "venue_console"
    # Check in a visitor without a smartphone by NIK, name and birth date (rate-limited).
    CHECK_IN_VISITORS = "check_in_visitors"
    # Add and deactivate the venue staff accounts of one's own venues.
    MANAGE_VENUE_STAFF = "manage_venue_staff"
    # Agency follow-ups of lagging venues (see followups/): list them, record them.
    VIEW_FOLLOWUPS = "view_followups"
    RECORD_FOLLOWUPS = "record_followups"
    # Satpol PP inspections: see them all (plans included), plan and record them.
    VIEW_INSPECTIONS = "view_inspections"
    RECORD_INSPECTIONS = "record_inspections"
    # A venue's own findings and sanctions (never the planned, unannounced visits).
    VIEW_VENUE_FINDINGS = "view_venue_findings"
    # The weekly city report (PDF/XLSX).
    DOWNLOAD_REPORTS = "download_reports"
    # Correct a verified NIK on a visitor's profile (a reason, audited, the owner told).
    CORRECT_IDENTITY = "correct_identity"
    # Decide requests for dependants not on the holder's family card (KK).
    APPROVE_DEPENDANTS = "approve_dependants"
    # Put a region on a PPKM level (a city admin within their city, the issuer anywhere).
    ASSIGN_PPKM_LEVELS = "assign_ppkm_levels"
    # Personal-data breaches (UU 27/2022 Art. 46): record them, choose the people
    # affected, notify them and report to the authority (the issuer only).
    MANAGE_BREACHES = "manage_breaches"
    # Partner apps on OAuth: register, approve and suspend them, watch their usage (the
    # issuer only; docs/partners.md).
    MANAGE_PARTNERS = "manage_partners"


ROLE_CAPABILITIES: dict[str, frozenset[Cap]] = {
    Role.ISSUER: frozenset(Cap),
    Role.CITY_ADMIN: frozenset(
        {
            Cap.VIEW_VENUES,
            Cap.EDIT_VENUES,
            Cap.IMPORT_VENUES,
            Cap.SUBMIT_REQUESTS,
            Cap.CONFIRM_INSTALLATION,
            Cap.SUSPEND_CODES,
            Cap.DOWNLOAD_POSTERS,
            Cap.VIEW_ROLLOUT,
            Cap.CHECK_OUT_EVERYONE,
            Cap.VIEW_FOLLOWUPS,
            Cap.VIEW_INSPECTIONS,
            Cap.DOWNLOAD_REPORTS,
            Cap.VIEW_DASHBOARDS,
            Cap.ASSIGN_PPKM_LEVELS,
        }
    ),
    Role.AGENCY_OFFICER: frozenset(
        {
            Cap.VIEW_VENUES,
            Cap.CONFIRM_INSTALLATION,
            Cap.DOWNLOAD_POSTERS,
            Cap.VIEW_ROLLOUT,
            Cap.VIEW_FOLLOWUPS,
            Cap.RECORD_FOLLOWUPS,
            Cap.DOWNLOAD_REPORTS,
            Cap.VIEW_DASHBOARDS,
        }
    ),
    Role.ENFORCEMENT_OFFICER: frozenset(
        {
            Cap.VIEW_VENUES,
            Cap.CONFIRM_INSTALLATION,
            Cap.VERIFY_STATUS_PASS,
            Cap.VIEW_INSPECTIONS,
            Cap.RECORD_INSPECTIONS,
            Cap.VIEW_DASHBOARDS,
        }
    ),
    Role.HEALTH_OFFICER: frozenset(
        {
            Cap.VIEW_VENUES,
            Cap.IMPORT_HEALTH_RECORDS,
            Cap.READ_HEALTH_STATUS,
            Cap.TRACE_CASES,
            Cap.DESIGNATE_CONTACTS,
            Cap.EXPORT_CONTACTS,
            Cap.CORRECT_IDENTITY,
            Cap.APPROVE_DEPENDANTS,
        }
    ),
    Role.VENUE_MANAGER: frozenset(
        {
            Cap.VIEW_VENUES,
            Cap.REGISTER_OWN_VENUE,
            Cap.SUBMIT_REQUESTS,
            Cap.CONFIRM_INSTALLATION,
            Cap.DOWNLOAD_POSTERS,
            Cap.SHOW_DYNAMIC_CODE,
            Cap.VERIFY_STATUS_PASS,
            Cap.CHECK_OUT_EVERYONE,
            Cap.VIEW_VENUE_FINDINGS,
            Cap.VENUE_CONSOLE,
            Cap.CHECK_IN_VISITORS,
            Cap.MANAGE_VENUE_STAFF,
        }
    ),
    Role.VENUE_STAFF: frozenset(
        {
            Cap.VIEW_VENUES,
            Cap.SHOW_DYNAMIC_CODE,
            Cap.VERIFY_STATUS_PASS,
            Cap.CHECK_OUT_EVERYONE,
            Cap.VENUE_CONSOLE,
            Cap.CHECK_IN_VISITORS,
        }
    ),
    Role.VISITOR: frozenset(),
}


def capabilities_of(user: RequestUser | None) -> frozenset[Cap]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Cap)
    return ROLE_CAPABILITIES.get(user.role, frozenset())


# A capability implies a signed-in, active account: True narrows `user` to User.
def has_capability(user: RequestUser | None, cap: Cap) -> TypeGuard[User]:
    return cap in capabilities_of(user)


def require(user: RequestUser | None, cap: Cap) -> None:
    if not has_capability(user, cap):
        raise PermissionDenied(cap.value)


def signed_in_user(request: HttpRequest) -> User:
    """`request.user` in a view behind a sign-in check (`capability_required`,
    `login_required`, `visitor_required`, the API's authentication, Django admin's)."""
    user = request.user
    # Not an assert (python -O drops those): should a view ever lose its check, the
    # anonymous caller is refused rather than served.
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def capability_required(cap: Cap) -> Callable[[ViewFunc], ViewFunc]:
    """View decorator: anonymous users go to the login page, others without `cap` get 403."""
    from django.contrib.auth.views import redirect_to_login

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require(request.user, cap)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
