"""Every write of the partners app: the issuer's registry (`do_register`, `do_set_status`)
and the citizen's consents (`record_consent`, `do_disconnect`), each audited.

OAuth's own rows (the application, grants, tokens) are written through the library's
public models and their methods (`RefreshToken.revoke`, `AccessToken.revoke`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)

from jejak.audit import service as audit
from jejak.partners import scopes as scope_names
from jejak.partners.models import Connection, DailyUsage, DailyUser, Partner, PartnerStatus

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser, User


@dataclass(frozen=True)
class Registered:
    partner: Partner
    client_id: str
    # Shown once: only its hash is stored. Empty for a public client (a phone app).
    client_secret: str


def do_register(
    *,
    name: str,
    organisation: str,
    contact: str,
    redirect_uris: Sequence[str],
    allowed_scopes: Sequence[str],
    confidential: bool,
    rate_limit: int = 6000,
    actor: RequestUser | None = None,
) -> Registered:
    """Register a partner, pending the issuer's approval, with its OAuth application:
    the authorization-code grant only, exact redirect URIs, never skipping consent.
    Raises ValidationError for unknown scopes or redirect URIs the library refuses."""
    unknown = sorted(set(allowed_scopes) - set(scope_names.SCOPES))
    if unknown or not allowed_scopes:
        raise ValidationError(f"unknown or no scopes: {', '.join(unknown)}")
    Application = get_application_model()
    secret = generate_client_secret() if confidential else ""
    application = Application(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL if confidential else Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        client_secret=secret,
        hash_client_secret=True,
        skip_authorization=False,
    )
    application.full_clean(exclude=["user", "client_secret"])
    with transaction.atomic():
        application.save()
        partner = Partner.objects.create(
            application=application,
            name=name,
            organisation=organisation,
            contact=contact,
            allowed_scopes=" ".join(scope_names.valid(list(allowed_scopes))),
            rate_limit=rate_limit,
        )
        audit.record(actor=actor, action="partners.registered", obj=partner, name=name)
    return Registered(partner, application.client_id, secret)


def do_set_status(
    *, partner: Partner, status: str, reason: str = "", actor: RequestUser | None = None
) -> Partner:
    """Approve, suspend or resume a partner. A suspended partner's tokens are refused on
    their next call (auth.py reads the status every time); they are kept, so approving
    it again resumes every citizen's connection."""
    if status not in PartnerStatus.values:
        raise ValidationError(f"unknown status {status!r}")
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        if locked.status != status:
            locked.status = status
            locked.status_reason = reason
            locked.status_changed_at = timezone.now()
            locked.save(update_fields=["status", "status_reason", "status_changed_at"])
            audit.record(actor=actor, action=f"partners.{status}", obj=locked, reason=reason[:300])
    return locked


def record_consent(*, account: User, application: Any, scopes: Sequence[str]) -> Connection:
    """The citizen approved the partner on the consent page: the connection, with the
    scopes just granted (a later consent replaces them and reconnects)."""
    partner = Partner.objects.get(application=application)
    granted = " ".join(scope_names.valid(list(scopes)))
    now = timezone.now()
    with transaction.atomic():
        connection, created = Connection.objects.select_for_update().get_or_create(
            account=account, partner=partner, defaults={"scopes": granted, "connected_at": now}
        )
        if not created:
            connection.scopes = granted
            connection.connected_at = now
            connection.disconnected_at = None
            connection.save(update_fields=["scopes", "connected_at", "disconnected_at"])
        audit.record(actor=account, action="partners.consent_given", obj=partner, scopes=granted)
    return connection


def connections_of(account: User) -> QuerySet[Connection]:
    """The partners the account has connected and not disconnected, newest first."""
    return (
        Connection.objects.filter(account=account, disconnected_at__isnull=True)
        .select_related("partner")
        .order_by("-connected_at", "-pk")
    )


def connected(account: User) -> list[dict[str, Any]]:
    """The account's connections as its pages show them: each with its scopes' sentences
    in the active language (the home and /saya/mitra/; templates/partners/_connections.html)."""
    return [
        {"connection": c, "scopes": scope_names.described(c.scopes)}
        for c in connections_of(account)
    ]


def revoke_tokens(*, account: User, application: Any) -> int:
    """Revoke every token and pending code the account gave this application; returns
    how many refresh and access tokens went."""
    revoked = 0
    for refresh in get_refresh_token_model().objects.filter(
        user=account, application=application, revoked__isnull=True
    ):
        refresh.revoke()  # its access token with it
        revoked += 1
    for access in get_access_token_model().objects.filter(user=account, application=application):
        access.revoke()
        revoked += 1
    get_grant_model().objects.filter(user=account, application=application).delete()
    return revoked


def do_disconnect(*, account: User, connection_id: int, now: dt.datetime | None = None) -> bool:
    """Disconnect one of the account's partners: every token revoked at once (the next
    call with one is refused). False when there is no such connection of theirs."""
    with transaction.atomic():
        connection = (
            Connection.objects.select_for_update()
            .select_related("partner__application")
            .filter(pk=connection_id, account=account, disconnected_at__isnull=True)
            .first()
        )
        if connection is None:
            return False
        revoked = revoke_tokens(account=account, application=connection.partner.application)
        connection.disconnected_at = now or timezone.now()
        connection.save(update_fields=["disconnected_at"])
        audit.record(
            actor=account,
            action="partners.disconnected",
            obj=connection.partner,
            tokens_revoked=revoked,
        )
    return True


def usage_of(partner: Partner, *, days: int = 14) -> list[dict[str, Any]]:
    """The partner's daily figures, newest first: calls, refusals (429s among them),
    errors and distinct citizens (counted from the day's rows until they are purged)."""
    since = timezone.localdate() - dt.timedelta(days=days - 1)
    rows = list(DailyUsage.objects.filter(partner=partner, day__gte=since).order_by("-day"))
    live = dict(
        DailyUser.objects.filter(partner=partner, day__gte=since)
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [
        {
            "day": row.day,
            "calls": row.calls,
            "refusals": row.refusals,
            "limited": row.limited,
            "errors": row.errors,
            "users": live.get(row.day, row.users or 0),
        }
        for row in rows
    ]
