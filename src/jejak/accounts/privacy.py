"""The privacy notice and visitors' acceptances of it (UU 27/2022 Pelindungan Data Pribadi).

The notice itself is the template `accounts/privacy_notice.html` at /privasi/; its
version, effective date, controller and data protection officer are settings
(JEJAK_PRIVACY_NOTICE_VERSION and the rest, docs/configuration.md). A visitor accepts the
current version when signing up (accounts/otp.py refuses a new account without it,
`privacy_notice_not_accepted`) and again whenever the version changes: until then the web
pages send them to /privasi/terima/ (accounts/middleware.py) and the API answers 403
`privacy_notice_changed` (accounts/api_auth.py), except for what `open_api_path` lets
through. Each acceptance is a PrivacyAcceptance row; the account carries the last
accepted version so that the check reads the row every request loads anyway.

Staff are not asked: they process data for their employer, under its rules and their
duty of confidentiality, not as data subjects of this service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeGuard

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jejak.accounts.models import PrivacyAcceptance, RequestUser, User
from jejak.accounts.roles import Role
from jejak.audit import service as audit

# API operations a visitor who has not accepted the current notice may still call: read
# the notice, accept it, sign out, revoke tokens (a lost phone's), and the rights that
# need no acceptance: a copy of one's data, who read it, closing the account. Paths as
# requested, under the API's root.
OPEN_API_PATHS = frozenset(
    {"/api/v1/privacy-notice", "/api/v1/privacy-notice/accept", "/api/v1/auth/logout"}
)
OPEN_API_PREFIXES = (
    "/api/v1/me/tokens",
    "/api/v1/me/export",
    "/api/v1/me/reads",
    "/api/v1/me/closure",
)

CHANGED = "privacy_notice_changed"
NOT_ACCEPTED = "privacy_notice_not_accepted"
OUTDATED = "privacy_notice_outdated"


@dataclass(frozen=True)
class Notice:
    version: str
    effective_date: dt.date | None
    controller: str
    dpo_name: str
    dpo_email: str
    dpo_phone: str
    # Retention shown to citizens (docs/retention.md has every period and its reason).
    checkin_retention_days: int
    message_retention_days: int
    health_record_retention_days: int
    case_retention_days: int
    audit_retention_days: int


def current_version() -> str:
    return str(settings.JEJAK_PRIVACY_NOTICE_VERSION)


def notice() -> Notice:
    """The notice's configured parts, as the page and the API show them."""
    try:
        effective = dt.date.fromisoformat(settings.JEJAK_PRIVACY_NOTICE_DATE)
    except ValueError:
        effective = None  # a malformed date is left out rather than failing the page
    return Notice(
        version=current_version(),
        effective_date=effective,
        controller=settings.JEJAK_CONTROLLER_NAME,
        dpo_name=settings.JEJAK_DPO_NAME,
        dpo_email=settings.JEJAK_DPO_EMAIL,
        dpo_phone=settings.JEJAK_DPO_PHONE,
        checkin_retention_days=settings.JEJAK_CHECKIN_RETENTION_DAYS,
        message_retention_days=settings.JEJAK_MESSAGE_RETENTION_DAYS,
        health_record_retention_days=settings.JEJAK_HEALTH_RECORD_RETENTION_DAYS,
        case_retention_days=settings.JEJAK_CASE_RETENTION_DAYS,
        audit_retention_days=settings.JEJAK_AUDIT_RETENTION_DAYS,
    )


def concerned(user: RequestUser) -> TypeGuard[User]:
    """Visitors accept the notice; staff and superusers are never asked."""
    return bool(
        user.is_authenticated
        and user.role == Role.VISITOR
        and not user.is_staff
        and not user.is_superuser
    )


def needs_acceptance(user: RequestUser) -> bool:
    """A visitor whose last accepted version is not the current one (none yet included).

    Reads only the account row already loaded: no query."""
    return concerned(user) and getattr(user, "privacy_notice_version", "") != current_version()


def open_api_path(path: str) -> bool:
    return path in OPEN_API_PATHS or path.startswith(OPEN_API_PREFIXES)


def accept(
    *, user: User, version: str, channel: str, now: dt.datetime | None = None
) -> PrivacyAcceptance:
    """Record that `user` accepted `version` (the caller checked it is the current one)."""
    now = now or timezone.now()
    with transaction.atomic():
        acceptance = PrivacyAcceptance.objects.create(
            user=user, version=version, accepted_at=now, channel=channel
        )
        User.objects.filter(pk=user.pk).update(privacy_notice_version=version)
        audit.record(
            actor=user,
            action="visitor.privacy_notice_accepted",
            obj=user,
            version=version,
            channel=channel,
        )
    user.privacy_notice_version = version
    return acceptance
