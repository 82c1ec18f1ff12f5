"""A caller's own bearer tokens: list them, revoke one, sign out (revoke the one in use).

Writes go through here, each audited: a revoked token stops working on the very next
request (`ApiToken.authenticate` reads `revoked_at` every time).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from jejak.accounts.models import ApiToken, User
from jejak.audit import service as audit


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's live tokens, newest first."""
    return ApiToken.objects.active().filter(user=user).order_by("-created_at", "-pk")


def revoke(*, user: User, token_id: int, now: dt.datetime | None = None) -> bool:
    """Revoke one of the user's own live tokens; False when there is no such token (of
    theirs: another user's id is answered the same)."""
    revoked = tokens_of(user).filter(pk=token_id).update(revoked_at=now or timezone.now())
    if revoked:
        audit.record(actor=user, action="accounts.token_revoked", token=token_id)
    return bool(revoked)
